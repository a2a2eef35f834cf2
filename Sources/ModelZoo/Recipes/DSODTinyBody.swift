/// DSOD_tiny: `DSOD300_V3_Body` made small enough to train from scratch on two CPU cores in
/// minutes (the README's demo), with the same building blocks in the same order: a three-conv
/// stem and max pool, dense blocks of pre-activation bottleneck layers (`add_bl_layer`: 1x1 then
/// 3x3 with `growth` outputs, concatenated), a `transition` with pooling after the first block and
/// `transition_w_o_pooling` after the others, `Second` as a learned half beside a pooled and
/// projected `First`, and `add_bl_layer2` downsampling blocks (learned half + pooled half) for the
/// coarser scales. BatchNorm before every convolution; nothing is pretrained.
///
/// For a 160x160 input it names `First` (20x20, 64 channels, stride 8), `Second` (10x10, 128),
/// `Third` (5x5, 128) and `Fourth` (3x3, 64). Against DSOD300: growth 48 → 12, bottleneck
/// width 4 → 2, layers per block 6/8/8/8 → 2/2/3/3, stem 64/64/128 → 8/8/16, `Second`'s halves
/// 256 → 64, downsampling blocks 256/128 → 64/32, two downsampling blocks instead of four.
/// docs/models.md gives every shape, the parameter count and the multiply-adds.
public func DSOD_tiny_Body(_ net: NetSpec, fromLayer: String) throws {
    typealias B = PreActivationBlocks
    let growthRate = 12
    // A 4x bottleneck (DSOD300's) would widen, not narrow, the 16-64 channels these blocks read.
    let bottleneckWidth = 2.0
    let dropout = 0.0
    var nchannels = 16  // the stem's output

    guard net.contains(fromLayer) else { throw NetSpecError.unknownTop(fromLayer, known: net.keys) }
    let maxPool2: ParamDict = ["pool": .enumValue("MAX"), "kernel_size": 2, "stride": 2]
    func denseBlock(_ input: Top, layers: Int) -> Top {
        var model = input
        for _ in 0..<layers {
            model = B.addBottleneckLayer(model, numFilter: growthRate, dropout: dropout, width: bottleneckWidth)
            nchannels += growthRate
        }
        return model
    }

    // Stem: 3x3 convs (the first with stride 2), then 2x2 max pool: 160 → 80 → 40.
    var model = B.stemConvBNReLU(try net.top(fromLayer), stride: 2, numOutput: 8)
    model = B.stemConvBNReLU(model, stride: 1, numOutput: 8)
    model = B.stemConvBNReLU(model, stride: 1, numOutput: nchannels)
    model = L.Pooling(model, params: maxPool2)

    model = denseBlock(model, layers: 2)  // 40x40
    model = B.transition(model, numFilter: nchannels, dropout: dropout)  // → 20x20
    model = denseBlock(model, layers: 2)
    model = B.transitionWithoutPooling(model, numFilter: nchannels, dropout: dropout)
    net["First"] = model  // 20x20

    var model1 = L.Pooling(model, params: maxPool2)  // 10x10
    model1 = denseBlock(model1, layers: 3)
    model1 = B.transitionWithoutPooling(model1, numFilter: nchannels, dropout: dropout)
    model1 = denseBlock(model1, layers: 3)
    model1 = B.transitionWithoutPooling(model1, numFilter: 64, dropout: dropout)

    // The learned half of Second beside a pooled-and-projected First.
    var fFirst = L.Pooling(try net.top("First"), params: maxPool2)
    fFirst = B.bnReLUConv(fFirst, kernelSize: 1, numOutput: 64, stride: 1, pad: 0, dropout: dropout)
    model1 = L.Concat(model1, fFirst, params: ["axis": 1])
    net["Second"] = model1  // 10x10

    let third = B.addDownsamplingLayer(model1, numFilter: 64, dropout: dropout, width: 1)
    net["Third"] = third  // 5x5
    net["Fourth"] = B.addDownsamplingLayer(third, numFilter: 32, dropout: dropout, width: 1)  // 3x3
}

import Foundation

/// The resize a data layer applied to the image (`ResizeParameter`), needed to map a normalized
/// box back to pixels of the original image.
public struct ImageResize: Equatable, Sendable {
    /// `ResizeParameter.Resize_mode`, with Caffe's enum numbers.
    public enum Mode: Int, Sendable {
        case warp = 1
        case fitSmallSize = 2
        case fitLargeSizeAndPad = 3
    }

    public var mode: Mode
    public var height: Int
    public var width: Int
    public var heightScale: Int
    public var widthScale: Int

    public init(mode: Mode = .warp, height: Int, width: Int, heightScale: Int = 0, widthScale: Int = 0) {
        self.mode = mode
        self.height = height
        self.width = width
        self.heightScale = heightScale
        self.widthScale = widthScale
    }
}

extension NormalizedBox {
    /// `OutputBBox`: the box in pixels of an image of `imageHeight` x `imageWidth`.
    ///
    /// Without a resize (or with WARP) the box is clipped to `[0, 1]` and scaled, so its `size`
    /// is the `+1` pixel area. FIT_LARGE_SIZE_AND_PAD first removes the padding,
    /// FIT_SMALL_SIZE with scales scales first and clips in pixels (Caffe's order).
    /// Throws where Caffe's `CHECK_GT` on the resize height or width would abort.
    public func outputBox(imageHeight: Int, imageWidth: Int, resize: ImageResize? = nil) throws -> NormalizedBox {
        guard let resize else {
            return clipped().scaled(height: imageHeight, width: imageWidth)
        }
        let resizeHeight = Float(resize.height), resizeWidth = Float(resize.width)
        guard resizeHeight > 0 else { throw DetectionError("OutputBBox: resize_param height is \(resize.height), expected > 0") }
        guard resizeWidth > 0 else { throw DetectionError("OutputBBox: resize_param width is \(resize.width), expected > 0") }
        switch resize.mode {
        case .warp:
            return clipped().scaled(height: imageHeight, width: imageWidth)
        case .fitLargeSizeAndPad:
            let resizeAspect = resizeWidth / resizeHeight
            let aspect = Float(imageWidth) / Float(imageHeight)
            var source = NormalizedBox(xmin: 0, ymin: 0, xmax: 1, ymax: 1, label: 0)
            if aspect > resizeAspect {
                let padding = (resizeHeight - resizeWidth / aspect) / 2
                source.ymin = padding / resizeHeight
                source.ymax = Float(1.0 - Double(padding / resizeHeight))
            } else {
                let padding = (resizeWidth - resizeHeight * aspect) / 2
                source.xmin = padding / resizeWidth
                source.xmax = Float(1.0 - Double(padding / resizeWidth))
            }
            var temp = self
            _ = projectBox(source: source, box: self, into: &temp)
            return temp.clipped().scaled(height: imageHeight, width: imageWidth)
        case .fitSmallSize:
            if resize.heightScale == 0 || resize.widthScale == 0 {
                return clipped().scaled(height: imageHeight, width: imageWidth)
            }
            return scaled(height: resize.heightScale, width: resize.widthScale)
                .clipped(height: Float(imageHeight), width: Float(imageWidth))
        }
    }
}

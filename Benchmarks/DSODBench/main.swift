import Foundation

// dsod-bench: `make bench`. The parent process writes the weights and prototxts, then runs every
// case in a child process of its own (so each peak-memory figure is that case's alone and each
// thread count is set before the kernels start), times the same deploy nets through OpenCV's dnn,
// and prints one table.

let usage = """
    usage: dsod-bench [--quick] [--full] [--no-opencv] [--profile] [--baseline] [--only SUBSTRING]
      --quick      fewer iterations, no batch-8 train step (a smoke run)
      --full       every case at 1 and at 2 threads
      --no-opencv  skip the OpenCV dnn column
      --profile    print where the time goes, by layer type (DSOD300 deploy b1, train b2)
      --baseline   add DSOD300 deploy b1 and train b8 with every NetOptimizations lever off
                   (Caffe's blob layout: the before of the memory and folding work)
      --only S     run only the cases whose key contains S (e.g. deploy-b1)

    examples (from the repository root; `make bench` builds it and passes BENCH_FLAGS):
      make bench
      make bench BENCH_FLAGS="--profile --baseline"
      .build/release/dsod-bench --quick --only DSOD300-deploy-b1
    """

let arguments = CommandLine.arguments
do {
    if arguments.count > 1 && arguments[1] == "--run-case" {
        guard let benchCase = BenchCase(arguments: arguments.dropFirst(2)) else { throw BenchError("bad --run-case arguments") }
        try ChildOutput.emit(try CaseRunner.run(benchCase))
    } else if arguments.count > 1 && arguments[1] == "--gemm" {
        guard arguments.count == 3, let threads = Int(arguments[2]) else { throw BenchError("bad --gemm arguments") }
        try ChildOutput.emit(CaseRunner.measureGemm(threads: threads))
    } else if arguments.count > 1 && arguments[1] == "--profile-case" {
        guard let benchCase = BenchCase(arguments: arguments.dropFirst(2)) else { throw BenchError("bad --profile-case arguments") }
        print(try Profiler.profile(benchCase))
    } else {
        var options = BenchOptions()
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--quick": options.quick = true
            case "--full": options.full = true
            case "--no-opencv": options.openCV = false
            case "--profile": options.profile = true
            case "--baseline": options.baseline = true
            case "--only":
                guard let value = rest.popFirst() else { throw BenchError("--only needs a value\n\(usage)") }
                options.only = value
            case "--help", "-h":
                print(usage)
                exit(0)
            default: throw BenchError("unknown argument '\(argument)'\n\(usage)")
            }
        }
        try BenchDriver(options: options).run()
    }
} catch {
    FileHandle.standardError.write(Data("dsod-bench: \(error)\n".utf8))
    exit(1)
}

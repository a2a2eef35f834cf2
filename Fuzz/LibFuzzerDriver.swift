import Foundation

#if DSOD_LIBFUZZER
// Built by `make fuzz` with coverage instrumentation (`-Xfrontend -sanitize=fuzzer`) and linked
// against libFuzzer's no-main runtime, so our own main chooses the target and hands control to
// libFuzzer's driver. A rejection that does not say where aborts, which libFuzzer records as a
// crash with its input.

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) private var libFuzzerTarget: FuzzTarget?

func runLibFuzzer(_ target: FuzzTarget, arguments: [String]) -> Never {
    libFuzzerTarget = target
    QuietOutput.begin()
    var argv: [UnsafeMutablePointer<CChar>?] = (["dsod-fuzz"] + arguments).map { strdup($0) } + [nil]
    var argc = CInt(arguments.count + 1)
    let status = argv.withUnsafeMutableBufferPointer { buffer -> CInt in
        guard var base = buffer.baseAddress else { return 2 }
        return LLVMFuzzerRunDriver(&argc, &base) { data, size in
            guard let target = libFuzzerTarget else { return 0 }
            let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
            do {
                _ = try target.run(bytes)
            } catch {
                FileHandle.standardError.write(Data("dsod-fuzz: \(error)\n".utf8))
                abort()
            }
            return 0
        }
    }
    QuietOutput.end()
    exit(status)
}
#else
func runLibFuzzer(_ target: FuzzTarget, arguments: [String]) -> Never {
    FileHandle.standardError.write(Data("""
        dsod-fuzz: this build has no libFuzzer; `make fuzz` builds one (.build-fuzz), or use \
        `dsod-fuzz run \(target.name) --seconds N` (the seeded mutation engine)\n
        """.utf8))
    exit(2)
}
#endif

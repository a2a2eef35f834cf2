import CaffeProto
import Foundation
import Layers
import Runtime

/// Targets for Caffe's own formats: prototxt text, binary protobuf, the legacy upgrades and
/// net building.
enum CaffeFormatTargets {
    static let all: [FuzzTarget] = [prototxt, solver, caffemodel, solverstate, binaryproto, upgrade, net]

    /// A text error must give the line and column.
    static func textLocated(_ file: String) -> (any Error, String) -> Bool {
        { error, _ in
            guard let e = error as? CaffeFormatError else { return false }
            return e.file == file && e.line != nil && e.column != nil && !e.message.isEmpty
        }
    }

    /// A binary error must give the byte offset.
    static func binaryLocated(_ file: String) -> (any Error, String) -> Bool {
        { error, _ in
            guard let e = error as? CaffeFormatError else { return false }
            return e.file == file && e.byteOffset != nil && !e.message.isEmpty
        }
    }

    /// Errors after parsing (upgrades, net building, weights) must name the file or a layer.
    static func netLocated(_ file: String) -> (any Error, String) -> Bool {
        { error, text in
            switch error {
            case let e as CaffeFormatError:
                // Upgrade errors name the layer or the legacy field (input, input_dim, layers).
                return e.file == file && (e.line != nil || ["layer", "input", "param"].contains { text.contains($0) })
            case let e as NetError: return e.layer != nil || text.contains("layer") || text.contains("blob") || text.contains("input")
            case is LayerError: return true
            default: return text.contains("layer '") || text.contains("layer \"")
            }
        }
    }

    static let prototxt = FuzzTarget(
        name: "prototxt", summary: "NetParameter text (the prototxt parser)", isText: true, maximumLength: 64_000,
        seeds: {
            SeedCorpus.files("reference/prototxt", extensions: ["prototxt"], maxBytes: 64_000)
                + SeedCorpus.files("golden/formats", extensions: ["prototxt"], maxBytes: 64_000)
                + SeedCorpus.files("golden/layers", extensions: ["prototxt"], maxBytes: 16_000, limit: 60)
        },
        run: { bytes in
            let file = "fuzz.prototxt"
            do {
                _ = try CaffeText.parse(bytes: bytes, as: Caffe_NetParameter.self, file: file)
                return .accepted
            } catch {
                return try Rejection.check(error, target: "prototxt", textLocated(file))
            }
        })

    static let solver = FuzzTarget(
        name: "solver", summary: "SolverParameter text and the solver_type upgrade", isText: true, maximumLength: 16_000,
        seeds: {
            SeedCorpus.files("golden/solvers", extensions: ["prototxt"], maxBytes: 16_000).filter { String(decoding: $0, as: UTF8.self).contains("base_lr") }
                + SeedCorpus.files("golden/formats/legacy", extensions: ["prototxt"], maxBytes: 16_000).filter { String(decoding: $0, as: UTF8.self).contains("solver") }
                + SeedCorpus.files("prototxt", extensions: ["prototxt"], maxBytes: 16_000, inRepo: true).filter { String(decoding: $0, as: UTF8.self).contains("base_lr") }
        },
        run: { bytes in
            let file = "fuzz_solver.prototxt"
            var parameter: Caffe_SolverParameter
            do {
                parameter = try CaffeText.parse(bytes: bytes, as: Caffe_SolverParameter.self, file: file)
            } catch {
                return try Rejection.check(error, target: "solver", textLocated(file))
            }
            do {
                try SolverUpgrade.upgrade(&parameter, file: file)
                return .accepted
            } catch {
                return try Rejection.check(error, target: "solver") { e, text in (e as? CaffeFormatError)?.file == file && text.contains("solver") }
            }
        })

    /// Decodes a caffemodel, upgrades it as every read does and turns each stored blob into a
    /// Blob (the allocation a weights file can ask for).
    static let caffemodel = FuzzTarget(
        name: "caffemodel", summary: "binary NetParameter (.caffemodel), upgrade, blobs", isText: false, maximumLength: 100_000,
        seeds: {
            SeedCorpus.files("golden/formats", extensions: ["caffemodel"], maxBytes: 100_000)
                + SeedCorpus.files("golden/solvers", extensions: ["caffemodel"], maxBytes: 100_000, limit: 12)
        },
        run: { bytes in
            let file = "fuzz.caffemodel"
            var net: Caffe_NetParameter
            do {
                net = try CaffeBinary.decode(Data(bytes), as: Caffe_NetParameter.self, file: file).message
            } catch {
                return try Rejection.check(error, target: "caffemodel", binaryLocated(file))
            }
            do {
                _ = try NetUpgrade.upgrade(&net, file: file)
                for layer in net.layer {
                    for (i, proto) in layer.blobs.enumerated() {
                        do { _ = try Blob(proto: proto) } catch {
                            throw NetError(file: file, layer: layer.name, message: "blob \(i): \(error)")
                        }
                    }
                }
                return .accepted
            } catch {
                return try Rejection.check(error, target: "caffemodel", netLocated(file))
            }
        })

    static let solverstate = FuzzTarget(
        name: "solverstate", summary: "binary SolverState (.solverstate) and its history blobs", isText: false, maximumLength: 50_000,
        seeds: { SeedCorpus.files("golden/solvers", extensions: ["solverstate"], maxBytes: 50_000, limit: 40) },
        run: { bytes in
            let file = "fuzz.solverstate"
            do {
                let state = try CaffeBinary.decode(Data(bytes), as: Caffe_SolverState.self, file: file).message
                for (i, proto) in state.history.enumerated() {
                    do { _ = try Blob(proto: proto) } catch {
                        throw CaffeFormatError(file: file, message: "history blob \(i): \(error)")
                    }
                }
                return .accepted
            } catch {
                return try Rejection.check(error, target: "solverstate") { e, text in
                    binaryLocated(file)(e, text) || text.contains("history blob")
                }
            }
        })

    static let binaryproto = FuzzTarget(
        name: "binaryproto", summary: "binary BlobProto (mean files)", isText: false, maximumLength: 100_000,
        seeds: { SeedCorpus.files("golden", extensions: ["binaryproto"], maxBytes: 100_000, limit: 20) },
        run: { bytes in
            let file = "fuzz.binaryproto"
            do {
                let proto = try CaffeBinary.decode(Data(bytes), as: Caffe_BlobProto.self, file: file).message
                do { _ = try Blob(proto: proto) } catch { throw CaffeFormatError(file: file, message: "the blob: \(error)") }
                return .accepted
            } catch {
                return try Rejection.check(error, target: "binaryproto") { e, text in
                    binaryLocated(file)(e, text) || text.contains("the blob: ")
                }
            }
        })

    /// V0 and V1 nets (text and binary) through the upgrades Caffe applies on every read.
    static let upgrade = FuzzTarget(
        name: "upgrade", summary: "legacy V0/V1 nets through NetUpgrade", isText: true, maximumLength: 32_000,
        seeds: {
            SeedCorpus.files("golden/formats/legacy", extensions: ["prototxt", "txt"], maxBytes: 32_000)
        },
        run: { bytes in
            let file = "fuzz_legacy.prototxt"
            var net: Caffe_NetParameter
            do {
                net = try CaffeText.parse(bytes: bytes, as: Caffe_NetParameter.self, file: file)
            } catch {
                return try Rejection.check(error, target: "upgrade", textLocated(file))
            }
            do {
                _ = try NetUpgrade.upgrade(&net, file: file)
                return .accepted
            } catch {
                return try Rejection.check(error, target: "upgrade", netLocated(file))
            }
        })

    /// Builds the net (every layer set up and reshaped, as Net::Init) and runs one forward pass
    /// over zero inputs: the shapes a prototxt declares reach the allocator here.
    static let net = FuzzTarget(
        name: "net", summary: "build a Net from a prototxt and run it forward", isText: true, maximumLength: 16_000,
        seeds: {
            SeedCorpus.files("golden/formats/caffemodel", extensions: ["prototxt"], maxBytes: 8_000).filter { !String(decoding: $0, as: UTF8.self).contains("blobs {") }
                + SeedCorpus.files("golden/layers", extensions: ["prototxt"], maxBytes: 8_000, limit: 120)
                + SeedCorpus.files("golden/formats/bad_inputs", extensions: ["prototxt"], maxBytes: 8_000)
        },
        run: { bytes in
            let file = "fuzz_net.prototxt"
            var parameter: Caffe_NetParameter
            do {
                parameter = try CaffeText.parse(bytes: bytes, as: Caffe_NetParameter.self, file: file)
                _ = try NetUpgrade.upgrade(&parameter, file: file)
            } catch {
                return try Rejection.check(error, target: "net") { e, text in
                    textLocated(file)(e, text) || netLocated(file)(e, text)
                }
            }
            do {
                let built = try Net(parameter: parameter, phase: .test, registry: .standard, seed: 1)
                try built.forward()
                return .accepted
            } catch {
                return try Rejection.check(error, target: "net", netLocated(file))
            }
        })
}

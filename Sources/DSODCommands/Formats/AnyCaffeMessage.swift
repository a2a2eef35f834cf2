import Foundation
import ArgumentParser
import CaffeProto
import SwiftProtobuf

/// The kinds of message a Caffe file can hold, for tools that accept any of them.
enum CaffeFileKind: String, CaseIterable {
    case net, solver, solverstate, blob, labelmap, datum

    /// The kind a path names by its extension, when it does.
    static func byExtension(_ path: String) -> CaffeFileKind? {
        switch (path as NSString).pathExtension.lowercased() {
        case "caffemodel": return .net
        case "solverstate": return .solverstate
        case "binaryproto": return .blob
        default: return nil
        }
    }
}

/// A message of any of the kinds above, read with Caffe's upgrades applied.
enum AnyCaffeMessage {
    case net(Caffe_NetParameter)
    case solver(Caffe_SolverParameter)
    case solverstate(Caffe_SolverState)
    case blob(Caffe_BlobProto)
    case labelmap(Caffe_LabelMap)
    case datum(Caffe_AnnotatedDatum)

    var kind: CaffeFileKind {
        switch self {
        case .net: return .net
        case .solver: return .solver
        case .solverstate: return .solverstate
        case .blob: return .blob
        case .labelmap: return .labelmap
        case .datum: return .datum
        }
    }

    /// Reads `path` as `kind`, or, for text files of unknown kind, as a net, then a solver, then
    /// a label map; the net's error is the one reported when nothing fits.
    static func read(_ path: String, kind: CaffeFileKind?, upgrade: Bool) throws -> (AnyCaffeMessage, CaffeFiles.Loaded<Caffe_NetParameter>?) {
        let kind = kind ?? CaffeFileKind.byExtension(path)
        switch kind {
        case .net:
            let loaded = upgrade ? try CaffeFiles.loadNet(path) : try CaffeFiles.load(path, as: Caffe_NetParameter.self)
            return (.net(loaded.message), loaded)
        case .solver:
            return (.solver(upgrade ? try CaffeFiles.readSolver(path) : try CaffeFiles.read(path)), nil)
        case .solverstate: return (.solverstate(try CaffeFiles.read(path)), nil)
        case .blob: return (.blob(try CaffeFiles.read(path)), nil)
        case .labelmap: return (.labelmap(try CaffeFiles.read(path)), nil)
        case .datum: return (.datum(try CaffeFiles.read(path)), nil)
        case nil:
            do {
                return try read(path, kind: .net, upgrade: upgrade)
            } catch let netError {
                if let solver = try? read(path, kind: .solver, upgrade: upgrade) { return solver }
                if let labels = try? read(path, kind: .labelmap, upgrade: upgrade) { return labels }
                throw netError
            }
        }
    }

    /// Writes the message to `path`, as text or binary by its extension.
    func write(to path: String) throws {
        switch self {
        case .net(let m): try CaffeFiles.write(m, to: path)
        case .solver(let m): try CaffeFiles.write(m, to: path)
        case .solverstate(let m): try CaffeFiles.write(m, to: path)
        case .blob(let m): try CaffeFiles.write(m, to: path)
        case .labelmap(let m): try CaffeFiles.write(m, to: path)
        case .datum(let m): try CaffeFiles.write(m, to: path)
        }
    }
}

extension CaffeFileKind: ExpressibleByArgument {}

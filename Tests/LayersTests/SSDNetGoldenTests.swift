import CaffeProto
import Foundation
import Layers
import Runtime
import TestSupport
import XCTest

/// golden/nets/dsod300_deploy's detection_out (68 rows on astronaut.jpg): image ids, labels and
/// row order exact, scores within atol_score, boxes within atol_box — once from Caffe's own
/// mbox_loc / mbox_conf_softmax / mbox_priorbox through the DetectionOutput layer alone, and once
/// at the end of our whole DSOD300 deploy net.
final class SSDNetGoldenTests: XCTestCase {
    private let folder = TestPaths.golden("nets/dsod300_deploy")

    private func compareRows(_ ours: Blob, file: StaticString = #filePath, line: UInt = #line) throws {
        let caffe = try NumpyArray.read(folder.appendingPathComponent("blobs/detection_out.npy").path)
        let json = try GoldenCase(folder: folder).json
        let entry = (json["blobs"] as? [String: Any])?["detection_out"] as? [String: Any] ?? [:]
        let atolScore = (entry["atol_score"] as? NSNumber)?.floatValue ?? 0
        let atolBox = (entry["atol_box"] as? NSNumber)?.floatValue ?? 0
        XCTAssertEqual(ours.shape, caffe.shape, "detection_out shape", file: file, line: line)
        guard ours.shape == caffe.shape else { return }
        let values = ours.dataArray()
        for r in 0..<(caffe.count / 7) {
            let a = Array(values[(r * 7)..<(r * 7 + 7)]), b = Array(caffe.values[(r * 7)..<(r * 7 + 7)])
            XCTAssertEqual(a[0...1], b[0...1], "row \(r): image and label", file: file, line: line)
            XCTAssertLessThanOrEqual(abs(a[2] - b[2]), atolScore, "row \(r) score: ours \(a), Caffe \(b)", file: file, line: line)
            for k in 3..<7 {
                XCTAssertLessThanOrEqual(abs(a[k] - b[k]), atolBox, "row \(r) box: ours \(a), Caffe \(b)", file: file, line: line)
            }
        }
    }

    private func deployNet() throws -> Caffe_NetParameter {
        try CaffeFiles.readNet(folder.appendingPathComponent("deploy_nosave.prototxt").path)
    }

    func testDetectionOutputOnCaffesHeads() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: folder.path), "golden data not found")
        let parameter = try XCTUnwrap(try deployNet().layer.first { $0.type == "DetectionOutput" })
        let layer = try LayerRegistry.standard.makeLayer(parameter, context: LayerContext(random: RandomSource()))
        func blob(_ name: String, shape: [Int]? = nil) throws -> Blob {
            let array = try NumpyArray.read(folder.appendingPathComponent("blobs/\(name).npy").path)
            return try Blob(shape: shape ?? array.shape, values: array.values)
        }
        let loc = try blob("mbox_loc")
        let softmax = try blob("mbox_conf_softmax")
        let conf = try blob("mbox_conf_softmax", shape: [softmax.shape[0], softmax.count / softmax.shape[0]])
        let bottoms = [loc, conf, try blob("mbox_priorbox")]
        let top = try Blob()
        try layer.setUp(bottom: bottoms, top: [top])
        try layer.runForward(bottom: bottoms, top: [top])
        try compareRows(top)
    }

    func testDetectionOutputAtTheEndOfTheDeployNet() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: folder.path), "golden data not found")
        let net = try Net(parameter: deployNet(), phase: .test, registry: .standard)
        try net.loadWeights(from: folder.appendingPathComponent("weights.caffemodel").path)
        let data = try NumpyArray.read(folder.appendingPathComponent("blobs/data.npy").path)
        try XCTUnwrap(net.blob(named: "data")).setData(data.values)
        try net.forward()
        try compareRows(try XCTUnwrap(net.blob(named: "detection_out")))
    }
}

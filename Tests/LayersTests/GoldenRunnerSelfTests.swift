@testable import Layers
import Runtime
import TestSupport
import XCTest

/// The golden runner must be able to fail: a wrong layer or a fixed quirk must not pass.
final class GoldenRunnerSelfTests: XCTestCase {
    private func outcome(_ name: String, registry: LayerRegistry = .standard, options: LayerOptions = LayerOptions()) throws -> GoldenOutcome {
        let runner = GoldenLayerRunner(registry: registry, options: options)
        return runner.run(try GoldenCase(folder: TestPaths.golden("layers/\(name)")))
    }

    func testExactNormalizeGradientDiffersFromCaffe() throws {
        // Caffe's Normalize backward is not the analytic gradient when channel scales differ.
        guard case .passed = try outcome("normalize_perchannel_scales") else { return XCTFail("Caffe's quirk should pass") }
        guard case .failed = try outcome("normalize_perchannel_scales", options: LayerOptions(exactNormalizeGradient: true)) else {
            return XCTFail("the exact gradient must differ from Caffe's golden bottom diff")
        }
        // With equal scales both agree.
        guard case .passed = try outcome("normalize_location_shared", options: LayerOptions(exactNormalizeGradient: true)) else {
            return XCTFail("with one shared scale the exact and Caffe gradients agree")
        }
    }

    func testWrongLayerFails() throws {
        var registry = LayerRegistry.standard
        registry.register("ReLU") { parameter, context in try TanHLayer(parameter: parameter, context: context) }
        guard case .failed = try outcome("relu", registry: registry) else { return XCTFail("a TanH posing as ReLU passed") }
    }

    func testUnregisteredTypeIsSkipped() throws {
        var registry = LayerRegistry()
        registry.register(InputLayer.self)
        guard case .skipped(_, let types) = try outcome("relu", registry: registry) else { return XCTFail("expected a skip") }
        XCTAssertEqual(types, ["ReLU"])
    }
}

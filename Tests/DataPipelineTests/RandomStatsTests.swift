import CaffeProto
import DataPipeline
import Foundation
import Runtime
import TestSupport
import XCTest

/// TRAIN-phase randomness compared in distribution with random_stats/stats.json (Caffe's runs
/// with seed 1701; streams differ, rates must agree within sampling error).
final class RandomStatsTests: XCTestCase {
    /// |ours − caffe| ≤ 4 σ of the difference of two sample proportions.
    func assertRate(_ ours: Double, n: Int, caffe: Double, caffeN: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let p = max(min(caffe, 1 - 1e-3), 1e-3)
        let sigma = (p * (1 - p) / Double(n) + p * (1 - p) / Double(caffeN)).squareRoot()
        XCTAssertLessThanOrEqual(abs(ours - caffe), 4 * sigma + 1e-9, "\(what): ours \(ours) (n \(n)) vs Caffe \(caffe) (n \(caffeN))", file: file, line: line)
    }

    var stats: [String: Any] { (try? LMDBGolden.json("random_stats/stats.json")) ?? [:] }

    static func records(_ source: String) throws -> [(key: String, record: AnnotatedRecord)] {
        let cursor = try LMDBReader(path: LMDBGolden.path(source)).makeCursor()
        return try (0..<cursor.entries).map { _ in
            let r = try cursor.read()
            return (r.key, try RecordDecoder.annotated(r.value, key: r.key, source: source))
        }
    }

    static func loader(_ net: String, seed: UInt32 = 1701) throws -> AnnotatedBatchLoader {
        let folder = LMDBGolden.root.appendingPathComponent("random_stats").path
        let layer = try XCTUnwrap(try CaffeFiles.readNet(folder + "/" + net).layer.first)
        return try AnnotatedBatchLoader(layer: layer, phase: .train, baseDirectory: folder, seed: seed)
    }

    /// Mirror: each TRAIN output is exactly the TEST output or its left-right flip; the flip rate
    /// matches Caffe's and boxes go x → 1 − x.
    func testMirrorRateAndBoxFlip() throws {
        let train = try Self.loader("net_mirror.prototxt")
        var reference = train.transformer
        reference.config.mirror = false
        let records = try Self.records("voc_mini/trainval_lmdb")
        var referenceData: [[Float]] = []
        var referenceBoxes: [[[Float]]] = []
        var rng = CaffeRandom(seed: 1)
        for (_, record) in records {
            let decoded = try reference.decode(record.datum, location: "ref")
            let shape = try reference.outputShape(decoded, location: "ref")
            var out = [Float](repeating: 0, count: shape.reduce(1, *))
            let outcome = try out.withUnsafeMutableBufferPointer { try reference.transform(decoded, shape: shape, into: $0.baseAddress!, rng: &rng, location: "ref") }
            referenceData.append(out)
            let groups = try reference.transformAnnotations(record.groups, datumHeight: record.datum.height, datumWidth: record.datum.width,
                                                            doResize: true, crop: outcome.crop, mirror: false, location: "ref")
            referenceBoxes.append(groups.flatMap { $0.annotations.map { [$0.box.xmin, $0.box.ymin, $0.box.xmax, $0.box.ymax] } })
        }
        var mirrored = 0, images = 0
        for _ in 0..<100 {
            let batch = try train.nextBatch()
            let itemSize = batch.data.count / 4
            for item in 0..<4 {
                let ours = Array(batch.data[(item * itemSize)..<((item + 1) * itemSize)])
                let ref = referenceData[item]
                let (h, w) = (batch.dataShape[2], batch.dataShape[3])
                var flipped = ref
                for c in 0..<3 { for y in 0..<h { for x in 0..<w { flipped[(c * h + y) * w + x] = ref[(c * h + y) * w + (w - 1 - x)] } } }
                let isPlain = ours == ref, isFlipped = ours == flipped
                XCTAssertTrue(isPlain || isFlipped, "item \(item) is neither the plain nor the flipped image")
                let rows = stride(from: 0, to: batch.label.count, by: 8).map { Array(batch.label[$0..<($0 + 8)]) }.filter { Int($0[0]) == item }
                for (row, box) in zip(rows, referenceBoxes[item]) {
                    if isFlipped && !isPlain {
                        XCTAssertEqual(row[3], 1 - box[2]); XCTAssertEqual(row[5], 1 - box[0])
                    } else {
                        XCTAssertEqual(row[3], box[0]); XCTAssertEqual(row[5], box[2])
                    }
                }
                if isFlipped && !isPlain { mirrored += 1 }
                images += 1
            }
        }
        let caffe = try XCTUnwrap(stats["mirror"] as? [String: Any])
        assertRate(Double(mirrored) / Double(images), n: images, caffe: caffe["rate"] as? Double ?? 0, caffeN: caffe["images"] as? Int ?? 1, "mirror rate")
    }

    /// Interpolation: one of the listed modes per image, uniformly (Caffe: 72/82/83/82/81 of 400).
    func testInterpolationChoiceIsUniform() throws {
        let layer = try CaffeFiles.readNet(LMDBGolden.path("random_stats/net_interp.prototxt")).layer[0]
        let policy = try ResizePolicy(layer.transformParam.resizeParam, layer: "data")
        var rng = CaffeRandom(seed: 1701)
        var counts: [Interpolation: Int] = [:]
        let n = 4000
        for _ in 0..<n { counts[policy.drawInterpolation(&rng), default: 0] += 1 }
        let caffe = try XCTUnwrap((stats["interp_mode_choice"] as? [String: Any])?["counts"] as? [String: Int])
        let names: [Interpolation: String] = [.linear: "LINEAR", .area: "AREA", .nearest: "NEAREST", .cubic: "CUBIC", .lanczos4: "LANCZOS4"]
        for (mode, name) in names {
            assertRate(Double(counts[mode, default: 0]) / Double(n), n: n, caffe: Double(caffe[name] ?? 0) / 400, caffeN: 400, "share of \(name)")
        }
    }

    /// Distortion (no JPEG round trip here): the fraction of untouched images for a colour and
    /// the gray record, and outputs saturating inside [0, 255] with clipping at both ends.
    func testDistortionRatesAndRange() throws {
        let layer = try CaffeFiles.readNet(LMDBGolden.path("random_stats/net_distort.prototxt")).layer[0]
        let distortion = try Distortion(layer.transformParam.distortParam, layer: "data")
        let records = try Self.records("random_stats/small_lmdb")
        let caffe = try XCTUnwrap((stats["distortion"] as? [String: Any])?["fraction_identical_per_record"] as? [String: Double])
        var rng = CaffeRandom(seed: 1701)
        var sawZero = false, saw255 = false
        for (key, record) in records {
            let image = try record.datum.decodeImage(.color, location: key)
            var identical = 0
            let n = 1500
            for _ in 0..<n {
                let out = try distortion.apply(image, rng: &rng)
                XCTAssertEqual(out.pixels.count, image.pixels.count)
                if out == image { identical += 1 }
                sawZero = sawZero || out.pixels.contains(0)
                saw255 = saw255 || out.pixels.contains(255)
            }
            // Caffe's figure counts outputs equal to a plain JPEG re-encode (150 draws per record).
            assertRate(Double(identical) / Double(n), n: n, caffe: caffe[key] ?? 0, caffeN: 150, "untouched \(key)")
        }
        XCTAssertTrue(sawZero && saw255, "distortions should saturate at 0 and 255")
    }

    /// DSOD's samplers on expanded images, annotation geometry only, as Caffe's harness measured:
    /// samples generated per sampler, every sample inside the image and meeting its constraint,
    /// boxes kept after the CENTER emit constraint.
    func testDSODSamplersMatchCaffeHarness() throws {
        let layer = try CaffeFiles.readNet(LMDBGolden.path("random_stats/net_dsod_train.prototxt")).layer[0]
        let samplers = try layer.annotatedDataParam.batchSampler.map { try BatchSamplerSpec($0, location: "s") }
        var config = try TransformConfig(layer.transformParam, phase: .train, layer: "data", baseDirectory: LMDBGolden.path("random_stats"))
        config.resize = nil
        let transformer = DataTransformer(config: config)
        let harness = try XCTUnwrap((stats["sampler_harness"] as? [String: Any])?["records"] as? [String: [String: Any]])
        var rng = CaffeRandom(seed: 1701)
        let rounds = 2000
        for (key, record) in try Self.records("voc_mini/trainval_lmdb") {
            var generated = [Int](repeating: 0, count: samplers.count)
            var kept: [Int: Int] = [:]
            var expandedCount = 0
            for _ in 0..<rounds {
                var groups = record.groups
                if rng.uniform(0, 1) <= 0.5 {
                    expandedCount += 1
                    let ratio = rng.uniform(1, 4)
                    let g = DataTransformer.expansionGeometry(height: record.datum.height, width: record.datum.width, ratio: ratio, rng: &rng)
                    XCTAssertTrue(ratio >= 1 && ratio <= 4)
                    XCTAssertTrue(g.xOffset >= 0 && g.xOffset <= g.canvasWidth - record.datum.width)
                    groups = try transformer.transformAnnotations(groups, datumHeight: 0, datumWidth: 0, doResize: false,
                                                                  crop: g.box, mirror: false, location: key)
                }
                let objects = groups.flatMap { $0.annotations.map(\.box) }
                var all: [NormalizedBox] = []
                for (s, sampler) in samplers.enumerated() {
                    let samples = sampler.generate(objects: objects, rng: &rng)
                    generated[s] += samples.count
                    for box in samples {
                        XCTAssertTrue(box.xmin >= 0 && box.ymin >= 0 && box.xmax <= 1.0000001 && box.ymax <= 1.0000001, "\(box)")
                        if let m = sampler.minJaccard {
                            XCTAssertTrue(objects.contains { BoxGeometry.jaccard(box, $0) >= m }, "sample \(box) violates min_jaccard \(m)")
                        }
                    }
                    all += samples
                }
                guard !all.isEmpty else { continue }
                let pick = all[Int(rng.next() % UInt32(all.count))]
                let cropped = try transformer.transformAnnotations(groups, datumHeight: 0, datumWidth: 0, doResize: false,
                                                                   crop: BoxGeometry.clip(pick), mirror: false, location: key)
                // Emit constraint: every kept box had its centre inside the crop.
                let keptBoxes = cropped.reduce(0) { $0 + $1.annotations.count }
                let centresInside = objects.filter {
                    let cx = ($0.xmin + $0.xmax) / 2, cy = ($0.ymin + $0.ymax) / 2
                    let c = BoxGeometry.clip(pick)
                    return cx >= c.xmin && cx <= c.xmax && cy >= c.ymin && cy <= c.ymax
                }.count
                XCTAssertLessThanOrEqual(keptBoxes, centresInside)
                kept[keptBoxes, default: 0] += 1
            }
            let theirs = try XCTUnwrap(harness[key])
            assertRate(Double(expandedCount) / Double(rounds), n: rounds, caffe: theirs["fraction_expanded"] as? Double ?? 0, caffeN: 1000, "\(key) expanded")
            let perSampler = try XCTUnwrap(theirs["generated_per_sampler_mean"] as? [Double])
            for (s, p) in perSampler.enumerated() {
                assertRate(Double(generated[s]) / Double(rounds), n: rounds, caffe: p, caffeN: 1000, "\(key) sampler \(s) generated")
            }
            let keptCaffe = try XCTUnwrap((theirs["all_chosen"] as? [String: Any])?["boxes_kept"] as? [String: Int])
            for (boxes, count) in keptCaffe where count > 0 {
                assertRate(Double(kept[Int(boxes) ?? -1, default: 0]) / Double(rounds), n: rounds, caffe: Double(count) / 1000, caffeN: 1000, "\(key) kept \(boxes)")
            }
        }
    }

    /// SampleBBox with DSOD's samplers: Caffe's float sqrt makes a crop 1.00000012 wide in about
    /// 5 of 1000 draws (and then aborts); the same arithmetic here overshoots at that rate, and
    /// the sampled boxes are clamped inside the image.
    func testSampledCropsStayInsideTheImage() throws {
        let layer = try CaffeFiles.readNet(LMDBGolden.path("random_stats/net_dsod_train.prototxt")).layer[0]
        let sampler = try BatchSamplerSpec(layer.annotatedDataParam.batchSampler[6], location: "s")
        var rng = CaffeRandom(seed: 3)
        var overshoots = 0
        let n = 200_000
        for _ in 0..<n {
            let size = BatchSamplerSpec.cropSize(scale: rng.uniform(sampler.minScale, sampler.maxScale),
                                                 aspect: rng.uniform(sampler.minAspectRatio, sampler.maxAspectRatio))
            if size.width > 1 || size.height > 1 { overshoots += 1 }
        }
        assertRate(Double(overshoots) / Double(n), n: n, caffe: 0.005263, caffeN: 20_000_000, "crops wider than the image")
        for _ in 0..<20_000 {
            let box = sampler.sampleBox(&rng)
            XCTAssertTrue(box.xmin >= 0 && box.ymin >= 0 && box.xmax - box.xmin <= 1 && box.ymax - box.ymin <= 1, "\(box)")
        }
    }

    /// Expansion through the layer: about half the images expanded, canvas filled with the mean
    /// (exact zeros after subtraction), boxes shrunk by the ratio (1..4).
    func testExpansionThroughTheLayer() throws {
        let loader = try Self.loader("net_expand.prototxt")
        var expanded = 0, withBox = 0
        for _ in 0..<40 {
            let batch = try loader.nextBatch()
            for row in stride(from: 0, to: batch.label.count, by: 8) where batch.label[row] == 1 {
                // astronaut's person box: 0.668 wide in the original.
                guard batch.label[row + 1] == 15 else { continue }
                let width = batch.label[row + 5] - batch.label[row + 3]
                let ratio = (0.70703125 - 0.0390625) / width
                XCTAssertTrue(ratio > 0.999 && ratio < 4.01, "ratio \(ratio)")
                withBox += 1
                if ratio > 1.001 { expanded += 1 }
            }
            XCTAssertTrue(batch.label.enumerated().allSatisfy { ($0.offset % 8 < 3) || ($0.element >= 0 && $0.element <= 1) })
        }
        let caffe = (stats["expansion"] as? [String: Any])?["fraction_expanded"] as? Double ?? 0
        assertRate(Double(expanded) / Double(withBox), n: withBox, caffe: caffe, caffeN: 450, "expanded fraction")
    }

    /// The full DSOD300 train layer (+ force_color): labels in [0, 1], never a placeholder,
    /// difficult boxes kept, boxes kept per record as Caffe, data within pixel − mean bounds.
    func testDSODTrainLayer() throws {
        let loader = try Self.loader("net_dsod_train.prototxt")
        let prefetcher = BatchPrefetcher(source: loader)
        let caffe = try XCTUnwrap((stats["dsod_train_full"] as? [String: Any])?["boxes_kept_per_image"] as? [String: [String: Any]])
        let keys = ["00000000_JPEGImages/coffee.jpg", "00000001_JPEGImages/astronaut.jpg", "00000002_JPEGImages/camera.jpg", "00000003_JPEGImages/chelsea.jpg"]
        var keptSum = [Int](repeating: 0, count: 4)
        var difficultRows = 0
        let batches = 25
        for _ in 0..<batches {
            let batch = try prefetcher.next()
            XCTAssertEqual(batch.dataShape, [4, 3, 300, 300])
            XCTAssertEqual(batch.keys, keys)
            XCTAssertNotEqual(batch.label.first, -1)
            let plane = 300 * 300
            let means: [Float] = [104, 117, 123]
            for (i, v) in batch.data.enumerated() {
                let c = (i / plane) % 3
                if v < -means[c] || v > 255 - means[c] { XCTFail("value \(v) outside channel \(c) range"); break }
            }
            for row in stride(from: 0, to: batch.label.count, by: 8) {
                keptSum[Int(batch.label[row])] += 1
                if batch.label[row + 7] == 1 { difficultRows += 1 }
                for k in 3..<7 { XCTAssertTrue(batch.label[row + k] >= 0 && batch.label[row + k] <= 1) }
            }
        }
        prefetcher.stop()
        XCTAssertGreaterThan(difficultRows, 0, "difficult boxes must reach the label top")
        for (i, key) in keys.enumerated() {
            let theirs = try XCTUnwrap(caffe[key])
            let mean = theirs["mean"] as? Double ?? 0
            let ours = Double(keptSum[i]) / Double(batches)
            XCTAssertLessThanOrEqual(abs(ours - mean), 0.25 + 1e-9, "\(key) boxes kept per image: ours \(ours), Caffe \(mean)")
        }
    }
}

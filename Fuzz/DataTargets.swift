import CaffeProto
import DataPipeline
import Detection
import Foundation
import Runtime

/// Targets for the data side: LMDB records, images, annotation files, label maps, name-size
/// files and .npy arrays.
enum DataTargets {
    static let all: [FuzzTarget] = [datum, annotatedDatum, image, vocXML, cocoJSON, labelMap, nameSize, npy]

    /// A data error must name `place` (the file, or the LMDB and key).
    static func names(_ place: String) -> (any Error, String) -> Bool {
        { error, _ in
            guard let e = error as? DataPipelineError else { return false }
            return e.location.contains(place) && !e.message.isEmpty
        }
    }

    static let vocNames: [String: Int32] = {
        let names = ["background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
                     "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"]
        var map: [String: Int32] = [:]
        for (i, name) in names.enumerated() { map[name] = Int32(i) }
        return map
    }()

    /// Decodes a Datum record and, when encoded, its image.
    static let datum = FuzzTarget(
        name: "datum", summary: "Datum records (Data layer LMDBs), raw and encoded", isText: false, maximumLength: 120_000,
        seeds: {
            SeedCorpus.lmdbRecords("golden/formats/mean") + SeedCorpus.lmdbRecords("golden/lmdb/random_stats", limit: 8)
                + [[UInt8]](tinyDatums)
        },
        run: { bytes in
            let source = "fuzz_lmdb"
            do {
                let record = try RecordDecoder.datum(Data(bytes), key: "00000001", source: source)
                if record.encoded { _ = try record.decodeImage(.color, location: "\(source) key \"00000001\"") }
                else { _ = record.rawImage() }
                return .accepted
            } catch {
                return try Rejection.check(error, target: "datum", names("\(source) key \"00000001\""))
            }
        })

    /// Raw datums the fuzzer can grow: 3x2x2 bytes and a float datum.
    static let tinyDatums: [[UInt8]] = {
        var raw = Caffe_Datum()
        raw.channels = 3; raw.height = 2; raw.width = 2; raw.data = Data((0..<12).map(UInt8.init)); raw.label = 1
        var floats = Caffe_Datum()
        floats.channels = 1; floats.height = 1; floats.width = 3; floats.floatData = [0.5, -1, 2]
        return [raw, floats].compactMap { (try? $0.serializedData()).map { [UInt8]($0) } }
    }()

    /// Decodes an AnnotatedDatum record and its image.
    static let annotatedDatum = FuzzTarget(
        name: "annotated-datum", summary: "AnnotatedDatum records (SSD LMDBs)", isText: false, maximumLength: 200_000,
        seeds: {
            SeedCorpus.lmdbRecords("golden/lmdb/voc_mini", limit: 8) + SeedCorpus.lmdbRecords("golden/lmdb/annotated_data_test", limit: 8)
                + SeedCorpus.lmdbRecords("golden/lmdb/create_annoset", limit: 8)
        },
        run: { bytes in
            let source = "fuzz_annotated_lmdb"
            do {
                let record = try RecordDecoder.annotated(Data(bytes), key: "00000001", source: source)
                if record.datum.encoded { _ = try record.datum.decodeImage(.native, location: "\(source) key \"00000001\"") }
                return .accepted
            } catch {
                return try Rejection.check(error, target: "annotated-datum", names("\(source) key \"00000001\""))
            }
        })

    /// JPEG (libjpeg-turbo wrapper) and PNG decoding in the three imdecode modes.
    static let image = FuzzTarget(
        name: "jpeg", summary: "JPEG and PNG decoding (header, then pixels)", isText: false, maximumLength: 200_000,
        seeds: {
            SeedCorpus.files("golden/lmdb/voc_mini/JPEGImages", extensions: ["jpg"], maxBytes: 200_000, limit: 4)
                + SeedCorpus.files("golden/lmdb/create_annoset", extensions: ["jpg", "jpeg", "png"], maxBytes: 200_000, limit: 6)
                + SeedCorpus.files("images", extensions: ["jpg", "png"], maxBytes: 60_000, limit: 6)
        },
        run: { bytes in
            let source = "fuzz.jpg"
            let modes: [DecodeMode] = [.color, .gray, .native]
            do {
                _ = try JPEGCodec.imageHeader(Data(bytes), source: source)
                _ = try JPEGCodec.decodeAny(Data(bytes), mode: modes[bytes.count % 3], source: source)
                return .accepted
            } catch {
                return try Rejection.check(error, target: "jpeg", names(source))
            }
        })

    static let vocXML = FuzzTarget(
        name: "voc-xml", summary: "VOC annotation XML", isText: true, maximumLength: 32_000,
        seeds: {
            SeedCorpus.files("golden/lmdb/voc_mini/Annotations", extensions: ["xml"])
                + SeedCorpus.files("golden/lmdb/create_annoset", extensions: ["xml"])
        },
        run: { bytes in
            let path = Scratch.file("fuzz.xml", bytes)
            do {
                _ = try AnnotationReaders.voc(path, imageHeight: 300, imageWidth: 400, nameToLabel: vocNames)
                return .accepted
            } catch {
                return try Rejection.check(error, target: "voc-xml", names(path))
            }
        })

    static let cocoJSON = FuzzTarget(
        name: "coco-json", summary: "per-image COCO-style JSON annotations", isText: true, maximumLength: 32_000,
        seeds: {
            SeedCorpus.strings([
                #"{"image": {"file_name": "a.jpg", "height": 300, "width": 400, "id": 1}, "annotation": [{"category_id": 3, "iscrowd": 0, "bbox": [10.5, 20, 100, 50.25], "id": 7}]}"#,
                #"{"image": {"height": 480, "width": 640}, "annotation": [{"category_id": "1", "iscrowd": 1, "bbox": [0, 0, 640, 480]}, {"category_id": 2, "bbox": [5, 5, 1, 1]}]}"#,
                #"{"image": {"height": 10, "width": 10}, "annotation": []}"#,
            ]) + SeedCorpus.files("golden/lmdb/annotated_data_test", extensions: ["json"], maxBytes: 8_000, limit: 2)
        },
        run: { bytes in
            let path = Scratch.file("fuzz.json", bytes)
            var labels: [String: Int32] = [:]
            for i in 0...90 { labels[String(i)] = Int32(i) }
            do {
                _ = try AnnotationReaders.json(path, imageHeight: 300, imageWidth: 400, nameToLabel: labels)
                return .accepted
            } catch {
                return try Rejection.check(error, target: "coco-json", names(path))
            }
        })

    /// LabelMap prototxt (read and mapped strictly) and the names-file form.
    static let labelMap = FuzzTarget(
        name: "labelmap", summary: "label maps (LabelMap prototxt, names files)", isText: true, maximumLength: 16_000,
        seeds: {
            SeedCorpus.files("golden/lmdb", extensions: ["prototxt"], maxBytes: 16_000).filter { String(decoding: $0, as: UTF8.self).contains("item") }
                + SeedCorpus.strings(["aeroplane\nbicycle\nbird\n", "cat 1 Cat\ndog 2 Dog\n", "a:1\nb:2\n"])
        },
        run: { bytes in
            let path = Scratch.file("fuzz_labelmap.prototxt", bytes)
            let namesPath = Scratch.file("fuzz_names.txt", bytes)
            var outcome = FuzzOutcome.accepted
            do {
                let map = try LabelMaps.read(path)
                _ = try LabelMaps.nameToLabel(map, strict: true, file: path)
            } catch {
                outcome = try Rejection.check(error, target: "labelmap") { e, text in
                    names(path)(e, text) && (text.contains("several items") || text.range(of: #":\d+:\d+"#, options: .regularExpression) != nil)
                }
            }
            do {
                _ = try LabelMaps.fromNamesFile(namesPath)
            } catch {
                outcome = try Rejection.check(error, target: "labelmap", names(namesPath + ":"))
            }
            return outcome
        })

    /// Name-size files are read as C++ streams do: they never fail, they stop.
    static let nameSize = FuzzTarget(
        name: "name-size", summary: "name-size files (DetectionOutput/Evaluate)", isText: true, maximumLength: 16_000,
        seeds: {
            SeedCorpus.files("golden/lmdb/voc_mini", extensions: ["txt"], maxBytes: 16_000).filter { String(decoding: $0, as: UTF8.self).contains(" ") }
                + SeedCorpus.strings(["000001 500 353\n000002 375 500\n", "a -1 2147483648\n"])
        },
        run: { bytes in
            let file = NameSizeFile(text: String(decoding: bytes, as: UTF8.self))
            return file.names.count == file.sizes.count ? .accepted : .refused("names and sizes differ in number")
        })

    /// `.npy` arrays (dsod forward --input, the golden files).
    static let npy = FuzzTarget(
        name: "npy", summary: "numpy .npy arrays", isText: false, maximumLength: 40_000,
        seeds: { SeedCorpus.files("golden/formats", extensions: ["npy"], maxBytes: 40_000, limit: 30) },
        run: { bytes in
            do {
                _ = try NumpyArray.decode(Data(bytes), path: "fuzz.npy")
                return .accepted
            } catch {
                return try Rejection.check(error, target: "npy") { _, text in text.hasPrefix("fuzz.npy: ") }
            }
        })
}

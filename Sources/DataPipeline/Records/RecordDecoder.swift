import CaffeProto
import Foundation

/// Parsing LMDB values into records, with errors that name the database and key.
public enum RecordDecoder {
    /// An `AnnotatedDatum`; a plain `Datum` or anything else gets an error naming the key.
    public static func annotated(_ value: Data, key: String, source: String) throws -> AnnotatedRecord {
        let location = "\(source) key \"\(key)\""
        let proto: Caffe_AnnotatedDatum
        do {
            proto = try Caffe_AnnotatedDatum(serializedBytes: value)
        } catch {
            if let d = try? Caffe_Datum(serializedBytes: value), d.hasChannels || d.hasData || d.hasEncoded {
                throw DataPipelineError(location, "the record is a Datum (classification data), not an AnnotatedDatum; use a Data layer or create the LMDB with convert_annoset/create-annoset")
            }
            throw DataPipelineError(location, "the record is not an AnnotatedDatum (protobuf parse failed: \(error))")
        }
        guard proto.hasDatum else {
            if let d = try? Caffe_Datum(serializedBytes: value), d.hasChannels || d.hasEncoded {
                throw DataPipelineError(location, "the record is a Datum (classification data), not an AnnotatedDatum; use a Data layer or create the LMDB with convert_annoset/create-annoset")
            }
            throw DataPipelineError(location, "the record is not an AnnotatedDatum: it has no datum")
        }
        let record = AnnotatedRecord(proto)
        try record.datum.validate(location)
        return record
    }

    /// A `Datum`; an `AnnotatedDatum` or anything else gets an error naming the key.
    public static func datum(_ value: Data, key: String, source: String) throws -> DatumRecord {
        let location = "\(source) key \"\(key)\""
        let proto: Caffe_Datum
        do {
            proto = try Caffe_Datum(serializedBytes: value)
        } catch {
            if let a = try? Caffe_AnnotatedDatum(serializedBytes: value), a.hasDatum {
                throw DataPipelineError(location, "the record is an AnnotatedDatum (detection data), not a Datum; use an AnnotatedData layer")
            }
            throw DataPipelineError(location, "the record is not a Datum (protobuf parse failed: \(error))")
        }
        guard proto.hasChannels || proto.hasData || proto.hasEncoded || !proto.floatData.isEmpty else {
            if let a = try? Caffe_AnnotatedDatum(serializedBytes: value), a.hasDatum {
                throw DataPipelineError(location, "the record is an AnnotatedDatum (detection data), not a Datum; use an AnnotatedData layer")
            }
            throw DataPipelineError(location, "the record is not a Datum: no channels, data or encoded field")
        }
        let record = DatumRecord(proto)
        try record.validate(location)
        return record
    }
}

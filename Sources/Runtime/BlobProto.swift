import CaffeProto

extension Blob {
    /// A blob shaped and filled from a BlobProto (Caffe's `Blob::FromProto` with reshape):
    /// legacy num/channels/height/width win over `shape` when any is set, and `double_data` is
    /// read when present.
    public convenience init(proto: Caffe_BlobProto) throws {
        // Check the stored values against the shape before allocating it, so a file that
        // declares a huge shape with a few values costs nothing.
        let shape = Blob.shape(of: proto)
        let stored = !proto.doubleData.isEmpty ? proto.doubleData.count : proto.data.count
        let count = try Blob.validatedCount(shape)
        guard stored == count else {
            throw BlobShapeError(shape: shape, reason: "stores \(stored) \(!proto.doubleData.isEmpty ? "double_data" : "data") values for \(count) elements")
        }
        try self.init(shape: shape)
        try load(proto)
    }

    /// The shape a BlobProto describes: the legacy 4-D dims if any is set, else `shape`.
    public static func shape(of proto: Caffe_BlobProto) -> [Int] {
        if proto.hasNum || proto.hasChannels || proto.hasHeight || proto.hasWidth {
            return [Int(proto.num), Int(proto.channels), Int(proto.height), Int(proto.width)]
        }
        return proto.shape.dim.map { Int($0) }
    }

    /// Caffe's `Blob::ShapeEquals`: legacy dims are compared right-aligned with the blob's
    /// `LegacyShape(-4...-1)`, so an InnerProduct weight [N, K] matches 1x1xNxK.
    public func shapeEquals(_ proto: Caffe_BlobProto) -> Bool {
        if proto.hasNum || proto.hasChannels || proto.hasHeight || proto.hasWidth {
            return numAxes <= 4
                && legacyShape(-4) == Int(proto.num) && legacyShape(-3) == Int(proto.channels)
                && legacyShape(-2) == Int(proto.height) && legacyShape(-1) == Int(proto.width)
        }
        return shape == proto.shape.dim.map { Int($0) }
    }

    /// Copies the proto's values (and diff, if stored) into this blob without reshaping; the
    /// value count must equal the blob's count.
    public func load(_ proto: Caffe_BlobProto) throws {
        if !proto.doubleData.isEmpty {
            guard proto.doubleData.count == count else {
                throw BlobShapeError(shape: shape, reason: "stores \(proto.doubleData.count) double_data values for \(count) elements")
            }
            for i in 0..<count { data[i] = Float(proto.doubleData[i]) }
        } else {
            guard proto.data.count == count else {
                throw BlobShapeError(shape: shape, reason: "stores \(proto.data.count) data values for \(count) elements")
            }
            proto.data.withUnsafeBufferPointer { if let source = $0.baseAddress, count > 0 { data.update(from: source, count: count) } }
        }
        if !proto.doubleDiff.isEmpty {
            guard proto.doubleDiff.count == count else {
                throw BlobShapeError(shape: shape, reason: "stores \(proto.doubleDiff.count) double_diff values for \(count) elements")
            }
            for i in 0..<count { diff[i] = Float(proto.doubleDiff[i]) }
        } else if !proto.diff.isEmpty {
            guard proto.diff.count == count else {
                throw BlobShapeError(shape: shape, reason: "stores \(proto.diff.count) diff values for \(count) elements")
            }
            proto.diff.withUnsafeBufferPointer { if let source = $0.baseAddress { diff.update(from: source, count: count) } }
        }
    }

    /// The blob as a BlobProto (Caffe's `Blob<float>::ToProto`): `shape` dims and `data`; a
    /// 0-axis blob gets no shape field at all.
    public func toProto(writeDiff: Bool = false) -> Caffe_BlobProto {
        var proto = Caffe_BlobProto()
        if !shape.isEmpty {
            var blobShape = Caffe_BlobShape()
            blobShape.dim = shape.map { Int64($0) }
            proto.shape = blobShape
        }
        proto.data = dataArray()
        if writeDiff { proto.diff = diffArray() }
        return proto
    }

    /// A BlobShape message of these dims.
    public static func blobShape(_ dims: [Int]) -> Caffe_BlobShape {
        var shape = Caffe_BlobShape()
        shape.dim = dims.map { Int64($0) }
        return shape
    }
}

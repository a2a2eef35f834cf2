import Foundation

/// Reading image files as `cv::imread` does for the dataset tools. JPEG is decoded with
/// libjpeg-turbo; other formats are recognised by their header (size only, for get-image-size)
/// and rejected for decoding with a clear error.
public enum ImageFiles {
    /// Width and height from the file header (JPEG, PNG).
    public static func size(_ path: String) throws -> (width: Int, height: Int) {
        let bytes = try read(path)
        if JPEGCodec.looksLikeJPEG(bytes) {
            let info = try JPEGCodec.header(bytes, source: path)
            return (info.width, info.height)
        }
        if let png = pngSize(bytes) { return png }
        throw JPEGCodec.notJPEG(bytes, source: path)
    }

    /// `cv::imread(path, flag)`.
    public static func decode(_ path: String, mode: DecodeMode) throws -> ByteImage {
        try JPEGCodec.decodeAny(try read(path), mode: mode, source: path)
    }

    static func read(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DataPipelineError(path, "no such image file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataPipelineError(path, "cannot read the image file")
        }
        return data
    }

    static func pngSize(_ bytes: Data) -> (width: Int, height: Int)? {
        let b = [UInt8](bytes.prefix(24))
        guard b.count == 24, b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
        func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        return (be32(16), be32(20))
    }
}

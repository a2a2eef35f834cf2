import Foundation

/// Reading image files as `cv::imread` does for the dataset tools. JPEG is decoded with
/// libjpeg-turbo; other formats are recognised by their header (size only, for get-image-size)
/// and rejected for decoding with a clear error.
public enum ImageFiles {
    /// Width and height as `cv::imread` reports them (JPEG, PNG; EXIF orientation applied).
    public static func size(_ path: String) throws -> (width: Int, height: Int) {
        let bytes = try read(path)
        guard JPEGCodec.looksLikeJPEG(bytes) || PNGDecoder.looksLikePNG(bytes) else { throw JPEGCodec.notJPEG(bytes, source: path) }
        return try JPEGCodec.orientedSize(bytes, source: path)
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
        // OpenCV reads whole files too; none of its images comes near 2 GiB. Refuse before reading.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > Int(Int32.max) {
            throw DataPipelineError(path, "is \(size) bytes; image and annotation files are limited to 2 GiB - 1")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataPipelineError(path, "cannot read the image file")
        }
        return data
    }

}

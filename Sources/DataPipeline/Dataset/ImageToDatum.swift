import Foundation

extension DatasetTools {
    /// The `enc` of convert_annoset: --encode_type, or with --encoded alone the file's own
    /// extension *with its dot* (which never matches, so the image is always re-encoded).
    static func encoding(for image: String, _ options: AnnosetOptions) -> String {
        if !options.encodeType.isEmpty { return options.encodeType }
        guard options.encoded else { return "" }
        guard let dot = image.lastIndex(of: ".") else { return "" }
        return String(image[dot...]).lowercased()
    }

    /// `matchExt`: the file extension equals the encoding, case-insensitively, jpeg == jpg.
    static func extensionMatches(_ file: String, _ encoding: String) -> Bool {
        let ext = file.lastIndex(of: ".").map { String(file[file.index(after: $0)...]) } ?? file
        let e = ext.lowercased(), en = encoding.lowercased()
        return e == en || (en == "jpg" && e == "jpeg")
    }

    /// `ReadImageToDatum`: the file bytes verbatim when the extension matches the encoding and
    /// no resize is asked (channels from the colour/gray decode, quirk 6); otherwise decode,
    /// resize (OpenCV LINEAR) and re-encode as JPEG, or store raw pixels without an encoding.
    public static func readImageToDatum(_ path: String, label: Int32, options: AnnosetOptions, encoding: String) throws -> DatumRecord {
        let isColor = !options.gray
        var image = try ImageFiles.decode(path, mode: isColor ? .color : .gray)
        let resizing = options.resizeHeight > 0 || options.resizeWidth > 0 || options.minDim > 0 || options.maxDim > 0
        if options.minDim > 0 || options.maxDim > 0 {
            let rows = image.height, cols = image.width
            let minNum = min(rows, cols), maxNum = max(rows, cols)
            var factor: Float = 1
            if options.minDim > 0 && minNum < options.minDim { factor = Float(options.minDim) / Float(minNum) }
            if options.maxDim > 0 && Int(factor * Float(maxNum)) > options.maxDim { factor = Float(options.maxDim) / Float(maxNum) }
            if factor != 1 {
                image = Resizer.resize(image, scaleX: Double(factor), scaleY: Double(factor), interpolation: .linear)
            }
        } else if options.resizeHeight > 0 && options.resizeWidth > 0 {
            image = Resizer.resize(image, width: options.resizeWidth, height: options.resizeHeight, interpolation: .linear)
        }
        if !encoding.isEmpty {
            if (image.channels == 3) == isColor && !resizing && extensionMatches(path, encoding) {
                let bytes = try ImageFiles.read(path)
                return DatumRecord(channels: image.channels, height: image.height, width: image.width, encoded: true,
                                   data: bytes, label: label)
            }
            let kind = encoding.hasPrefix(".") ? String(encoding.dropFirst()) : encoding
            guard ["jpg", "jpeg"].contains(kind.lowercased()) else {
                throw DataPipelineError(path, "encoding \"\(kind)\" is not supported; use --encode-type=jpg")
            }
            var datum = try DatumRecord.encodedJPEG(image, label: label)
            datum.label = label
            return datum
        }
        return DatumRecord.raw(image, label: label)
    }
}

/// An 8-bit image laid out as OpenCV's `cv::Mat` of type CV_8UC1 or CV_8UC3: rows top to bottom,
/// pixels left to right, channels interleaved (B, G, R for colour images, as Caffe uses them).
public struct ByteImage: Equatable, Sendable {
    public var height: Int
    public var width: Int
    public var channels: Int
    /// height * width * channels bytes, row-major, channels interleaved.
    public var pixels: [UInt8]

    /// `pixels` must hold exactly height * width * channels bytes. Every caller allocates them
    /// from the shape it passes (decoders check the file's dimensions against the memory budget
    /// first), so the precondition guards this module's own code, not user input.
    public init(height: Int, width: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == height * width * channels, "ByteImage: pixel count does not match the shape")
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
    }

    /// An image filled with one value per channel (a `cv::Scalar` fill).
    public init(height: Int, width: Int, channels: Int, fill: [UInt8]) {
        self.height = height
        self.width = width
        self.channels = channels
        var pixels = [UInt8](repeating: 0, count: height * width * channels)
        if fill.contains(where: { $0 != 0 }) {
            for i in 0..<(height * width) {
                for c in 0..<channels { pixels[i * channels + c] = fill[min(c, fill.count - 1)] }
            }
        }
        self.pixels = pixels
    }

    /// Bytes in one row.
    public var rowStride: Int { width * channels }

    /// A copy of the rectangle (x, y, w, h); the caller keeps it inside the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> ByteImage {
        var out = [UInt8](repeating: 0, count: w * h * channels)
        let rowBytes = w * channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<h {
                    let from = ((y + row) * width + x) * channels
                    for i in 0..<rowBytes { dst[row * rowBytes + i] = src[from + i] }
                }
            }
        }
        return ByteImage(height: h, width: w, channels: channels, pixels: out)
    }

    /// Writes `image` into this one with its top-left corner at (x, y) (`img.copyTo(roi)`).
    public mutating func paste(_ image: ByteImage, x: Int, y: Int) {
        let rowBytes = image.width * channels
        let stride = rowStride
        image.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for row in 0..<image.height {
                    let to = (y + row) * stride + x * channels
                    for i in 0..<rowBytes { dst[to + i] = src[row * rowBytes + i] }
                }
            }
        }
    }

    /// The same pixels with the columns reversed (`cv::flip(img, 1)`).
    public func mirrored() -> ByteImage {
        var out = pixels
        let c = channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<height {
                    let base = row * width * c
                    for x in 0..<width {
                        let from = base + (width - 1 - x) * c
                        for k in 0..<c { dst[base + x * c + k] = src[from + k] }
                    }
                }
            }
        }
        return ByteImage(height: height, width: width, channels: channels, pixels: out)
    }
}

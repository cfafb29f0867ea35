import CPNG
import Foundation

extension Image {
  /// The image encoded as an 8-bit PNG (gray, gray + alpha, RGB or RGBA, matching ``format``), not interlaced.
  /// - Throws: ``ImagingError/encodingFailed(_:)`` when libpng reports an error.
  public func pngData() throws -> Data {
    guard width <= Int(UInt32.max), height <= Int(UInt32.max) else {
      throw ImagingError.encodingFailed("\(width)x\(height) is too large for PNG")
    }
    var messages = kv_png_messages()
    var buffer: UnsafeMutablePointer<UInt8>? = nil
    var size = 0
    let status = pixels.withUnsafeBufferPointer { raw in
      kv_png_encode(raw.baseAddress, UInt32(width), UInt32(height), Int32(channels), &buffer, &size, &messages)
    }
    defer { kv_png_free(buffer) }
    guard status == KV_PNG_OK, let buffer else {
      let text = withUnsafeBytes(of: messages.error) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      throw ImagingError.encodingFailed(text.isEmpty ? "status \(status)" : text)
    }
    return Data(bytes: buffer, count: size)
  }

  /// Writes the image as a PNG file (see ``pngData()``).
  /// - Throws: ``ImagingError/encodingFailed(_:)`` or ``ImagingError/unwritableFile(path:reason:)``.
  public func writePNG(toFile path: String) throws {
    let data = try pngData()
    do {
      try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw ImagingError.unwritableFile(path: path, reason: error.localizedDescription)
    }
  }
}

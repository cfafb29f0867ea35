/// The errors thrown by the ImageIO module. Each case names the file (or `<memory>` for in-memory data) it is about.
public enum ImagingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be read (missing, a directory, no permission, ...).
  case unreadableFile(path: String, reason: String)
  /// The file could not be written.
  case unwritableFile(path: String, reason: String)
  /// The bytes are neither PNG nor JPEG (judged by their signature, not by the file name).
  case unrecognizedFormat(source: String)
  /// The data ends before the image is complete.
  case truncated(source: String, format: ImageFormat, detail: String)
  /// The decoder rejected the data as malformed.
  case corrupt(source: String, format: ImageFormat, detail: String)
  /// The image uses a colour space this module does not decode (CMYK or YCCK JPEG, for instance).
  case unsupportedColorSpace(source: String, detail: String)
  /// The decoded image would exceed the pixel limit (or overflow the address space); nothing was allocated.
  case imageTooLarge(source: String, width: Int, height: Int, channels: Int, limit: Int)
  /// An argument is out of range or inconsistent (sizes, channel counts, shapes).
  case invalidArgument(String)
  /// libpng failed while encoding.
  case encodingFailed(String)

  /// A one-line explanation naming the file concerned.
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason):
      return "\(path): cannot read file: \(reason)"
    case .unwritableFile(let path, let reason):
      return "\(path): cannot write file: \(reason)"
    case .unrecognizedFormat(let source):
      return "\(source): not a PNG or JPEG image (unrecognized signature)"
    case .truncated(let source, let format, let detail):
      return "\(source): truncated \(format) data: \(detail)"
    case .corrupt(let source, let format, let detail):
      return "\(source): corrupt \(format) data: \(detail)"
    case .unsupportedColorSpace(let source, let detail):
      return "\(source): unsupported colour space: \(detail)"
    case .imageTooLarge(let source, let width, let height, let channels, let limit):
      return "\(source): image of \(width)x\(height)x\(channels) exceeds the decoding limit of \(limit) pixels"
    case .invalidArgument(let message):
      return "invalid argument: \(message)"
    case .encodingFailed(let message):
      return "PNG encoding failed: \(message)"
    }
  }
}

import CJPEG
import CPNG
import Foundation

/// A file format this module decodes, recognized by the file's first bytes.
public enum ImageFormat: String, Sendable, Equatable, CustomStringConvertible {
  /// PNG (signature `89 50 4E 47 0D 0A 1A 0A`).
  case png
  /// JPEG (signature `FF D8 FF`).
  case jpeg

  /// Detects the format from the signature; `nil` when the bytes are neither PNG nor JPEG.
  public static func detect<Bytes: Collection>(_ bytes: Bytes) -> ImageFormat? where Bytes.Element == UInt8 {
    let head = Array(bytes.prefix(8))
    if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
    if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
    return nil
  }

  /// `PNG` or `JPEG`.
  public var description: String { rawValue.uppercased() }
}

/// Resource limits checked from the header, before any pixel buffer is allocated.
public struct DecodingLimits: Sendable, Equatable {
  /// The largest `width * height` accepted.
  public var maxPixels: Int

  /// Limits allowing at most `maxPixels` pixels (100 megapixels by default).
  public init(maxPixels: Int = 100_000_000) {
    self.maxPixels = maxPixels
  }

  /// 100 megapixels.
  public static let `default` = DecodingLimits()
}

/// How a decoded image is stored, mirroring the mode Pillow gives the same file when it opens it.
public enum SourceMode: String, Sendable, Equatable {
  /// 1-bit grayscale PNG (Pillow `1`); samples are 0 or 255.
  case bilevel
  /// 2-, 4- or 8-bit grayscale PNG or grayscale JPEG (Pillow `L`); lower depths are scaled to 0...255.
  case gray
  /// 16-bit grayscale PNG (Pillow `I;16`), kept at full precision.
  case gray16
  /// 8-bit gray + alpha PNG (Pillow `LA`).
  case grayAlpha
  /// RGB PNG (16-bit files keep each sample's high byte, as Pillow does) or colour JPEG (Pillow `RGB`).
  case rgb
  /// RGBA PNG, and 16-bit gray + alpha PNG expanded to RGBA (Pillow `RGBA`; 16-bit samples keep the high byte).
  case rgba
  /// Palette PNG (Pillow `P`): indices into a palette of up to 256 RGB colours, with optional tRNS alpha.
  case palette
}

/// A decoded PNG or JPEG file, stored the way Pillow stores the same file after `Image.open(...)`.
///
/// Use ``converted(to:)`` for Pillow's `Image.convert` to gray, RGB or RGBA, or
/// ``loadImage(_:colorMode:targetSize:interpolation:keepAspectRatio:)`` for Keras's `load_img`.
public struct DecodedImage: Sendable, Equatable {
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int
  /// The file format.
  public let format: ImageFormat
  /// How the samples are stored (Pillow's mode for this file).
  public let mode: SourceMode
  /// Bits per sample in the file (1, 2, 4, 8 or 16).
  public let bitDepth: Int
  /// Whether the file is Adam7-interlaced (PNG) or progressive (JPEG).
  public let isInterlacedOrProgressive: Bool
  /// The file name, or `<memory>`, used in error messages.
  public let source: String

  /// 8-bit samples: 1 per pixel for `bilevel`, `gray` and `palette` (indices), 2 for `grayAlpha`, 3 for `rgb`,
  /// 4 for `rgba`; empty for `gray16`.
  let samples8: [UInt8]
  /// 16-bit samples for `gray16`.
  let samples16: [UInt16]
  /// 256 RGBA palette entries (missing entries black and opaque), for `palette`.
  let paletteRGBA: [UInt8]
  /// The tRNS colour of gray / RGB images as stored in the file.
  let transparentColor: (UInt16, UInt16, UInt16)?

  /// The pixels of a `gray16` image, `nil` for every other mode.
  public var gray16Image: Gray16Image? {
    mode == .gray16 ? Gray16Image(unchecked: width, height: height, samples: samples16) : nil
  }

  /// Whether the file carries transparency Pillow would turn into alpha (tRNS chunk or an alpha channel).
  public var hasTransparency: Bool {
    switch mode {
    case .grayAlpha, .rgba: return true
    case .palette: return paletteRGBA.enumerated().contains { $0.offset % 4 == 3 && $0.element != 255 }
    default: return transparentColor != nil
    }
  }

  /// Two decoded images are equal when size, format, mode, bit depth, samples, palette and tRNS colour agree
  /// (the source name is ignored).
  public static func == (lhs: DecodedImage, rhs: DecodedImage) -> Bool {
    lhs.width == rhs.width && lhs.height == rhs.height && lhs.format == rhs.format && lhs.mode == rhs.mode
      && lhs.bitDepth == rhs.bitDepth && lhs.samples8 == rhs.samples8 && lhs.samples16 == rhs.samples16
      && lhs.paletteRGBA == rhs.paletteRGBA
      && lhs.transparentColor.map { [$0.0, $0.1, $0.2] }
        == rhs.transparentColor.map { [$0.0, $0.1, $0.2] }
  }

  /// Decodes the PNG or JPEG file at `path` (the format comes from the bytes, not the extension).
  /// - Throws: ``ImagingError`` naming `path` for unreadable, unrecognized, truncated, corrupt, unsupported or
  ///   too large images.
  public init(contentsOfFile path: String, limits: DecodingLimits = .default) throws {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ImagingError.unreadableFile(path: path, reason: Self.reason(of: error))
    }
    try self.init(data: data, source: path, limits: limits)
  }

  /// Decodes PNG or JPEG bytes held in memory.
  /// - Parameter source: the name used in error messages.
  /// - Throws: ``ImagingError`` for unrecognized, truncated, corrupt, unsupported or too large images.
  public init(data: Data, source: String = "<memory>", limits: DecodingLimits = .default) throws {
    try self.init(bytes: [UInt8](data), source: source, limits: limits)
  }

  /// Decodes PNG or JPEG bytes held in memory.
  /// - Parameter source: the name used in error messages.
  /// - Throws: ``ImagingError`` for unrecognized, truncated, corrupt, unsupported or too large images.
  public init(bytes: [UInt8], source: String = "<memory>", limits: DecodingLimits = .default) throws {
    switch ImageFormat.detect(bytes) {
    case .png: self = try Self.decodePNG(bytes, source: source, limits: limits)
    case .jpeg: self = try Self.decodeJPEG(bytes, source: source, limits: limits)
    case nil: throw ImagingError.unrecognizedFormat(source: source)
    }
  }

  init(
    width: Int, height: Int, format: ImageFormat, mode: SourceMode, bitDepth: Int, interlaced: Bool,
    source: String, samples8: [UInt8], samples16: [UInt16] = [], paletteRGBA: [UInt8] = [],
    transparentColor: (UInt16, UInt16, UInt16)? = nil
  ) {
    self.width = width
    self.height = height
    self.format = format
    self.mode = mode
    self.bitDepth = bitDepth
    self.isInterlacedOrProgressive = interlaced
    self.source = source
    self.samples8 = samples8
    self.samples16 = samples16
    self.paletteRGBA = paletteRGBA
    self.transparentColor = transparentColor
  }

  private static func reason(of error: Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
      return underlying.localizedDescription
    }
    return nsError.localizedDescription
  }

  /// Checks `width * height` against the limit and computes the buffer size without overflow.
  static func checkedBufferSize(
    width: Int, height: Int, channels: Int, bytesPerSample: Int, source: String, limits: DecodingLimits
  ) throws -> Int {
    let tooLarge = ImagingError.imageTooLarge(
      source: source, width: width, height: height, channels: channels, limit: limits.maxPixels)
    let (pixels, o1) = width.multipliedReportingOverflow(by: height)
    guard !o1, pixels <= limits.maxPixels else { throw tooLarge }
    let (samples, o2) = pixels.multipliedReportingOverflow(by: channels)
    let (bytes, o3) = samples.multipliedReportingOverflow(by: bytesPerSample)
    guard !o2, !o3 else { throw tooLarge }
    return bytes
  }

  private static func message<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
      let bytes = raw.prefix { $0 != 0 }
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  // MARK: PNG

  private static func pngError(_ status: Int32, _ messages: kv_png_messages, source: String) -> ImagingError {
    let text = message(messages.error)
    switch status {
    case Int32(KV_PNG_TRUNCATED): return .truncated(source: source, format: .png, detail: text)
    case Int32(KV_PNG_NOT_PNG): return .unrecognizedFormat(source: source)
    default: return .corrupt(source: source, format: .png, detail: text)
    }
  }

  private static func decodePNG(_ bytes: [UInt8], source: String, limits: DecodingLimits) throws -> DecodedImage {
    var header = kv_png_header()
    var messages = kv_png_messages()
    let status = bytes.withUnsafeBufferPointer { buffer in
      kv_png_read_header(buffer.baseAddress, buffer.count, &header, &messages)
    }
    guard status == KV_PNG_OK else { throw pngError(status, messages, source: source) }
    let width = Int(header.width)
    let height = Int(header.height)
    let channels = Int(header.channels)
    let sampleBytes = Int(header.sample_bytes)
    let size = try checkedBufferSize(
      width: width, height: height, channels: channels, bytesPerSample: sampleBytes, source: source,
      limits: limits)
    guard size == header.row_bytes * Int(header.height) else {
      throw ImagingError.corrupt(source: source, format: .png, detail: "unexpected row size")
    }
    var raw = [UInt8](repeating: 0, count: size)
    let decodeStatus = bytes.withUnsafeBufferPointer { input in
      raw.withUnsafeMutableBufferPointer { output in
        kv_png_decode(input.baseAddress, input.count, output.baseAddress, output.count, &messages)
      }
    }
    guard decodeStatus == KV_PNG_OK else { throw pngError(decodeStatus, messages, source: source) }
    let depth = Int(header.bit_depth)
    let interlaced = header.interlaced != 0
    let count = width * height
    var transparent: (UInt16, UInt16, UInt16)? = nil
    if header.has_trns_color != 0 {
      transparent = (header.trns_red, header.trns_green, header.trns_blue)
    }
    func highBytes() -> [UInt8] {
      // 16-bit samples are big-endian; Pillow's `;16B` unpackers keep the most significant byte.
      var out = [UInt8](repeating: 0, count: raw.count / 2)
      for i in 0..<out.count { out[i] = raw[2 * i] }
      return out
    }
    switch Int32(header.color_type) {
    case PNG_COLOR_TYPE_GRAY:
      let gray = header.has_trns_color != 0 ? header.trns_gray : nil
      if depth == 16 {
        var samples = [UInt16](repeating: 0, count: count)
        for i in 0..<count { samples[i] = UInt16(raw[2 * i]) << 8 | UInt16(raw[2 * i + 1]) }
        return DecodedImage(
          width: width, height: height, format: .png, mode: .gray16, bitDepth: 16, interlaced: interlaced,
          source: source, samples8: [], samples16: samples, transparentColor: gray.map { ($0, $0, $0) })
      }
      // Pillow reads a 1-bit tRNS as "255 if nonzero else 0"; deeper grays keep the file's value.
      let trns = gray.map { depth == 1 ? ($0 != 0 ? UInt16(255) : 0) : $0 }
      return DecodedImage(
        width: width, height: height, format: .png, mode: depth == 1 ? .bilevel : .gray, bitDepth: depth,
        interlaced: interlaced, source: source, samples8: raw, transparentColor: trns.map { ($0, $0, $0) })
    case PNG_COLOR_TYPE_RGB:
      return DecodedImage(
        width: width, height: height, format: .png, mode: .rgb, bitDepth: depth, interlaced: interlaced,
        source: source, samples8: depth == 16 ? highBytes() : raw, transparentColor: transparent)
    case PNG_COLOR_TYPE_PALETTE:
      var palette = [UInt8](repeating: 0, count: 256 * 4)
      for i in 0..<256 { palette[4 * i + 3] = 255 }
      withUnsafeBytes(of: header.palette) { entries in
        for i in 0..<Int(header.palette_count) {
          for c in 0..<3 { palette[4 * i + c] = entries[3 * i + c] }
        }
      }
      withUnsafeBytes(of: header.trns_alpha) { alpha in
        for i in 0..<Int(header.trns_count) { palette[4 * i + 3] = alpha[i] }
      }
      return DecodedImage(
        width: width, height: height, format: .png, mode: .palette, bitDepth: depth, interlaced: interlaced,
        source: source, samples8: raw, paletteRGBA: palette)
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      if depth == 16 {
        // Pillow opens 16-bit gray + alpha as RGBA (unpacker `LA;16B`).
        let la = highBytes()
        var rgba = [UInt8](repeating: 0, count: count * 4)
        for i in 0..<count {
          rgba[4 * i] = la[2 * i]
          rgba[4 * i + 1] = la[2 * i]
          rgba[4 * i + 2] = la[2 * i]
          rgba[4 * i + 3] = la[2 * i + 1]
        }
        return DecodedImage(
          width: width, height: height, format: .png, mode: .rgba, bitDepth: 16, interlaced: interlaced,
          source: source, samples8: rgba)
      }
      return DecodedImage(
        width: width, height: height, format: .png, mode: .grayAlpha, bitDepth: depth, interlaced: interlaced,
        source: source, samples8: raw)
    case PNG_COLOR_TYPE_RGB_ALPHA:
      return DecodedImage(
        width: width, height: height, format: .png, mode: .rgba, bitDepth: depth, interlaced: interlaced,
        source: source, samples8: depth == 16 ? highBytes() : raw)
    default:
      throw ImagingError.corrupt(source: source, format: .png, detail: "unknown colour type \(header.color_type)")
    }
  }

  // MARK: JPEG

  private static func jpegError(_ status: Int32, _ messages: kv_jpeg_messages, source: String) -> ImagingError {
    let text = message(messages.error)
    switch status {
    case Int32(KV_JPEG_TRUNCATED): return .truncated(source: source, format: .jpeg, detail: text)
    case Int32(KV_JPEG_NOT_JPEG): return .unrecognizedFormat(source: source)
    case Int32(KV_JPEG_UNSUPPORTED_COLOR): return .unsupportedColorSpace(source: source, detail: text)
    default: return .corrupt(source: source, format: .jpeg, detail: text)
    }
  }

  private static func decodeJPEG(_ bytes: [UInt8], source: String, limits: DecodingLimits) throws -> DecodedImage {
    var header = kv_jpeg_header()
    var messages = kv_jpeg_messages()
    let status = bytes.withUnsafeBufferPointer { buffer in
      kv_jpeg_read_header(buffer.baseAddress, buffer.count, &header, &messages)
    }
    if status == KV_JPEG_UNSUPPORTED_COLOR {
      let names = [JCS_CMYK.rawValue: "CMYK", JCS_YCCK.rawValue: "YCCK"]
      let name = names[UInt32(header.color_space)] ?? "colour space \(header.color_space)"
      throw ImagingError.unsupportedColorSpace(
        source: source, detail: "\(name) JPEG with \(header.components) components (only grayscale and RGB/YCbCr)")
    }
    guard status == KV_JPEG_OK else { throw jpegError(status, messages, source: source) }
    let width = Int(header.width)
    let height = Int(header.height)
    let channels = Int(header.channels)
    let size = try checkedBufferSize(
      width: width, height: height, channels: channels, bytesPerSample: 1, source: source, limits: limits)
    var raw = [UInt8](repeating: 0, count: size)
    let decodeStatus = bytes.withUnsafeBufferPointer { input in
      raw.withUnsafeMutableBufferPointer { output in
        kv_jpeg_decode(input.baseAddress, input.count, output.baseAddress, output.count, &messages)
      }
    }
    guard decodeStatus == KV_JPEG_OK else { throw jpegError(decodeStatus, messages, source: source) }
    return DecodedImage(
      width: width, height: height, format: .jpeg, mode: channels == 1 ? .gray : .rgb, bitDepth: 8,
      interlaced: header.progressive != 0, source: source, samples8: raw)
  }
}

/// The channel layout of an 8-bit ``Image``.
public enum PixelFormat: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
  /// One luminance channel (Pillow mode `L`).
  case gray
  /// Luminance and alpha (Pillow mode `LA`).
  case grayAlpha
  /// Red, green, blue (Pillow mode `RGB`).
  case rgb
  /// Red, green, blue, alpha, not premultiplied (Pillow mode `RGBA`).
  case rgba

  /// Samples per pixel: 1, 2, 3 or 4.
  public var channels: Int {
    switch self {
    case .gray: return 1
    case .grayAlpha: return 2
    case .rgb: return 3
    case .rgba: return 4
    }
  }

  /// The format with `channels` samples per pixel, or `nil` for counts other than 1 to 4.
  public init?(channels: Int) {
    switch channels {
    case 1: self = .gray
    case 2: self = .grayAlpha
    case 3: self = .rgb
    case 4: self = .rgba
    default: return nil
    }
  }

  /// The Pillow mode name (`L`, `LA`, `RGB`, `RGBA`).
  public var description: String {
    switch self {
    case .gray: return "L"
    case .grayAlpha: return "LA"
    case .rgb: return "RGB"
    case .rgba: return "RGBA"
    }
  }
}

/// An 8-bit image stored row by row, pixel by pixel, channel by channel (HWC order).
///
/// The sample of channel `c` at column `x`, row `y` is `pixels[(y * width + x) * channels + c]`.
public struct Image: Sendable, Equatable {
  /// Width in pixels (at least 1).
  public let width: Int
  /// Height in pixels (at least 1).
  public let height: Int
  /// The channel layout.
  public let format: PixelFormat
  /// The samples in HWC order; always `width * height * channels` of them.
  public internal(set) var pixels: [UInt8]

  /// Samples per pixel (1, 2, 3 or 4).
  public var channels: Int { format.channels }

  /// Wraps existing samples.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` when a size is not positive or `pixels` has the wrong count.
  public init(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) throws {
    guard width > 0, height > 0 else {
      throw ImagingError.invalidArgument("image size \(width)x\(height) must be positive")
    }
    let (count, overflow) = width.multipliedReportingOverflow(by: height)
    let (total, overflow2) = count.multipliedReportingOverflow(by: format.channels)
    guard !overflow, !overflow2, pixels.count == total else {
      throw ImagingError.invalidArgument(
        "\(pixels.count) samples do not fill a \(width)x\(height) \(format) image")
    }
    self.width = width
    self.height = height
    self.format = format
    self.pixels = pixels
  }

  /// An image with every sample set to `value`.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` when a size is not positive or too large.
  public init(width: Int, height: Int, format: PixelFormat, filledWith value: UInt8 = 0) throws {
    guard width > 0, height > 0 else {
      throw ImagingError.invalidArgument("image size \(width)x\(height) must be positive")
    }
    let (count, overflow) = width.multipliedReportingOverflow(by: height)
    let (total, overflow2) = count.multipliedReportingOverflow(by: format.channels)
    guard !overflow, !overflow2 else {
      throw ImagingError.invalidArgument("image size \(width)x\(height) is too large")
    }
    self.init(unchecked: width, height: height, format: format, pixels: [UInt8](repeating: value, count: total))
  }

  /// Internal initializer for callers that have already checked the sizes.
  init(unchecked width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) {
    self.width = width
    self.height = height
    self.format = format
    self.pixels = pixels
  }

  /// The sample of `channel` at column `x`, row `y` (indices must be in range).
  public subscript(x x: Int, y y: Int, channel channel: Int) -> UInt8 {
    get { pixels[(y * width + x) * format.channels + channel] }
    set { pixels[(y * width + x) * format.channels + channel] = newValue }
  }

  /// The samples as `Float` in 0...255, HWC order (what Keras's `img_to_array` returns for this image).
  public func floatPixels() -> [Float] {
    pixels.map { Float($0) }
  }

  /// The image as a ``FloatImage`` with values in 0...255 (Keras's `img_to_array`).
  public func floatImage() -> FloatImage {
    FloatImage(unchecked: width, height: height, channels: channels, values: floatPixels())
  }
}

/// A 16-bit single-channel image, as Pillow opens a 16-bit grayscale PNG (mode `I;16`).
///
/// Keras's `load_img(color_mode="grayscale")` keeps such images at 16 bits, so they get their own type.
public struct Gray16Image: Sendable, Equatable {
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int
  /// The samples row by row; always `width * height` of them.
  public internal(set) var samples: [UInt16]

  /// Wraps existing samples.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` when a size is not positive or `samples` has the wrong count.
  public init(width: Int, height: Int, samples: [UInt16]) throws {
    guard width > 0, height > 0 else {
      throw ImagingError.invalidArgument("image size \(width)x\(height) must be positive")
    }
    let (count, overflow) = width.multipliedReportingOverflow(by: height)
    guard !overflow, samples.count == count else {
      throw ImagingError.invalidArgument("\(samples.count) samples do not fill a \(width)x\(height) image")
    }
    self.init(unchecked: width, height: height, samples: samples)
  }

  init(unchecked width: Int, height: Int, samples: [UInt16]) {
    self.width = width
    self.height = height
    self.samples = samples
  }

  /// The samples as `Float` in 0...65535 (what Keras's `img_to_array` returns for an `I;16` image).
  public func floatImage() -> FloatImage {
    FloatImage(unchecked: width, height: height, channels: 1, values: samples.map { Float($0) })
  }
}

/// A floating-point image or feature map in HWC order, e.g. the result of Keras's `img_to_array`.
public struct FloatImage: Sendable, Equatable {
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int
  /// Values per pixel.
  public let channels: Int
  /// The values in HWC order; always `width * height * channels` of them.
  public internal(set) var values: [Float]

  /// Wraps existing values.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` when a size is not positive or `values` has the wrong count.
  public init(width: Int, height: Int, channels: Int, values: [Float]) throws {
    guard width > 0, height > 0, channels > 0 else {
      throw ImagingError.invalidArgument("shape \(height)x\(width)x\(channels) must be positive")
    }
    let (count, overflow) = width.multipliedReportingOverflow(by: height)
    let (total, overflow2) = count.multipliedReportingOverflow(by: channels)
    guard !overflow, !overflow2, values.count == total else {
      throw ImagingError.invalidArgument("\(values.count) values do not fill shape \(height)x\(width)x\(channels)")
    }
    self.init(unchecked: width, height: height, channels: channels, values: values)
  }

  init(unchecked width: Int, height: Int, channels: Int, values: [Float]) {
    self.width = width
    self.height = height
    self.channels = channels
    self.values = values
  }
}

/// matplotlib colormaps (the jet of keras-vis's examples, and the perceptual ones), with matplotlib's 256-entry lookup
/// tables (`tools/make_image_fixtures.py --colormaps` writes them from matplotlib).
///
/// Lookup follows `matplotlib.colors.Colormap.__call__` for float input: index `Int(x * 256)`, with `x == 1`
/// mapped to 255, values below 0 to the first entry, values from 1 up to the last entry, and NaN to black
/// (matplotlib's transparent "bad" colour). Bytes are `UInt8(entry * 255)` truncated, as in keras-vis's
/// `np.uint8(cm.jet(x)[..., :3] * 255)` and matplotlib's `bytes=True`.
public enum Colormap: String, Sendable, Equatable, CaseIterable {
  /// matplotlib `jet` (blue, cyan, yellow, red).
  case jet
  /// matplotlib `viridis` (perceptually uniform, dark purple to yellow).
  case viridis
  /// matplotlib `gray` (black to white).
  case gray
  /// matplotlib `turbo` (Google's improved rainbow: dark blue, cyan, green, yellow, dark red).
  case turbo
  /// matplotlib `inferno` (perceptually uniform, black through purple and orange to pale yellow).
  case inferno
  /// matplotlib `magma` (perceptually uniform, black through purple and pink to pale yellow).
  case magma

  /// Number of table entries (256, like matplotlib's default `N`).
  public static let entryCount = 256

  /// The RGBA table as matplotlib computes it (`cmap._lut[:256]`), 4 doubles per entry (alpha is 1 throughout).
  public var table: [Double] {
    switch self {
    case .jet: return Self.jetTable
    case .viridis: return Self.viridisTable
    case .gray: return Self.grayTable
    case .turbo: return Self.turboTable
    case .inferno: return Self.infernoTable
    case .magma: return Self.magmaTable
    }
  }

  private static let jetTable = rgba(ColormapTables.jet)
  private static let viridisTable = rgba(ColormapTables.viridis)
  private static let grayTable = rgba(ColormapTables.gray)
  private static let turboTable = rgba(ColormapTables.turbo)
  private static let infernoTable = rgba(ColormapTables.inferno)
  private static let magmaTable = rgba(ColormapTables.magma)

  /// The stored RGB triples with matplotlib's alpha of 1 after each.
  private static func rgba(_ rgb: [Double]) -> [Double] {
    stride(from: 0, to: rgb.count, by: 3).flatMap { [rgb[$0], rgb[$0 + 1], rgb[$0 + 2], 1.0] }
  }

  /// The table entry matplotlib picks for `x`, or `nil` for NaN.
  public func entryIndex(for x: Float) -> Int? {
    if x.isNaN { return nil }
    let n = Double(Self.entryCount)
    var scaled = Double(x) * n
    if scaled == n { scaled = n - 1 }
    if scaled < 0 { return 0 }
    if scaled >= n { return Self.entryCount - 1 }
    return Int(scaled)
  }

  /// The 8-bit RGB colour for `x` (see the type's documentation for the rules).
  public func color(for x: Float) -> (red: UInt8, green: UInt8, blue: UInt8) {
    guard let index = entryIndex(for: x) else { return (0, 0, 0) }
    let lut = table
    return (Self.byte(lut[4 * index]), Self.byte(lut[4 * index + 1]), Self.byte(lut[4 * index + 2]))
  }

  /// Colours a `height` x `width` map of values (row by row, nominally in 0...1) into an RGB image.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` when `values.count != width * height` or a size is not positive.
  public func apply(to values: [Float], width: Int, height: Int) throws -> Image {
    guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).partialValue == values.count,
      !width.multipliedReportingOverflow(by: height).overflow
    else {
      throw ImagingError.invalidArgument("\(values.count) values do not fill a \(width)x\(height) map")
    }
    let lut = table
    var bytes = [UInt8](repeating: 0, count: Self.entryCount * 3)
    for i in 0..<Self.entryCount {
      for c in 0..<3 { bytes[3 * i + c] = Self.byte(lut[4 * i + c]) }
    }
    var out = [UInt8](repeating: 0, count: values.count * 3)
    for (i, x) in values.enumerated() {
      guard let index = entryIndex(for: x) else { continue }
      out[3 * i] = bytes[3 * index]
      out[3 * i + 1] = bytes[3 * index + 1]
      out[3 * i + 2] = bytes[3 * index + 2]
    }
    return Image(unchecked: width, height: height, format: .rgb, pixels: out)
  }

  /// Colours a single-channel ``FloatImage`` (values nominally in 0...1) into an RGB image.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` when the map has more than one channel.
  public func apply(to map: FloatImage) throws -> Image {
    guard map.channels == 1 else {
      throw ImagingError.invalidArgument("a colormap needs a one-channel map, got \(map.channels) channels")
    }
    return try apply(to: map.values, width: map.width, height: map.height)
  }

  @inline(__always)
  static func byte(_ v: Double) -> UInt8 {
    let scaled = v * 255
    return scaled <= 0 ? 0 : scaled >= 255 ? 255 : UInt8(scaled)
  }
}

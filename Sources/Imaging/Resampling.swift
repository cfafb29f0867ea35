import Foundation

/// The resampling filters of Pillow's `Image.resize`, named as Keras's `load_img(interpolation=...)` names them.
public enum Interpolation: String, Sendable, Equatable, CaseIterable {
  /// Nearest neighbour (Keras's default), with Pillow's coordinate rule `floor((x + 0.5) * scale)`.
  case nearest
  /// Triangle filter, support 1 (scaled by the downscale factor).
  case bilinear
  /// Keys cubic with a = -0.5, support 2.
  case bicubic
  /// Lanczos-3 windowed sinc, support 3.
  case lanczos
  /// Box filter, support 0.5 (area averaging when downscaling).
  case box
  /// Hamming-windowed sinc, support 1.
  case hamming
}

/// A source region for resizing, in pixels, as Pillow's `resize(box=(x0, y0, x1, y1))` (single precision, like
/// Pillow's C code).
public struct ResizeBox: Sendable, Equatable {
  /// Left edge.
  public var x0: Float
  /// Top edge.
  public var y0: Float
  /// Right edge (exclusive).
  public var x1: Float
  /// Bottom edge (exclusive).
  public var y1: Float

  /// A region from `(x0, y0)` to `(x1, y1)`.
  public init(x0: Float, y0: Float, x1: Float, y1: Float) {
    self.x0 = x0
    self.y0 = y0
    self.x1 = x1
    self.y1 = y1
  }
}

// MARK: - Filters (Pillow's Resample.c, re-implemented)

struct ResampleFilter {
  let support: Double
  let weight: (Double) -> Double

  static func of(_ interpolation: Interpolation) -> ResampleFilter? {
    switch interpolation {
    case .nearest: return nil
    case .box:
      return ResampleFilter(support: 0.5) { x in x > -0.5 && x <= 0.5 ? 1.0 : 0.0 }
    case .bilinear:
      return ResampleFilter(support: 1.0) { x in
        let ax = abs(x)
        return ax < 1.0 ? 1.0 - ax : 0.0
      }
    case .hamming:
      // Pillow writes the window constants as C floats (0.54f, 0.46f), promoted to double.
      let c0 = Double(Float(0.54))
      let c1 = Double(Float(0.46))
      return ResampleFilter(support: 1.0) { x in
        let ax = abs(x)
        if ax == 0.0 { return 1.0 }
        if ax >= 1.0 { return 0.0 }
        let px = ax * Double.pi
        return sin(px) / px * (c0 + c1 * cos(px))
      }
    case .bicubic:
      return ResampleFilter(support: 2.0) { x in
        let a = -0.5
        let ax = abs(x)
        if ax < 1.0 { return ((a + 2.0) * ax - (a + 3.0)) * ax * ax + 1 }
        if ax < 2.0 { return (((ax - 5) * ax + 8) * ax - 4) * a }
        return 0.0
      }
    case .lanczos:
      func sinc(_ x: Double) -> Double {
        if x == 0.0 { return 1.0 }
        let px = x * Double.pi
        return sin(px) / px
      }
      return ResampleFilter(support: 3.0) { x in
        -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0
      }
    }
  }
}

/// Per-output-pixel source ranges and normalized weights along one axis.
struct ResampleCoefficients {
  /// Weights per output pixel (`outSize * kernelSize`).
  var weights: [Double]
  /// First source index per output pixel.
  var start: [Int]
  /// Number of source pixels per output pixel.
  var count: [Int]
  let kernelSize: Int

  init(inSize: Int, in0: Float, in1: Float, outSize: Int, filter: ResampleFilter) {
    let scale = Double(in1 - in0) / Double(outSize)
    let filterScale = max(scale, 1.0)
    let support = filter.support * filterScale
    kernelSize = Int(ceil(support)) * 2 + 1
    weights = [Double](repeating: 0, count: outSize * kernelSize)
    start = [Int](repeating: 0, count: outSize)
    count = [Int](repeating: 0, count: outSize)
    let inverseScale = 1.0 / filterScale
    for xx in 0..<outSize {
      let center = Double(in0) + (Double(xx) + 0.5) * scale
      var total = 0.0
      let xmin = max(0, Int(center - support + 0.5))
      let xmax = min(inSize, Int(center + support + 0.5)) - xmin
      let base = xx * kernelSize
      if xmax > 0 {
        for x in 0..<xmax {
          let w = filter.weight((Double(x + xmin) - center + 0.5) * inverseScale)
          weights[base + x] = w
          total += w
        }
        if total != 0.0 {
          for x in 0..<xmax { weights[base + x] /= total }
        }
      }
      start[xx] = xmin
      count[xx] = max(0, xmax)
    }
  }

  /// The weights in Pillow's 8-bit fixed point (22 fractional bits), rounded half away from zero.
  func fixedPoint() -> [Int] {
    let one = Double(1 << precisionBits)
    return weights.map { $0 < 0 ? Int(-0.5 + $0 * one) : Int(0.5 + $0 * one) }
  }
}

let precisionBits = 32 - 8 - 2

/// Element types resampled with double-precision accumulation (Pillow's 16-bit and 32-bit paths).
protocol WideSample {
  /// The value as a double.
  var wideValue: Double { get }
  /// The accumulated sum converted back (rounded and clipped for integers, narrowed for floats).
  init(resampledSum: Double)
}

extension UInt16: WideSample {
  var wideValue: Double { Double(self) }
  init(resampledSum ss: Double) {
    let rounded = Int(ss >= 0.0 ? ss + 0.5 : ss - 0.5)
    self = UInt16(Swift.min(65535, Swift.max(0, rounded)))
  }
}

extension Float: WideSample {
  var wideValue: Double { Double(self) }
  init(resampledSum ss: Double) { self = Float(ss) }
}

/// An interleaved plane of samples being resampled.
struct Plane<Sample> {
  var samples: [Sample]
  var width: Int
  var height: Int
  let channels: Int
}

enum Resampler {
  /// Pillow's `Image.resize` minus the mode-specific steps: crop shortcut, nearest-neighbour affine scaling or
  /// two-pass convolution.
  static func resize<S>(
    _ plane: Plane<S>, width: Int, height: Int, interpolation: Interpolation, box: ResizeBox, zero: S,
    horizontal: (Plane<S>, Int, ResampleCoefficients, Int, Int) -> Plane<S>,
    vertical: (Plane<S>, ResampleCoefficients) -> Plane<S>,
    nearestRule: NearestRule
  ) -> Plane<S> {
    resizeCore(
      plane, width: width, height: height, interpolation: interpolation, box: box, zero: zero,
      horizontal: horizontal, vertical: vertical, nearestRule: nearestRule)
  }

  /// How Pillow maps output to source coordinates for nearest neighbour.
  enum NearestRule {
    /// `ImagingScaleAffine` (8-bit and 32-bit images): coordinates accumulated by repeated addition.
    case accumulated
    /// `ImagingGenericTransform` (16-bit images): `a * (x + 0.5) + offset` per pixel.
    case multiplied
  }

  static func resizeCore<S>(
    _ plane: Plane<S>, width: Int, height: Int, interpolation: Interpolation, box: ResizeBox, zero: S,
    horizontal: (Plane<S>, Int, ResampleCoefficients, Int, Int) -> Plane<S>,
    vertical: (Plane<S>, ResampleCoefficients) -> Plane<S>,
    nearestRule: NearestRule
  ) -> Plane<S> {
    // Crop shortcut: integral offsets and a box exactly the output size.
    if box.x0 == Float(Int(box.x0)) && box.x1 - box.x0 == Float(width) && box.y0 == Float(Int(box.y0))
      && box.y1 - box.y0 == Float(height)
    {
      return crop(plane, x: Int(box.x0), y: Int(box.y0), width: width, height: height, zero: zero)
    }
    guard let filter = ResampleFilter.of(interpolation) else {
      return nearest(plane, width: width, height: height, box: box, zero: zero, rule: nearestRule)
    }
    let needHorizontal = width != plane.width || box.x0 != 0 || box.x1 != Float(width)
    let needVertical = height != plane.height || box.y0 != 0 || box.y1 != Float(height)
    var vert = ResampleCoefficients(inSize: plane.height, in0: box.y0, in1: box.y1, outSize: height, filter: filter)
    if needHorizontal && needVertical && height < plane.height
      && plane.height - height > 2 * (plane.width - width)
    {
      // Pillow 13 runs the vertical pass first when the height shrinks by more than twice as many pixels as the
      // width (observed rule; the intermediate image is rounded to the sample type, so the order is visible).
      let horiz = ResampleCoefficients(
        inSize: plane.width, in0: box.x0, in1: box.x1, outSize: width, filter: filter)
      let reduced = vertical(plane, vert)
      return horizontal(reduced, 0, horiz, height, width)
    }
    let firstRow = vert.start[0]
    let lastRow = vert.start[height - 1] + vert.count[height - 1]
    var current = plane
    if needHorizontal {
      let horiz = ResampleCoefficients(
        inSize: plane.width, in0: box.x0, in1: box.x1, outSize: width, filter: filter)
      for i in 0..<height { vert.start[i] -= firstRow }
      current = horizontal(plane, firstRow, horiz, lastRow - firstRow, width)
    }
    if needVertical {
      current = vertical(current, vert)
    }
    return current
  }

  static func crop<S>(_ plane: Plane<S>, x: Int, y: Int, width: Int, height: Int, zero: S) -> Plane<S> {
    let c = plane.channels
    var out = [S](repeating: zero, count: width * height * c)
    for row in 0..<height {
      let sy = y + row
      guard sy >= 0, sy < plane.height else { continue }
      for col in 0..<width {
        let sx = x + col
        guard sx >= 0, sx < plane.width else { continue }
        for k in 0..<c { out[(row * width + col) * c + k] = plane.samples[(sy * plane.width + sx) * c + k] }
      }
    }
    return Plane(samples: out, width: width, height: height, channels: c)
  }

  /// Pillow's `COORD`: -1 for negative values, truncation otherwise.
  @inline(__always)
  static func coord(_ v: Double) -> Int { v < 0.0 ? -1 : Int(v) }

  static func nearest<S>(
    _ plane: Plane<S>, width: Int, height: Int, box: ResizeBox, zero: S, rule: NearestRule
  ) -> Plane<S> {
    let c = plane.channels
    let a0 = Double(box.x1 - box.x0) / Double(width)
    let a4 = Double(box.y1 - box.y0) / Double(height)
    let a2 = Double(box.x0)
    let a5 = Double(box.y0)
    var xs = [Int](repeating: -1, count: width)
    var ys = [Int](repeating: -1, count: height)
    switch rule {
    case .accumulated:
      var xo = a2 + a0 * 0.5
      for x in 0..<width {
        xs[x] = coord(xo)
        xo += a0
      }
      var yo = a5 + a4 * 0.5
      for y in 0..<height {
        ys[y] = coord(yo)
        yo += a4
      }
    case .multiplied:
      for x in 0..<width { xs[x] = coord(a0 * (Double(x) + 0.5) + 0.0 + a2) }
      for y in 0..<height { ys[y] = coord(0.0 + a4 * (Double(y) + 0.5) + a5) }
    }
    var out = [S](repeating: zero, count: width * height * c)
    for y in 0..<height {
      let sy = ys[y]
      guard sy >= 0, sy < plane.height else { continue }
      for x in 0..<width {
        let sx = xs[x]
        guard sx >= 0, sx < plane.width else { continue }
        let src = (sy * plane.width + sx) * c
        let dst = (y * width + x) * c
        for k in 0..<c { out[dst + k] = plane.samples[src + k] }
      }
    }
    return Plane(samples: out, width: width, height: height, channels: c)
  }

  // MARK: 8-bit passes (fixed point)

  static func horizontal8(
    _ plane: Plane<UInt8>, firstRow: Int, coefficients: ResampleCoefficients, rows: Int, width: Int
  ) -> Plane<UInt8> {
    let c = plane.channels
    let k = coefficients.fixedPoint()
    let ksize = coefficients.kernelSize
    var out = [UInt8](repeating: 0, count: width * rows * c)
    let half = 1 << (precisionBits - 1)
    plane.samples.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for yy in 0..<rows {
          let rowBase = (yy + firstRow) * plane.width * c
          for xx in 0..<width {
            let xmin = coefficients.start[xx]
            let xmax = coefficients.count[xx]
            let kBase = xx * ksize
            for ch in 0..<c {
              var ss = half
              for x in 0..<xmax {
                ss += Int(src[rowBase + (x + xmin) * c + ch]) * k[kBase + x]
              }
              dst[(yy * width + xx) * c + ch] = clip8(ss)
            }
          }
        }
      }
    }
    return Plane(samples: out, width: width, height: rows, channels: c)
  }

  static func vertical8(_ plane: Plane<UInt8>, coefficients: ResampleCoefficients) -> Plane<UInt8> {
    let c = plane.channels
    let height = coefficients.start.count
    let k = coefficients.fixedPoint()
    let ksize = coefficients.kernelSize
    let rowLength = plane.width * c
    var out = [UInt8](repeating: 0, count: rowLength * height)
    let half = 1 << (precisionBits - 1)
    plane.samples.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for yy in 0..<height {
          let ymin = coefficients.start[yy]
          let ymax = coefficients.count[yy]
          let kBase = yy * ksize
          for i in 0..<rowLength {
            var ss = half
            for y in 0..<ymax {
              ss += Int(src[(y + ymin) * rowLength + i]) * k[kBase + y]
            }
            dst[yy * rowLength + i] = clip8(ss)
          }
        }
      }
    }
    return Plane(samples: out, width: plane.width, height: height, channels: c)
  }

  @inline(__always)
  static func clip8(_ ss: Int) -> UInt8 {
    let v = ss >> precisionBits
    return v < 0 ? 0 : v > 255 ? 255 : UInt8(v)
  }

  // MARK: 16-bit and float passes (double precision)

  static func horizontalWide<S: WideSample>(
    _ plane: Plane<S>, firstRow: Int, coefficients: ResampleCoefficients, rows: Int, width: Int
  ) -> Plane<S> {
    let c = plane.channels
    let ksize = coefficients.kernelSize
    var out = [S](repeating: S(resampledSum: 0), count: width * rows * c)
    for yy in 0..<rows {
      let rowBase = (yy + firstRow) * plane.width * c
      for xx in 0..<width {
        let xmin = coefficients.start[xx]
        let xmax = coefficients.count[xx]
        let kBase = xx * ksize
        for ch in 0..<c {
          var ss = 0.0
          for x in 0..<xmax {
            ss += plane.samples[rowBase + (x + xmin) * c + ch].wideValue * coefficients.weights[kBase + x]
          }
          out[(yy * width + xx) * c + ch] = S(resampledSum: ss)
        }
      }
    }
    return Plane(samples: out, width: width, height: rows, channels: c)
  }

  static func verticalWide<S: WideSample>(_ plane: Plane<S>, coefficients: ResampleCoefficients) -> Plane<S> {
    let c = plane.channels
    let height = coefficients.start.count
    let ksize = coefficients.kernelSize
    let rowLength = plane.width * c
    var out = [S](repeating: S(resampledSum: 0), count: rowLength * height)
    for yy in 0..<height {
      let ymin = coefficients.start[yy]
      let ymax = coefficients.count[yy]
      let kBase = yy * ksize
      for i in 0..<rowLength {
        var ss = 0.0
        for y in 0..<ymax {
          ss += plane.samples[(y + ymin) * rowLength + i].wideValue * coefficients.weights[kBase + y]
        }
        out[yy * rowLength + i] = S(resampledSum: ss)
      }
    }
    return Plane(samples: out, width: plane.width, height: height, channels: c)
  }

  /// Checks sizes and the box the way Pillow's `_resize` does, returning the effective box.
  /// The validated source region, or nil when the resize would return the image unchanged (same size, whole image).
  static func regionToResize(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int, box: ResizeBox?) throws
    -> ResizeBox?
  {
    let effective = try validate(
      sourceWidth: sourceWidth, sourceHeight: sourceHeight, width: width, height: height, box: box)
    let full = ResizeBox(x0: 0, y0: 0, x1: Float(sourceWidth), y1: Float(sourceHeight))
    return width == sourceWidth && height == sourceHeight && effective == full ? nil : effective
  }

  static func validate(
    sourceWidth: Int, sourceHeight: Int, width: Int, height: Int, box: ResizeBox?
  ) throws -> ResizeBox {
    guard width > 0, height > 0 else {
      throw ImagingError.invalidArgument("target size \(width)x\(height) must be positive")
    }
    guard width <= 1 << 24, height <= 1 << 24 else {
      throw ImagingError.invalidArgument("target size \(width)x\(height) is too large")
    }
    let box = box ?? ResizeBox(x0: 0, y0: 0, x1: Float(sourceWidth), y1: Float(sourceHeight))
    guard box.x0 >= 0, box.y0 >= 0, box.x1 <= Float(sourceWidth), box.y1 <= Float(sourceHeight),
      box.x1 - box.x0 > 0, box.y1 - box.y0 > 0
    else {
      throw ImagingError.invalidArgument(
        "resize box (\(box.x0), \(box.y0), \(box.x1), \(box.y1)) must be non-empty and inside "
          + "\(sourceWidth)x\(sourceHeight)")
    }
    return box
  }
}

extension Image {
  /// The image resized to `width` x `height` exactly as Pillow's `Image.resize(size, resample, box)` computes it.
  ///
  /// Convolution filters run horizontally then vertically with the filter support widened by the downscale factor
  /// and 8-bit fixed-point weights; images with alpha are premultiplied first and unpremultiplied after, as
  /// Pillow does for `LA`/`RGBA` (nearest neighbour excepted).
  /// - Parameter box: the source region to scale (Pillow's `box`); the whole image when `nil`. Filters still read
  ///   pixels just outside the box where their support reaches.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` for a non-positive size or a box outside the image.
  public func resized(
    width: Int, height: Int, interpolation: Interpolation = .nearest, box: ResizeBox? = nil
  ) throws -> Image {
    guard
      let effective = try Resampler.regionToResize(
        sourceWidth: self.width, sourceHeight: self.height, width: width, height: height, box: box)
    else { return self }
    if (format == .rgba || format == .grayAlpha) && interpolation != .nearest {
      let resized = premultiplied().resizedPlane(
        width: width, height: height, interpolation: interpolation,
        box: effective)
      return resized.unpremultiplied()
    }
    return resizedPlane(width: width, height: height, interpolation: interpolation, box: effective)
  }

  private func resizedPlane(width: Int, height: Int, interpolation: Interpolation, box: ResizeBox) -> Image {
    let plane = Plane(samples: pixels, width: self.width, height: self.height, channels: channels)
    let result = Resampler.resize(
      plane, width: width, height: height, interpolation: interpolation, box: box, zero: 0,
      horizontal: { Resampler.horizontal8($0, firstRow: $1, coefficients: $2, rows: $3, width: $4) },
      vertical: { Resampler.vertical8($0, coefficients: $1) },
      nearestRule: .accumulated)
    return Image(unchecked: result.width, height: result.height, format: format, pixels: result.samples)
  }
}

extension Gray16Image {
  /// The image resized as Pillow resizes an `I;16` image: double-precision weights, results rounded half away
  /// from zero and clipped to 0...65535; nearest neighbour through Pillow's generic transform.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` for a non-positive size or a box outside the image.
  public func resized(
    width: Int, height: Int, interpolation: Interpolation = .nearest, box: ResizeBox? = nil
  ) throws -> Gray16Image {
    guard
      let effective = try Resampler.regionToResize(
        sourceWidth: self.width, sourceHeight: self.height, width: width, height: height, box: box)
    else { return self }
    let plane = Plane(samples: samples, width: self.width, height: self.height, channels: 1)
    let result = Resampler.resize(
      plane, width: width, height: height, interpolation: interpolation, box: effective, zero: 0,
      horizontal: { Resampler.horizontalWide($0, firstRow: $1, coefficients: $2, rows: $3, width: $4) },
      vertical: { Resampler.verticalWide($0, coefficients: $1) },
      nearestRule: .multiplied)
    return Gray16Image(unchecked: result.width, height: result.height, samples: result.samples)
  }
}

extension FloatImage {
  /// Each channel resized as Pillow resizes a 32-bit float (`F`) image: double-precision accumulation stored
  /// as `Float`.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` for a non-positive size or a box outside the image.
  public func resized(
    width: Int, height: Int, interpolation: Interpolation = .bilinear, box: ResizeBox? = nil
  ) throws -> FloatImage {
    guard
      let effective = try Resampler.regionToResize(
        sourceWidth: self.width, sourceHeight: self.height, width: width, height: height, box: box)
    else { return self }
    let plane = Plane(samples: values, width: self.width, height: self.height, channels: channels)
    let result = Resampler.resize(
      plane, width: width, height: height, interpolation: interpolation, box: effective, zero: 0,
      horizontal: { Resampler.horizontalWide($0, firstRow: $1, coefficients: $2, rows: $3, width: $4) },
      vertical: { Resampler.verticalWide($0, coefficients: $1) },
      nearestRule: .accumulated)
    return FloatImage(unchecked: result.width, height: result.height, channels: channels, values: result.samples)
  }
}

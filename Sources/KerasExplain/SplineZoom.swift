import Foundation

// A port of `scipy.ndimage.zoom` (scipy 1.17: `scipy/ndimage/_interpolation.py`, `src/ni_interpolation.c`,
// `src/ni_splines.c`) for 2-D Float32 arrays, written from a reading of scipy's code so that keras-vis's Grad-CAM
// heatmaps, which keras-vis resizes with `zoom(heatmap, factors)`, come out with scipy's numbers. The B-spline
// interpolation itself is Unser's: M. Unser, A. Aldroubi and M. Eden, "B-spline signal processing: Part I - Theory"
// and "Part II - Efficient design and applications", IEEE Trans. Signal Processing 41(2), 1993, 821-848; and
// M. Unser, "Splines: a perfect fit for signal and image processing", IEEE Signal Processing Magazine 16(6), 1999.

/// How `splineZoom` extends the input past its edges; the cases and raw values are scipy.ndimage's `mode` strings.
///
/// Pictured for the input `a b c d` (scipy's documentation uses the same pictures):
/// - `constant`: `k k k k | a b c d | k k k k` with k = cval, but only *output points* that map outside
///   [0, n - 1] get cval; inside, the spline is the mirror-extended one (scipy's legacy 'constant').
/// - `gridConstant`: `k k k k | a b c d | k k k k`, with the spline itself built on the padded signal.
/// - `nearest`: `a a a a | a b c d | d d d d`.
/// - `reflect` (alias `gridMirror`): `d c b a | a b c d | d c b a`, half-sample symmetric.
/// - `mirror`: `d c b | a b c d | c b a`, whole-sample symmetric.
/// - `wrap`: `b c | a b c d | b c`, scipy's legacy periodic mode with period n - 1 (the first and last samples
///   overlap) and the mirror prefilter; kept for parity, prefer `gridWrap`.
/// - `gridWrap`: `a b c d | a b c d | a b c d`, periodic with period n.
public enum SplineBoundaryMode: String, Sendable, CaseIterable {
  /// scipy's default: cval for output points outside the input, mirror spline inside.
  case constant
  /// Padding with cval (the spline is built on the input padded with cval).
  case gridConstant = "grid-constant"
  /// Repeats the edge samples.
  case nearest
  /// Half-sample symmetric reflection: the edge sample is repeated.
  case reflect
  /// scipy's alias of `reflect`.
  case gridMirror = "grid-mirror"
  /// Whole-sample symmetric reflection about the edge sample.
  case mirror
  /// scipy's legacy wrap-around, in which the first and last samples overlap.
  case wrap
  /// Periodic extension with the period equal to the input length.
  case gridWrap = "grid-wrap"
}

/// Why `splineZoom` refused its arguments.
public enum SplineZoomError: Error, Equatable, Sendable {
  /// The spline order is outside 0...5 (scipy raises "spline order not supported").
  case unsupportedOrder(Int)
  /// The input has no samples: both dimensions must be at least 1.
  case emptyInput(height: Int, width: Int)
  /// `values.count` is not `height * width`.
  case countMismatch(count: Int, height: Int, width: Int)
  /// A zoom factor is not finite, or `round(size * factor)` is negative, or the output would have more than
  /// 2^31 - 1 values.
  case invalidFactor(Double)
  /// `round(size * (target / size))` does not give the requested target size (only for absurdly large sizes).
  case unreachableTarget(height: Int, width: Int)
}

/// The output shape scipy's `zoom` gives a `height` x `width` input: `round(size * factor)` per axis.
///
/// The product is a Float64 and the rounding is Python's `round`, i.e. half to even (`round(2.5) == 2`); no warning
/// is involved (scipy 1.17 no longer warns when rounding changes the shape).
/// - Throws: `SplineZoomError.invalidFactor` when a product is not finite, rounds to a negative size, or is larger
///   than 2^31 - 1.
public func splineZoomShape(
  height: Int, width: Int, factors: (Double, Double)
) throws(SplineZoomError) -> (height: Int, width: Int) {
  (try zoomedLength(height, factors.0), try zoomedLength(width, factors.1))
}

/// Zooms a row-major 2-D Float32 array with B-spline interpolation, reproducing
/// `scipy.ndimage.zoom(input, factors, order=order, mode=mode, cval=cval, prefilter=prefilter, grid_mode=gridMode)`
/// for a float32 `input` (so a float32 result).
///
/// - Shapes: `input` holds `height * width` values, row `y` at `input[y * width ..< (y + 1) * width]`; the result
///   is `round(height * factors.0)` x `round(width * factors.1)` (see ``splineZoomShape(height:width:factors:)``).
/// - Mapping: output index k along an axis samples the input at `k * (n_in - 1) / (n_out - 1)`, or with
///   `gridMode`, where pixels are cells of width 1, at `(k + 0.5) * n_in / n_out - 0.5` (an output length of 1 uses
///   the ratio 1).
/// - Spline: with `prefilter` and `order > 1` the input is first turned into Float64 B-spline coefficients c by
///   recursive filtering (Unser, Aldroubi & Eden 1991, 1993); the value at (u, v) is then
///   `sum_{i,j} c[i][j] * beta_n(u - i) * beta_n(v - j)` over the `order + 1` nearest coefficients per axis,
///   accumulated in Float64 and rounded once to Float32. Without prefiltering the samples are used as coefficients
///   (a smoothing spline, as in scipy). Orders 0 and 1 are nearest-neighbour and bilinear interpolation.
/// - Edges: see ``SplineBoundaryMode``. scipy's 'nearest' and 'grid-constant' prefilter an input padded by 12
///   samples; its 'constant' gives cval to output points that fall outside the input, which, because
///   `(n_out - 1) * ((n_in - 1) / (n_out - 1))` can round above `n_in - 1`, includes the last row or column for some
///   sizes (8 -> 26, for one), exactly as scipy 1.17 does.
/// - A zoom of exactly 1 on both axes with `prefilter` returns the input unchanged (scipy's early exit).
///
/// - gridMode: scipy warns that 'grid-constant' and 'grid-wrap' usually suit `gridMode` better than 'constant' and
///   'wrap'; this port computes the same numbers without the warning.
///
/// Cost: O(h w) for the prefilter and O(H W (order + 1)^2) for the result (about 0.5 ms for 8x8 -> 299x299 in a
/// release build).
/// - Throws: ``SplineZoomError`` for an order outside 0...5, an empty input, a value count that is not
///   `height * width`, or a factor that gives no valid output size.
public func splineZoom(
  _ input: [Float], height: Int, width: Int, factors: (Double, Double), order: Int = 3,
  mode: SplineBoundaryMode = .constant, cval: Double = 0, prefilter: Bool = true, gridMode: Bool = false
) throws(SplineZoomError) -> (values: [Float], height: Int, width: Int) {
  guard (0...5).contains(order) else { throw .unsupportedOrder(order) }
  guard height > 0, width > 0 else { throw .emptyInput(height: height, width: width) }
  let (count, overflow) = height.multipliedReportingOverflow(by: width)
  guard !overflow, input.count == count else {
    throw .countMismatch(count: input.count, height: height, width: width)
  }
  let shape = try splineZoomShape(height: height, width: width, factors: factors)
  guard shape.height * shape.width <= Int(Int32.max) else {  // each is at most 2^31 - 1, so no overflow
    throw .invalidFactor(shape.height > shape.width ? factors.0 : factors.1)
  }
  if factors.0 == 1, factors.1 == 1, prefilter {
    return (input, height, width)
  }
  if shape.height == 0 || shape.width == 0 {
    return ([], shape.height, shape.width)
  }

  // Coefficients: Float64, prefiltered (on a padded copy for 'nearest' and 'grid-constant') when asked and useful.
  var coefficients: [Double]
  var coefficientHeight = height
  var coefficientWidth = width
  var padding = 0
  if prefilter && order > 1 {
    if mode == .nearest || mode == .gridConstant {
      padding = 12
      let extended = padded(
        input, height: height, width: width, padding: padding, fill: mode == .nearest ? nil : Float(cval))
      coefficients = extended.values
      coefficientHeight = extended.height
      coefficientWidth = extended.width
    } else {
      coefficients = input.map(Double.init)
    }
    coefficients = splineCoefficients(
      coefficients, height: coefficientHeight, width: coefficientWidth, order: order,
      extension: SplineFilterExtension(mode))
  } else {
    coefficients = input.map(Double.init)
  }

  let rule = CoordinateRule(mode)
  let rows = ZoomAxis(
    outputLength: shape.height, inputLength: coefficientHeight, originalLength: height, padding: padding,
    order: order, rule: rule, gridMode: gridMode)
  let columns = ZoomAxis(
    outputLength: shape.width, inputLength: coefficientWidth, originalLength: width, padding: padding,
    order: order, rule: rule, gridMode: gridMode)
  let values = interpolate(coefficients, width: coefficientWidth, rows: rows, columns: columns, cval: cval)
  return (values, shape.height, shape.width)
}

/// Resizes a row-major 2-D Float32 array to `targetHeight` x `targetWidth` the way keras-vis does:
/// `scipy.ndimage.zoom(input, (targetHeight / height, targetWidth / width), ...)`.
///
/// The factors are computed in Float64 as keras-vis computes them (`i / (j * 1.0)`), and scipy's
/// `round(size * factor)` brings the output back to the target size. Other parameters and the formula are those of
/// ``splineZoom(_:height:width:factors:order:mode:cval:prefilter:gridMode:)``.
/// - Returns: `targetHeight * targetWidth` values, row-major.
/// - Throws: ``SplineZoomError`` as the factor variant does, and `unreachableTarget` if the rounded size missed the
///   target (which needs sizes far beyond any image).
public func splineZoom(
  _ input: [Float], height: Int, width: Int, targetHeight: Int, targetWidth: Int, order: Int = 3,
  mode: SplineBoundaryMode = .constant, cval: Double = 0, prefilter: Bool = true, gridMode: Bool = false
) throws(SplineZoomError) -> [Float] {
  guard height > 0, width > 0 else { throw .emptyInput(height: height, width: width) }
  let factors = (Double(targetHeight) / Double(height), Double(targetWidth) / Double(width))
  let result = try splineZoom(
    input, height: height, width: width, factors: factors, order: order, mode: mode, cval: cval,
    prefilter: prefilter, gridMode: gridMode)
  guard result.height == targetHeight, result.width == targetWidth else {
    throw .unreachableTarget(height: targetHeight, width: targetWidth)
  }
  return result.values
}

/// `int(round(length * factor))` with Python's half-to-even rounding.
private func zoomedLength(_ length: Int, _ factor: Double) throws(SplineZoomError) -> Int {
  let rounded = (Double(length) * factor).rounded(.toNearestOrEven)
  guard rounded.isFinite, rounded >= 0, rounded <= Double(Int32.max) else { throw .invalidFactor(factor) }
  return Int(rounded)
}

// MARK: - Coordinates

/// scipy's boundary handling codes, as used when mapping coordinates (`NI_ExtendMode`).
enum CoordinateRule: Equatable {
  case nearest, wrap, reflect, mirror, constant, gridWrap, gridConstant

  init(_ mode: SplineBoundaryMode) {
    switch mode {
    case .constant: self = .constant
    case .gridConstant: self = .gridConstant
    case .nearest: self = .nearest
    case .reflect, .gridMirror: self = .reflect
    case .mirror: self = .mirror
    case .wrap: self = .wrap
    case .gridWrap: self = .gridWrap
    }
  }

  /// The rule for coefficients under a spline footprint that crosses the edge: 'constant' and 'wrap' have no
  /// prefilter of their own and read the mirror-extended coefficients.
  var footprintRule: CoordinateRule {
    switch self {
    case .constant, .wrap: .mirror
    default: self
    }
  }

  /// Maps a coordinate outside [0, length - 1] back inside, as scipy's `map_coordinate` does (same arithmetic,
  /// including truncating Float64 -> Int conversions); 'constant' answers -1 for "outside" and 'grid-constant'
  /// leaves the coordinate alone. `x` must be finite and of moderate size (zoom coordinates always are).
  func map(_ x: Double, length: Int) -> Double {
    if x < 0 {
      switch self {
      case .mirror:
        guard length > 1 else { return 0 }
        let period = 2 * length - 2
        let y = Double(period * Int(-x / Double(period))) + x
        return y <= Double(1 - length) ? y + Double(period) : -y
      case .reflect:
        guard length > 1 else { return 0 }
        let period = 2 * length
        var y = x
        if y < Double(-period) {
          y = Double(period * Int(-y / Double(period))) + y
        }
        // scipy keeps -y - 1 from rounding to exactly -1 for tiny negative y.
        return y < Double(-length) ? y + Double(period) : (y > -1e-15 ? 1e-15 : -y) - 1
      case .wrap:
        guard length > 1 else { return 0 }
        let period = length - 1
        return x + Double(period * (Int(-x / Double(period)) + 1))
      case .gridWrap:
        guard length > 1 else { return 0 }
        return x + Double(length * (Int((-1 - x) / Double(length)) + 1))
      case .nearest:
        return 0
      case .constant:
        return -1
      case .gridConstant:
        return x
      }
    } else if x > Double(length - 1) {
      switch self {
      case .mirror:
        guard length > 1 else { return 0 }
        let period = 2 * length - 2
        let y = x - Double(period * Int(x / Double(period)))
        return y >= Double(length) ? Double(period) - y : y
      case .reflect:
        guard length > 1 else { return 0 }
        let period = 2 * length
        let y = x - Double(period * Int(x / Double(period)))
        return y >= Double(length) ? Double(period) - y - 1 : y
      case .wrap:
        guard length > 1 else { return 0 }
        let period = length - 1
        return x - Double(period * Int(x / Double(period)))
      case .gridWrap:
        guard length > 1 else { return 0 }
        return x - Double(length * Int(x / Double(length)))
      case .nearest:
        return Double(length - 1)
      case .constant:
        return -1
      case .gridConstant:
        return x
      }
    }
    return x
  }
}

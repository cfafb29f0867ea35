import KerasRuntime
import Testing

/// The outcome of an element-wise comparison with NumPy's `allclose` rule, with the worst element for the failure
/// message.
public struct Closeness: CustomStringConvertible, Sendable {
  /// Why the arrays cannot be compared element by element (different counts or shapes), if they cannot.
  public var mismatch: String?
  /// The shapes compared, for tensors.
  public var shapes: (actual: [Int], expected: [Int])?
  /// The number of elements compared.
  public var count = 0
  /// The number of elements outside the tolerance.
  public var failures = 0
  /// The largest `|a - b| - (atol + rtol |b|)` (at most 0 when every element is close; infinite for NaN).
  public var worstExcess = -Double.infinity
  /// Where the worst element is (-1 before any).
  public var worstIndex = -1
  /// The worst element's values, difference and allowed difference.
  public var worst: (actual: Float, expected: Float, difference: Double, allowed: Double) = (0, 0, 0, 0)
  /// The largest `|a - b|` (infinite when a NaN takes part).
  public var maxAbsoluteDifference = 0.0

  /// Whether `allclose` holds: comparable arrays, every element close.
  public var holds: Bool { mismatch == nil && failures == 0 }

  public var description: String {
    let shapeNote = shapes.map { " (shapes \($0.actual) vs \($0.expected))" } ?? ""
    if let mismatch { return mismatch + shapeNote }
    guard worstIndex >= 0 else { return "no elements" + shapeNote }
    return "\(failures) of \(count) elements not close; worst at index \(worstIndex): \(worst.actual) vs "
      + "\(worst.expected) (|diff| \(worst.difference), allowed \(worst.allowed)); max |diff| \(maxAbsoluteDifference)"
      + shapeNote
  }
}

/// NumPy's `allclose(actual, expected, rtol, atol, equal_nan)`: `|a - b| <= atol + rtol |b|` for every element,
/// evaluated in Double. Equal values are close (so are equal infinities); an infinity is close to nothing else;
/// NaN is close to nothing unless `equalNaN` (then NaN is close to NaN). The result tells whether it holds and
/// which element is the worst.
public func allClose<Actual: Collection<Float>, Expected: Collection<Float>>(
  _ actual: Actual, _ expected: Expected, rtol: some BinaryFloatingPoint, atol: some BinaryFloatingPoint,
  equalNaN: Bool = false
) -> Closeness {
  var result = Closeness()
  guard actual.count == expected.count else {
    result.mismatch = "counts differ: \(actual.count) vs \(expected.count)"
    return result
  }
  let (rtol, atol) = (Double(rtol), Double(atol))
  result.count = actual.count
  for (index, (a, b)) in zip(actual, expected).enumerated() {
    let equal = a == b || (equalNaN && a.isNaN && b.isNaN)
    let difference = equal ? 0 : abs(Double(a) - Double(b))
    let allowed = atol + rtol * abs(Double(b))
    // As NumPy, values that are not both finite are close only when equal (rtol |inf| would allow anything).
    let finite = a.isFinite && b.isFinite
    let close = equal || (finite && difference <= allowed)
    let excess = equal ? -Double.infinity : finite ? difference - allowed : .infinity
    if !close { result.failures += 1 }
    result.maxAbsoluteDifference = max(result.maxAbsoluteDifference, difference.isNaN ? .infinity : difference)
    if result.worstIndex < 0 || excess > result.worstExcess {
      result.worstExcess = excess
      result.worstIndex = index
      result.worst = (a, b, difference, allowed)
    }
  }
  return result
}

/// `allClose` of two tensors' elements; tensors of different shapes are never close.
public func allClose(
  _ actual: Tensor, _ expected: Tensor, rtol: some BinaryFloatingPoint, atol: some BinaryFloatingPoint,
  equalNaN: Bool = false
) -> Closeness {
  var result: Closeness
  if actual.shape == expected.shape {
    result = allClose(actual.scalars, expected.scalars, rtol: rtol, atol: atol, equalNaN: equalNaN)
  } else {
    result = Closeness()
    result.mismatch = "shapes differ"
  }
  result.shapes = (actual.shape, expected.shape)
  return result
}

/// Expects `allclose(actual, expected, rtol, atol)` of two tensors, reporting the worst element.
public func expectAllClose(
  _ actual: Tensor, _ expected: Tensor, rtol: some BinaryFloatingPoint, atol: some BinaryFloatingPoint,
  equalNaN: Bool = false, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
  let result = allClose(actual, expected, rtol: rtol, atol: atol, equalNaN: equalNaN)
  #expect(result.holds, "\(comment.isEmpty ? "" : comment + ": ")\(result)", sourceLocation: sourceLocation)
}

/// Expects `allclose(actual, expected, rtol, atol)` of two arrays, reporting the worst element.
public func expectAllClose<Actual: Collection<Float>, Expected: Collection<Float>>(
  _ actual: Actual, _ expected: Expected, rtol: some BinaryFloatingPoint, atol: some BinaryFloatingPoint,
  equalNaN: Bool = false, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
  let result = allClose(actual, expected, rtol: rtol, atol: atol, equalNaN: equalNaN)
  #expect(result.holds, "\(comment.isEmpty ? "" : comment + ": ")\(result)", sourceLocation: sourceLocation)
}

/// The largest `|a - b|` over the elements, or infinity when the shapes differ.
public func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
  guard a.shape == b.shape else { return .infinity }
  return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// The largest `|a|` of a tensor's elements.
public func largestMagnitude(_ a: Tensor) -> Float { a.scalars.reduce(0) { max($0, abs($1)) } }

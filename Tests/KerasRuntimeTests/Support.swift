import Foundation
import KerasGraph
import KerasReaders
import KerasRuntime
import Testing

/// `Tests/Fixtures/models`, written with real Keras by `tools/make_fixtures.py`.
let modelFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures/models")

func fixturePath(_ name: String) -> String { modelFixtures.appendingPathComponent(name).path }

/// The largest `|a - b| - (atol + rtol |b|)` over all elements (<= 0 means NumPy's `allclose` holds), with where.
struct Closeness: CustomStringConvertible {
  var worstExcess: Float = -.infinity
  var maxAbsoluteDifference: Float = 0
  var worstIndex = -1
  var worst: (actual: Float, expected: Float) = (0, 0)
  var shapesMatch = true

  var holds: Bool { shapesMatch && worstExcess <= 0 }

  var description: String {
    shapesMatch
      ? "max |diff| \(maxAbsoluteDifference); worst at \(worstIndex): \(worst.actual) vs \(worst.expected)"
      : "shapes differ"
  }
}

/// NumPy's `allclose(actual, expected, rtol, atol)`: `|a - b| <= atol + rtol |b|` everywhere, NaN never close.
func closeness(_ actual: Tensor, _ expected: Tensor, rtol: Float, atol: Float) -> Closeness {
  var result = Closeness()
  guard actual.shape == expected.shape else {
    result.shapesMatch = false
    return result
  }
  let a = actual.scalars
  let b = expected.scalars
  for i in a.indices {
    let difference = abs(a[i] - b[i])
    let excess = difference.isNaN ? .infinity : difference - (atol + rtol * abs(b[i]))
    result.maxAbsoluteDifference = max(result.maxAbsoluteDifference, difference.isNaN ? .infinity : difference)
    if excess > result.worstExcess {
      result.worstExcess = excess
      result.worstIndex = i
      result.worst = (a[i], b[i])
    }
  }
  return result
}

/// Expects `allclose(actual, expected, rtol, atol)`, reporting the worst element.
func expectAllClose(
  _ actual: Tensor, _ expected: Tensor, rtol: Float, atol: Float, _ comment: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let result = closeness(actual, expected, rtol: rtol, atol: atol)
  #expect(
    result.holds, "\(comment): \(result) (shapes \(actual.shape) vs \(expected.shape))", sourceLocation: sourceLocation)
}

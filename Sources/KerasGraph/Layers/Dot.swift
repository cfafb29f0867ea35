/// Dot: the batched dot product of two inputs (Keras's `batch_dot`): per sample, axis `axes[0]` of the first
/// input is summed against axis `axes[1]` of the second; the output keeps the first input's other axes, then the
/// second's (`(N, 1)` when nothing is left). With `normalize`, each input is first L2-normalized along its summed
/// axis (the cosine similarity; the clamp as in `UnitNormalization`).
public struct Dot: LayerKind, Equatable {
  public static let kerasClassNames = ["Dot"]
  public static let operationNames = ["dot"]

  /// The summed axis of each input as written (an int in Keras's config means the same axis for both).
  public var axes: [Int]
  public var normalize: Bool
  /// The smallest squared norm divided by when normalizing (1e-12 for files of Keras 2, 1e-24 for Keras 3).
  public var minimumSquaredNorm: Float

  public init(axes: [Int], normalize: Bool = false, minimumSquaredNorm: Float = 1e-24) {
    self.axes = axes
    self.normalize = normalize
    self.minimumSquaredNorm = minimumSquaredNorm
  }

  enum CodingKeys: String, CodingKey {
    case axes, normalize
    case minimumSquaredNorm = "minimum_squared_norm"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    axes = try container.intList(.axes)
    if axes.count == 1 { axes = [axes[0], axes[0]] }
    guard axes.count == 2 else { throw container.failure(.axes, "expected one axis or two, found \(axes)") }
    normalize = try container.bool(.normalize, default: false)
    let kerasDefault: Float = decoder.layerContext?.source == .keras(major: 2) ? 1e-12 : 1e-24
    minimumSquaredNorm = try container.float(.minimumSquaredNorm, default: kerasDefault)
  }

  /// The summed axes for inputs of these ranks, non-negative (Keras takes a negative axis modulo the rank).
  public func normalizedAxes(ranks: [Int]) throws -> [Int] {
    try zip(axes, ranks).map { axis, rank in
      let normalized = axis < 0 ? axis + rank : axis
      guard normalized >= 1, normalized < rank else {
        throw ShapeProblem(detail: "Dot axis \(axis) is not a non-batch axis of a rank-\(rank) input")
      }
      return normalized
    }
  }

  /// The einsum the dot product is, for inputs of these ranks (the output before a `(N,)` result gets its
  /// trailing 1).
  public func einsum(ranks: [Int]) throws -> EinsumEquation {
    let summed = try normalizedAxes(ranks: ranks)
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    guard ranks[0] + ranks[1] < letters.count else { throw ShapeProblem(detail: "Dot inputs of too high rank") }
    let lhs = Array(letters[0..<ranks[0]])
    var rhs = Array(letters[ranks[0]..<(ranks[0] + ranks[1])])
    rhs[0] = lhs[0]
    rhs[summed[1]] = lhs[summed[0]]
    let output =
      [lhs[0]] + lhs.enumerated().filter { $0.offset != 0 && $0.offset != summed[0] }.map(\.element)
      + rhs.enumerated().filter { $0.offset != 0 && $0.offset != summed[1] }.map(\.element)
    return EinsumEquation(lhs: lhs, rhs: rhs, output: output)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, count: 2)
    let equation = try einsum(ranks: inputs.map(\.rank))
    let output = try equation.outputShape(lhs: inputs[0].dimensions, rhs: inputs[1].dimensions)
    return [TensorShape(output.count == 1 ? output + [1] : output)]
  }
}

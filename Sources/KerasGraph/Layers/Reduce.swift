/// A reduction over non-batch axes: `tf.math.reduce_mean/max/sum/min(x, axis, keepdims)` and Keras 3's
/// `ops.mean/max/sum/min`. Not a Keras layer class: what those operations import as.
public struct Reduce: LayerKind, Equatable {
  public static let kerasClassNames: [String] = []
  public static let operationNames = ["reduce"]

  /// What the reduction computes.
  public var operation: ReduceOperation
  /// The reduced axes as written (negative counts from the end); never the batch axis.
  public var axis: [Int]
  /// Whether the reduced axes stay, with size 1.
  public var keepdims: Bool

  public init(_ operation: ReduceOperation, axis: [Int], keepdims: Bool = false) {
    self.operation = operation
    self.axis = axis
    self.keepdims = keepdims
  }

  enum CodingKeys: String, CodingKey { case operation, axis, keepdims }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let name = try container.string(.operation)
    guard let operation = ReduceOperation(rawValue: name) else {
      throw container.failure(
        .operation, "expected one of \(ReduceOperation.allCases.map(\.rawValue)), found '\(name)'")
    }
    self.operation = operation
    axis = try container.intList(.axis)
    guard !axis.isEmpty else { throw container.failure(.axis, "expected at least one axis") }
    keepdims = try container.bool(.keepdims, default: false)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(operation.rawValue, forKey: .operation)
    try container.encode(axis, forKey: .axis)
    try container.encode(keepdims, forKey: .keepdims)
  }

  /// The reduced axes for an input of `rank`, non-negative, sorted, each once.
  /// - Throws: `ShapeProblem` for the batch axis, an axis out of range or a repeated axis.
  public func normalizedAxes(rank: Int) throws -> [Int] {
    let axes = try axis.map { try normalizedAxis($0, rank: rank) }
    guard Set(axes).count == axes.count else { throw ShapeProblem(detail: "axis \(axis) names an axis twice") }
    return axes.sorted()
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    let reduced = Set(try normalizedAxes(rank: inputs[0].rank))
    var dimensions: [Int?] = []
    for (position, size) in inputs[0].dimensions.enumerated() {
      if !reduced.contains(position) {
        dimensions.append(size)
      } else if keepdims {
        dimensions.append(1)
      }
    }
    return [TensorShape(dimensions)]
  }
}

/// What a `Reduce` computes over its axes.
public enum ReduceOperation: String, Sendable, CaseIterable {
  /// `sum(x) / count`
  case mean
  /// `max(x)`; the gradient is shared equally among tied maxima, as TensorFlow's `reduce_max`.
  case max
  /// `sum(x)`
  case sum
  /// `min(x)`; the gradient is shared equally among tied minima, as TensorFlow's `reduce_min`.
  case min
}

/// Stacking of same-shape inputs along a new axis (`tf.stack(values, axis)`, Keras 3's `ops.stack`): the output
/// has the inputs' rank plus one, and `output[..., k, ...] = inputs[k]` along `axis`. Never the batch axis. Not a
/// Keras layer class: what those operations import as.
public struct Stack: LayerKind, Equatable {
  public static let kerasClassNames: [String] = []
  public static let operationNames = ["stack"]

  /// The new axis as written, counted in the output's rank (negative counts from the end).
  public var axis: Int

  public init(axis: Int) {
    self.axis = axis
  }

  enum CodingKeys: String, CodingKey { case axis }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    axis = try container.int(.axis)
  }

  /// The new axis for inputs of `rank` (an axis of the output, of rank `rank + 1`).
  /// - Throws: `ShapeProblem` for the batch axis or an axis out of range.
  public func normalizedAxis(inputRank rank: Int) throws -> Int {
    try KerasGraph.normalizedAxis(axis, rank: rank + 1)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    guard let first = inputs.first else { throw ShapeProblem(detail: "stack needs at least one input") }
    let rank = first.rank
    guard inputs.allSatisfy({ $0.rank == rank }) else {
      throw ShapeProblem(detail: "inputs \(inputs.map(\.description)) of different ranks cannot be stacked")
    }
    let position = try normalizedAxis(inputRank: rank)
    var dimensions = first.dimensions
    for axis in 1..<max(rank, 1) {
      let sizes = Set(inputs.compactMap { $0.dimensions[axis] })
      guard sizes.count <= 1 else {
        throw ShapeProblem(detail: "inputs \(inputs.map(\.description)) differ in shape and cannot be stacked")
      }
      dimensions[axis] = sizes.first
    }
    dimensions.insert(inputs.count, at: position)
    return [TensorShape(dimensions)]
  }
}

/// Concatenate: joins its inputs along `axis`; every other axis must agree.
public struct Concatenate: LayerKind, Equatable {
  public static let kerasClassNames = ["Concatenate"]
  public static let operationNames = ["concatenate"]

  /// The axis as written (negative counts from the end).
  public var axis: Int

  public init(axis: Int = -1) {
    self.axis = axis
  }

  enum CodingKeys: String, CodingKey {
    case axis
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    axis = try container.int(.axis, default: -1)
    if let rank = decoder.layerContext?.inputRank, rank > 0 {
      do { _ = try KerasGraph.normalizedAxis(axis, rank: rank) } catch { throw container.failure(.axis, "\(error)") }
    }
  }

  /// The axis for inputs of `rank`.
  public func normalizedAxis(rank: Int) throws -> Int { try KerasGraph.normalizedAxis(axis, rank: rank) }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    guard inputs.count >= 2 else {
      throw ShapeProblem(detail: "Concatenate needs at least 2 inputs, got \(inputs.count)")
    }
    let rank = inputs[0].rank
    guard inputs.allSatisfy({ $0.rank == rank }), let axis = try? normalizedAxis(rank: rank) else {
      throw ShapeProblem(detail: "inputs \(inputs.map(\.description)) cannot be concatenated on axis \(self.axis)")
    }
    var output = inputs[0]
    for position in 1..<rank where position != axis {
      let sizes = Set(inputs.compactMap { $0.dimensions[position] })
      guard sizes.count <= 1 else {
        throw ShapeProblem(detail: "inputs \(inputs.map(\.description)) differ outside the concatenation axis \(axis)")
      }
      output.dimensions[position] = sizes.first
    }
    let parts = inputs.map { $0.dimensions[axis] }
    output.dimensions[axis] = parts.contains { $0 == nil } ? nil : parts.compactMap { $0 }.reduce(0, +)
    return [output]
  }
}

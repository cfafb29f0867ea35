extension LayerOperation {
  /// The weights a layer with this operation stores, in Keras's order, for the given input shapes: what a reader
  /// of a model file checks the stored weights against.
  ///
  /// Unlike the importer's internal check this first validates what depends on the inputs (their number and rank,
  /// the axes the operation names, a permutation's length), so it is safe to call on a graph read from an
  /// untrusted file whose operations hold in-range values otherwise.
  /// - Throws: `ShapeProblem` when the inputs do not fit the operation.
  public func expectedWeights(inputShapes: [TensorShape]) throws -> [WeightSpecification] {
    let rank = inputShapes.first?.rank ?? 0
    func checkAxes(_ axes: [Int]) throws {
      if let bad = axes.first(where: { !(1..<max(rank, 2)).contains($0) }) {
        throw ShapeProblem(detail: "axis \(bad) is out of range for an input of rank \(rank)")
      }
    }
    switch self {
    case .layerNormalization(let norm): try checkAxes(norm.axes)
    case .normalization(let norm): try checkAxes(norm.axes)
    case .batchNormalization(let norm): try checkAxes([norm.axis])
    case .softmax(let axes): try checkAxes(axes)
    case .concatenate(let axis): try checkAxes([axis])
    case .permute(let dimensions):
      guard dimensions.sorted() == Array(1..<max(rank, 1)) else {
        throw ShapeProblem(detail: "dims \(dimensions) are not a permutation of the \(max(rank - 1, 0)) non-batch axes")
      }
    default: break
    }
    _ = try outputShapes(inputs: inputShapes)
    return try weightSpecifications(inputs: inputShapes)
  }
}

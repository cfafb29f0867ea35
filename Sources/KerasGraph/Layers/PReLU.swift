/// PReLU: `x` for x >= 0, `alpha * x` otherwise, with a learned `alpha` of the input's shape (batch excluded),
/// shared (size 1) along `shared_axes` (1-based, as in Keras).
public struct PReLU: LayerKind, Equatable {
  public static let kerasClassNames = ["PReLU"]
  public static let operationNames = ["prelu"]

  public var sharedAxes: [Int]

  public init(sharedAxes: [Int] = []) {
    self.sharedAxes = sharedAxes
  }

  enum CodingKeys: String, CodingKey {
    case sharedAxes = "shared_axes"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    sharedAxes = try container.intList(.sharedAxes, default: [])
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return inputs
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let shape = try inputs[0].featureDimensions.enumerated().map { offset, size -> Int in
      if sharedAxes.contains(offset + 1) { return 1 }
      guard let size else { throw ShapeProblem(detail: "PReLU needs known dimensions, got \(inputs[0])") }
      return size
    }
    return [WeightSpecification(name: "alpha", shape: shape)]
  }
}

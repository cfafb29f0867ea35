/// Permute: reorders the non-batch axes; `dims` is a permutation of `1...rank-1`, as in Keras.
public struct Permute: LayerKind, Equatable {
  public static let kerasClassNames = ["Permute"]
  public static let operationNames = ["permute"]

  public var dims: [Int]

  public init(dims: [Int]) {
    self.dims = dims
  }

  enum CodingKeys: String, CodingKey {
    case dims
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    dims = try container.intList(.dims)
    guard dims.sorted() == Array(1...max(dims.count, 1)) else {
      throw container.failure(.dims, "expected a permutation of 1...\(dims.count), found \(dims)")
    }
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    guard dims.count == inputs[0].rank - 1 else {
      throw ShapeProblem(detail: "dims \(dims) do not match the input \(inputs[0])")
    }
    return [TensorShape([nil] + dims.map { inputs[0].dimensions[$0] })]
  }
}

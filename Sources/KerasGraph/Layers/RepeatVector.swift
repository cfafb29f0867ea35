/// RepeatVector: `y[n, t, :] = x[n, :]` for `t < n`; input `(N, F)`, output `(N, n, F)`.
public struct RepeatVector: LayerKind, Equatable {
  public static let kerasClassNames = ["RepeatVector"]
  public static let operationNames = ["repeat_vector"]

  /// How many times the input is repeated.
  public var n: Int

  public init(n: Int) {
    self.n = n
  }

  enum CodingKeys: String, CodingKey { case n }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    n = try container.positiveInt(.n)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    guard inputs[0].rank == 2 else {
      throw ShapeProblem(detail: "RepeatVector needs a rank-2 input (batch, features), got \(inputs[0])")
    }
    return [TensorShape([inputs[0].dimensions[0], n, inputs[0].dimensions[1]])]
  }
}

/// The boolean operations Keras 3 records where it computes masks in a functional model (Embedding's
/// `not_equal(ids, 0)`, Masking's `any(not_equal(x, v), axis=-1)`, merges' `logical_or`/`logical_and`), as 0/1
/// floats without gradient: `not_equal` with a number, `any` over axes, and `logical_or`/`logical_and` of two
/// tensors of one shape. Not a Keras layer class. kerasvis propagates masks itself (see the runtime's
/// `propagateMasks`), so these run only where something else reads them.
public struct MaskOperation: LayerKind, Equatable {
  public static let kerasClassNames: [String] = []
  public static let operationNames = ["mask_operation"]

  /// What is computed.
  public enum Operation: String, Sendable, Codable, Equatable {
    case notEqual = "not_equal"
    case any
    case logicalOr = "logical_or"
    case logicalAnd = "logical_and"
  }

  public var operation: Operation
  /// `not_equal`'s number.
  public var constant: Float
  /// `any`'s axes as written.
  public var axis: [Int]
  /// Whether `any` keeps the reduced axes.
  public var keepdims: Bool

  public init(_ operation: Operation, constant: Float = 0, axis: [Int] = [], keepdims: Bool = false) {
    self.operation = operation
    self.constant = constant
    self.axis = axis
    self.keepdims = keepdims
  }

  enum CodingKeys: String, CodingKey { case operation, constant, axis, keepdims }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let name = try container.string(.operation)
    guard let operation = Operation(rawValue: name) else {
      throw container.failure(.operation, "'\(name)' is not not_equal, any, logical_or or logical_and")
    }
    self.operation = operation
    constant = try container.float(.constant, default: 0)
    axis = try container.intList(.axis, default: [])
    keepdims = try container.bool(.keepdims, default: false)
  }

  /// The Keras 3 operation `className` with `arguments` as a mask operation, or nil when it is not one.
  public static func translate(className: String, config: JSONValue, arguments: [PositionalArgument]) throws
    -> MaskOperation?
  {
    if className == "NotEqual", arguments.count == 2, arguments.contains(.tensor) {
      for case .number(let value) in arguments { return MaskOperation(.notEqual, constant: Float(value)) }
    }
    switch (className, arguments) {
    case ("Any", [.tensor]):
      let axis = config["axis"] ?? .null
      guard let axes = axis.int.map({ [$0] }) ?? axis.array?.compactMap(\.int), !axes.isEmpty else {
        throw LayerConfigError(field: "axis", detail: "any over \(axis.jsonText) is not supported (give the axes)")
      }
      return MaskOperation(.any, axis: axes, keepdims: config["keepdims"]?.bool ?? false)
    case ("LogicalOr", [.tensor, .tensor]): return MaskOperation(.logicalOr)
    case ("LogicalAnd", [.tensor, .tensor]): return MaskOperation(.logicalAnd)
    default: return nil
    }
  }

  /// `any`'s axes for an input of `rank`, non-negative and sorted.
  public func normalizedAxes(rank: Int) throws -> [Int] {
    try axis.map { try normalizedAxis($0, rank: rank) }.sorted()
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    switch operation {
    case .notEqual:
      try requireInputs(inputs)
      return inputs
    case .any:
      try requireInputs(inputs)
      let reduced = Set(try normalizedAxes(rank: inputs[0].rank))
      var dimensions: [Int?] = []
      for (position, size) in inputs[0].dimensions.enumerated() {
        if !reduced.contains(position) { dimensions.append(size) } else if keepdims { dimensions.append(1) }
      }
      return [TensorShape(dimensions)]
    case .logicalOr, .logicalAnd:
      try requireInputs(inputs, count: 2)
      guard inputs[0].featureDimensions == inputs[1].featureDimensions else {
        throw ShapeProblem(detail: "\(operation.rawValue) of shapes \(inputs[0]) and \(inputs[1])")
      }
      return [inputs[0]]
    }
  }
}

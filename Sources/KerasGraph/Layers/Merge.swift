/// The element-wise merge layers Add, Subtract, Multiply, Average, Maximum and Minimum over several inputs of the
/// same (NumPy-broadcastable) shape. The class name (or native op name) is the operation.
public struct Merge: LayerKind, Equatable {
  public static let kerasClassNames = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]
  public static let operationNames = MergeOperation.allCases.map(\.rawValue)

  public var operation: MergeOperation

  public init(_ operation: MergeOperation) {
    self.operation = operation
  }

  public init(config: JSONValue, name: String, context: LayerDecodingContext) throws {
    guard let operation = MergeOperation(rawValue: name.lowercased()) else {
      throw LayerConfigError(field: "class_name", detail: "'\(name)' is not a merge layer")
    }
    self.operation = operation
  }

  public init(from decoder: any Decoder) throws {
    throw LayerConfigError(field: "class_name", detail: "a merge layer is decoded from its class name")
  }

  public func encode(to encoder: any Encoder) throws {
    _ = encoder.container(keyedBy: MergeCodingKeys.self)
  }

  public var operationName: String { operation.rawValue }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    guard inputs.count >= 2 else {
      throw ShapeProblem(detail: "\(operation) needs at least 2 inputs, got \(inputs.count)")
    }
    if operation == .subtract, inputs.count != 2 {
      throw ShapeProblem(detail: "Subtract needs exactly 2 inputs, got \(inputs.count)")
    }
    return [try inputs.dropFirst().reduce(inputs[0]) { try broadcastShapes($0, $1) }]
  }
}

private enum MergeCodingKeys: CodingKey {}

/// What a merge layer computes.
public enum MergeOperation: String, Sendable, CaseIterable {
  case add, subtract, multiply, average, maximum, minimum
}

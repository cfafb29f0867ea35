/// Reshape: to `(N, target_shape...)` in row-major order; one entry may be -1 (inferred).
public struct Reshape: LayerKind, Equatable {
  public static let kerasClassNames = ["Reshape"]
  public static let operationNames = ["reshape"]

  public var targetShape: [Int]

  public init(targetShape: [Int]) {
    self.targetShape = targetShape
  }

  enum CodingKeys: String, CodingKey {
    case targetShape = "target_shape"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    targetShape = try container.intList(.targetShape)
    guard targetShape.allSatisfy({ $0 == -1 || ($0 > 0 && $0 <= 1 << 30) }), targetShape.filter({ $0 == -1 }).count <= 1
    else {
      throw container.failure(.targetShape, "expected positive sizes and at most one -1, found \(targetShape)")
    }
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    let known = targetShape.filter { $0 > 0 }.reduce(1, *)
    var dimensions = targetShape.map { Optional($0) }
    if let hole = targetShape.firstIndex(of: -1) {
      if let total = inputs[0].elementsPerSample {
        guard known > 0, total % known == 0 else {
          throw ShapeProblem(detail: "cannot reshape \(inputs[0]) to \(targetShape)")
        }
        dimensions[hole] = total / known
      } else {
        dimensions[hole] = nil
      }
    } else if let total = inputs[0].elementsPerSample, total != known {
      throw ShapeProblem(detail: "cannot reshape \(inputs[0]) (\(total) values per sample) to \(targetShape)")
    }
    return [TensorShape([nil] + dimensions)]
  }
}

/// Masking: a time step whose features all equal `maskValue` is masked for the layers downstream (Keras's
/// `compute_mask`: `any(x != mask_value, axis=-1)`), and its features become 0 (`y = x * mask`). Input and output
/// `(N, T, ...)`.
public struct Masking: LayerKind, Equatable {
  public static let kerasClassNames = ["Masking"]
  public static let operationNames = ["masking"]

  /// The value that marks a padded step.
  public var maskValue: Float

  public init(maskValue: Float = 0) {
    self.maskValue = maskValue
  }

  enum CodingKeys: String, CodingKey {
    case maskValue = "mask_value"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    maskValue = try container.float(.maskValue, default: 0)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    guard inputs[0].rank >= 3 else {
      throw ShapeProblem(detail: "Masking needs an input of rank 3 or more (batch, steps, features), got \(inputs[0])")
    }
    return inputs
  }
}

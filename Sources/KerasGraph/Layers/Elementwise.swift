/// An element-wise math function that is not a Keras activation: `sqrt`, `square`, `log`, `abs`, clipping to
/// `[minimum, maximum]` (`tf.clip_by_value`, and `maximum`/`minimum` with a constant), and the tanh approximation
/// of GELU. Not a Keras layer class: what those TensorFlow functions and Keras 3 operations import as.
public struct Elementwise: LayerKind, Equatable {
  public static let kerasClassNames: [String] = []
  public static let operationNames = ["elementwise"]

  /// The function applied to every element.
  public var function: ElementwiseFunction
  /// `clip` only: the lower bound (nil: none).
  public var minimum: Float?
  /// `clip` only: the upper bound (nil: none).
  public var maximum: Float?

  public init(_ function: ElementwiseFunction, minimum: Float? = nil, maximum: Float? = nil) {
    self.function = function
    self.minimum = minimum
    self.maximum = maximum
  }

  enum CodingKeys: String, CodingKey { case function, minimum, maximum }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let name = try container.string(.function)
    guard let function = ElementwiseFunction(rawValue: name) else {
      throw container.failure(
        .function, "expected one of \(ElementwiseFunction.allCases.map(\.rawValue)), found '\(name)'")
    }
    self.function = function
    minimum = try container.optionalFloat(.minimum)
    maximum = try container.optionalFloat(.maximum)
    if function == .clip, let minimum, let maximum, !(minimum <= maximum) {
      throw container.failure(.maximum, "the upper bound \(maximum) is below the lower bound \(minimum)")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(function.rawValue, forKey: .function)
    if let minimum { try container.encode(JSONValue.float(minimum), forKey: .minimum) }
    if let maximum { try container.encode(JSONValue.float(maximum), forKey: .maximum) }
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return inputs
  }
}

/// The functions of `Elementwise`, with TensorFlow's gradients.
public enum ElementwiseFunction: String, Sendable, CaseIterable {
  /// `sqrt(x)`; gradient `0.5 dy / y`.
  case sqrt
  /// `x * x`; gradient `2 x dy`.
  case square
  /// `log(x)`; gradient `dy / x`.
  case log
  /// `|x|`; gradient `sign(x) dy`.
  case abs
  /// `min(max(x, minimum), maximum)`; the gradient passes where `minimum <= x <= maximum`.
  case clip
  /// `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))` (`tf.nn.gelu(approximate=True)`).
  case geluTanh = "gelu_tanh"
}

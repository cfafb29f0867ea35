/// Activation: an element-wise (or last-axis, for softmax-like functions) `keras.activations` function. Also the
/// node the importer makes of another layer's `activation=`.
public struct Activation: LayerKind, Equatable {
  public static let kerasClassNames = ["Activation"]
  public static let operationNames = ["activation"]

  public var function: ActivationFunction

  public init(_ function: ActivationFunction) {
    self.function = function
  }

  enum CodingKeys: String, CodingKey {
    case function = "activation"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    function = try container.activation(.function, context: decoder.layerContext)
  }

  /// The input's shape, as Keras reports it for every function (also for `glu`, whose result has half the last
  /// size: the runtime's step has the real shape, and a Keras layer built on the reported one fails in Keras too).
  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return inputs
  }

}

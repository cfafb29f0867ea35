/// DepthwiseConv2D: one kernel per input channel and multiplier. Kernel `(kh, kw, in, multiplier)`, bias
/// `(in * multiplier)`; output channel `c * multiplier + m` reads input channel `c`.
public struct DepthwiseConv2D: LayerKind, Equatable {
  public static let kerasClassNames = ["DepthwiseConv2D"]
  public static let operationNames = ["depthwise_conv2d"]
  public static let splitsActivation = true

  public var window: Window2D
  public var depthMultiplier: Int
  public var useBias: Bool

  public init(window: Window2D, depthMultiplier: Int = 1, useBias: Bool = true) {
    self.window = window
    self.depthMultiplier = depthMultiplier
    self.useBias = useBias
  }

  enum CodingKeys: String, CodingKey {
    case depthMultiplier = "depth_multiplier"
    case useBias = "use_bias"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    window = try Window2D(convolutionFrom: decoder)
    depthMultiplier = try container.positiveInt(.depthMultiplier, default: 1)
    useBias = try container.bool(.useBias, default: true)
  }

  public func encode(to encoder: any Encoder) throws {
    try window.encodeConvolution(to: encoder)
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(depthMultiplier, forKey: .depthMultiplier)
    try container.encode(useBias, forKey: .useBias)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    return [try window.outputShape(inputs[0], channels: try channelCount(inputs[0]) * depthMultiplier)]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let inChannels = try channelCount(inputs[0])
    return [WeightSpecification(name: "depthwise_kernel", shape: window.kernelSize + [inChannels, depthMultiplier])]
      + (useBias ? [WeightSpecification(name: "bias", shape: [inChannels * depthMultiplier])] : [])
  }
}

/// SeparableConv2D: a depthwise convolution, then a 1x1 convolution to `filters` channels. Kernels
/// `(kh, kw, in, multiplier)` and `(1, 1, in * multiplier, filters)`, bias `(filters)`.
public struct SeparableConv2D: LayerKind, Equatable {
  public static let kerasClassNames = ["SeparableConv2D", "SeparableConvolution2D"]
  public static let operationNames = ["separable_conv2d"]
  public static let splitsActivation = true

  public var filters: Int
  public var window: Window2D
  public var depthMultiplier: Int
  public var useBias: Bool

  public init(filters: Int, window: Window2D, depthMultiplier: Int = 1, useBias: Bool = true) {
    self.filters = filters
    self.window = window
    self.depthMultiplier = depthMultiplier
    self.useBias = useBias
  }

  enum CodingKeys: String, CodingKey {
    case filters
    case depthMultiplier = "depth_multiplier"
    case useBias = "use_bias"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    filters = try container.positiveInt(.filters)
    window = try Window2D(convolutionFrom: decoder)
    depthMultiplier = try container.positiveInt(.depthMultiplier, default: 1)
    useBias = try container.bool(.useBias, default: true)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(filters, forKey: .filters)
    try window.encodeConvolution(to: encoder)
    try container.encode(depthMultiplier, forKey: .depthMultiplier)
    try container.encode(useBias, forKey: .useBias)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    _ = try channelCount(inputs[0])
    return [try window.outputShape(inputs[0], channels: filters)]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let inChannels = try channelCount(inputs[0])
    return [
      WeightSpecification(name: "depthwise_kernel", shape: window.kernelSize + [inChannels, depthMultiplier]),
      WeightSpecification(name: "pointwise_kernel", shape: [1, 1, inChannels * depthMultiplier, filters]),
    ] + (useBias ? [WeightSpecification(name: "bias", shape: [filters])] : [])
  }
}

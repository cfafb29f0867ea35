/// Conv2D: `filters` kernels over `groups` channel groups, `y = x * kernel + bias` (the activation is the layer's
/// own node). Kernel `(kh, kw, in / groups, filters)`, bias `(filters)`. Input and output NHWC.
public struct Conv2D: LayerKind, Equatable {
  public static let kerasClassNames = ["Conv2D", "Convolution2D"]
  public static let operationNames = ["conv2d"]
  public static let splitsActivation = true

  public var filters: Int
  public var window: Window2D
  public var groups: Int
  public var useBias: Bool

  public init(filters: Int, window: Window2D, groups: Int = 1, useBias: Bool = true) {
    self.filters = filters
    self.window = window
    self.groups = groups
    self.useBias = useBias
  }

  enum CodingKeys: String, CodingKey {
    case filters, groups
    case useBias = "use_bias"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    filters = try container.positiveInt(.filters)
    window = try Window2D(convolutionFrom: decoder)
    groups = try container.positiveInt(.groups, default: 1)
    useBias = try container.bool(.useBias, default: true)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(filters, forKey: .filters)
    try window.encodeConvolution(to: encoder)
    try container.encode(groups, forKey: .groups)
    try container.encode(useBias, forKey: .useBias)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    let inChannels = try channelCount(inputs[0])
    guard inChannels % groups == 0, filters % groups == 0 else {
      throw ShapeProblem(detail: "groups=\(groups) must divide the \(inChannels) input channels and \(filters) filters")
    }
    return [try window.outputShape(inputs[0], channels: filters)]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let inChannels = try channelCount(inputs[0])
    return [WeightSpecification(name: "kernel", shape: window.kernelSize + [inChannels / groups, filters])]
      + (useBias ? [WeightSpecification(name: "bias", shape: [filters])] : [])
  }
}

/// Conv2DTranspose: the gradient of a convolution with respect to its input. Kernel `(kh, kw, filters, in)`, bias
/// `(filters)`. Output length along an axis: Keras's `deconv_output_length`.
public struct Conv2DTranspose: TransposedConvolutionKind, Equatable {
  public static let kerasClassNames = ["Conv2DTranspose", "Convolution2DTranspose", "Deconvolution2D"]
  public static let operationNames = ["conv2d_transpose"]
  public static let splitsActivation = true

  public var filters: Int
  public var window: Window2D
  /// Extra rows/columns added after the output, or nil for Keras's inferred size.
  public var outputPadding: [Int]?
  public var useBias: Bool

  public init(filters: Int, window: Window2D, outputPadding: [Int]? = nil, useBias: Bool = true) {
    self.filters = filters
    self.window = window
    self.outputPadding = outputPadding
    self.useBias = useBias
  }

  enum CodingKeys: String, CodingKey {
    case filters
    case outputPadding = "output_padding"
    case useBias = "use_bias"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    filters = try container.positiveInt(.filters)
    window = try Window2D(convolutionFrom: decoder)
    outputPadding = try container.value(.outputPadding) == nil ? nil : try container.tuple(.outputPadding, minimum: 0)
    useBias = try container.bool(.useBias, default: true)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(filters, forKey: .filters)
    try window.encodeConvolution(to: encoder)
    try container.encode(outputPadding.map(JSONValue.ints) ?? .null, forKey: .outputPadding)
    try container.encode(useBias, forKey: .useBias)
  }

  /// The output length along `axis` for an input of `length`.
  public func outputLength(_ length: Int?, axis: Int) -> Int? {
    guard let length else { return nil }
    let stride = window.strides[axis]
    let effective = (window.kernelSize[axis] - 1) * window.dilation[axis] + 1
    guard let extra = outputPadding?[axis] else {
      switch window.padding {
      case .valid: return length * stride + max(effective - stride, 0)
      case .same: return length * stride
      }
    }
    let pad = window.padding == .same ? effective / 2 : 0
    return (length - 1) * stride + effective - 2 * pad + extra
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    _ = try channelCount(inputs[0])
    return [spatialShape(inputs[0], channels: filters) { axis, length in outputLength(length, axis: axis) }]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let inChannels = try channelCount(inputs[0])
    return [WeightSpecification(name: "kernel", shape: window.kernelSize + [filters, inChannels])]
      + (useBias ? [WeightSpecification(name: "bias", shape: [filters])] : [])
  }
}

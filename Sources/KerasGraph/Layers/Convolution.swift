// What the convolutions of every spatial rank share (`Conv1D`, `Conv2D`, `Conv3D` and their depthwise, separable
// and transposed forms): the config fields, the channels-last output shape and Keras's kernel shapes, which put
// the window's axes first (`(k..., in / groups, filters)`). The runtime lowers a kind by its protocol.

/// The config fields of the convolution kinds besides the window's.
enum ConvolutionCodingKeys: String, CodingKey {
  case filters, groups
  case useBias = "use_bias"
  case depthMultiplier = "depth_multiplier"
  case outputPadding = "output_padding"
}

/// A convolution: `filters` kernels over `groups` channel groups, `y = x * kernel + bias` (the activation is the
/// layer's own node). Kernel `(k..., in / groups, filters)`, bias `(filters)`; input and output channels-last.
public protocol ConvolutionKind: ChannelsLastLayout {
  /// The number of spatial axes (1, 2 or 3).
  static var spatialRank: Int { get }
  var filters: Int { get }
  var window: Window { get }
  var groups: Int { get }
  var useBias: Bool { get }
  init(filters: Int, window: Window, groups: Int, useBias: Bool)
}

extension ConvolutionKind {
  public static var splitsActivation: Bool { true }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: ConvolutionCodingKeys.self)
    self.init(
      filters: try container.positiveInt(.filters),
      window: try Window(convolutionFrom: decoder, rank: Self.spatialRank, allowsCausal: Self.spatialRank == 1),
      groups: try container.positiveInt(.groups, default: 1), useBias: try container.bool(.useBias, default: true))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: ConvolutionCodingKeys.self)
    try container.encode(filters, forKey: .filters)
    try window.encodeConvolution(to: encoder)
    try container.encode(groups, forKey: .groups)
    try container.encode(useBias, forKey: .useBias)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: Self.spatialRank + 2)
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

/// A depthwise convolution: one kernel per input channel and multiplier. Kernel `(k..., in, multiplier)`, bias
/// `(in * multiplier)`; output channel `c * multiplier + m` reads input channel `c`.
public protocol DepthwiseConvolutionKind: ChannelsLastLayout {
  /// The number of spatial axes (1 or 2).
  static var spatialRank: Int { get }
  var window: Window { get }
  var depthMultiplier: Int { get }
  var useBias: Bool { get }
  init(window: Window, depthMultiplier: Int, useBias: Bool)
}

extension DepthwiseConvolutionKind {
  public static var splitsActivation: Bool { true }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: ConvolutionCodingKeys.self)
    self.init(
      window: try Window(convolutionFrom: decoder, rank: Self.spatialRank, allowsCausal: Self.spatialRank == 1),
      depthMultiplier: try container.positiveInt(.depthMultiplier, default: 1),
      useBias: try container.bool(.useBias, default: true))
  }

  public func encode(to encoder: any Encoder) throws {
    try window.encodeConvolution(to: encoder)
    var container = encoder.container(keyedBy: ConvolutionCodingKeys.self)
    try container.encode(depthMultiplier, forKey: .depthMultiplier)
    try container.encode(useBias, forKey: .useBias)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: Self.spatialRank + 2)
    return [try window.outputShape(inputs[0], channels: try channelCount(inputs[0]) * depthMultiplier)]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let inChannels = try channelCount(inputs[0])
    return [WeightSpecification(name: "depthwise_kernel", shape: window.kernelSize + [inChannels, depthMultiplier])]
      + (useBias ? [WeightSpecification(name: "bias", shape: [inChannels * depthMultiplier])] : [])
  }
}

/// A separable convolution: a depthwise convolution, then a pointwise (window 1) convolution to `filters`
/// channels. Kernels `(k..., in, multiplier)` and `(1..., in * multiplier, filters)`, bias `(filters)`.
public protocol SeparableConvolutionKind: ChannelsLastLayout {
  /// The number of spatial axes (1 or 2).
  static var spatialRank: Int { get }
  var filters: Int { get }
  var window: Window { get }
  var depthMultiplier: Int { get }
  var useBias: Bool { get }
  init(filters: Int, window: Window, depthMultiplier: Int, useBias: Bool)
}

extension SeparableConvolutionKind {
  public static var splitsActivation: Bool { true }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: ConvolutionCodingKeys.self)
    self.init(
      filters: try container.positiveInt(.filters),
      window: try Window(convolutionFrom: decoder, rank: Self.spatialRank, allowsCausal: Self.spatialRank == 1),
      depthMultiplier: try container.positiveInt(.depthMultiplier, default: 1),
      useBias: try container.bool(.useBias, default: true))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: ConvolutionCodingKeys.self)
    try container.encode(filters, forKey: .filters)
    try window.encodeConvolution(to: encoder)
    try container.encode(depthMultiplier, forKey: .depthMultiplier)
    try container.encode(useBias, forKey: .useBias)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: Self.spatialRank + 2)
    _ = try channelCount(inputs[0])
    return [try window.outputShape(inputs[0], channels: filters)]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let inChannels = try channelCount(inputs[0])
    let ones = [Int](repeating: 1, count: Self.spatialRank)
    return [
      WeightSpecification(name: "depthwise_kernel", shape: window.kernelSize + [inChannels, depthMultiplier]),
      WeightSpecification(name: "pointwise_kernel", shape: ones + [inChannels * depthMultiplier, filters]),
    ] + (useBias ? [WeightSpecification(name: "bias", shape: [filters])] : [])
  }
}

/// A transposed convolution: the gradient of a convolution with respect to its input. Kernel
/// `(k..., filters, in)`, bias `(filters)`. Output length along an axis: Keras's `deconv_output_length`.
public protocol TransposedConvolutionKind: ChannelsLastLayout {
  /// The number of spatial axes (1, 2 or 3).
  static var spatialRank: Int { get }
  var filters: Int { get }
  var window: Window { get }
  /// Extra elements added after the output along each axis, or nil for Keras's inferred size.
  var outputPadding: [Int]? { get }
  var useBias: Bool { get }
  init(filters: Int, window: Window, outputPadding: [Int]?, useBias: Bool)
}

extension TransposedConvolutionKind {
  public static var splitsActivation: Bool { true }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: ConvolutionCodingKeys.self)
    let rank = Self.spatialRank
    self.init(
      filters: try container.positiveInt(.filters), window: try Window(convolutionFrom: decoder, rank: rank),
      outputPadding: try container.value(.outputPadding) == nil
        ? nil : try container.tuple(.outputPadding, count: rank, minimum: 0),
      useBias: try container.bool(.useBias, default: true))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: ConvolutionCodingKeys.self)
    try container.encode(filters, forKey: .filters)
    try window.encodeConvolution(to: encoder)
    try container.encode(outputPadding.map(JSONValue.ints) ?? .null, forKey: .outputPadding)
    try container.encode(useBias, forKey: .useBias)
  }

  /// The output length along spatial axis `axis` for an input of `length`.
  public func outputLength(_ length: Int?, axis: Int) -> Int? {
    guard let length else { return nil }
    let stride = window.strides[axis]
    let effective = (window.kernelSize[axis] - 1) * window.dilation[axis] + 1
    guard let extra = outputPadding?[axis] else {
      switch window.padding {
      case .valid, .causal: return length * stride + max(effective - stride, 0)
      case .same: return length * stride
      }
    }
    let pad = window.padding == .same ? effective / 2 : 0
    return (length - 1) * stride + effective - 2 * pad + extra
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: Self.spatialRank + 2)
    _ = try channelCount(inputs[0])
    return [spatialShape(inputs[0], channels: filters) { axis, length in outputLength(length, axis: axis) }]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let inChannels = try channelCount(inputs[0])
    return [WeightSpecification(name: "kernel", shape: window.kernelSize + [filters, inChannels])]
      + (useBias ? [WeightSpecification(name: "bias", shape: [filters])] : [])
  }
}

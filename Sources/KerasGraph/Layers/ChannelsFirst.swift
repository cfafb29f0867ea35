/// The kinds that read Keras's `data_format` and compute in channels-last layout: every convolution, pooling,
/// global pooling, padding, cropping and upsampling, and Flatten. A config with `data_format="channels_first"`
/// decodes as `ChannelsFirst` around the kind's channels-last form.
public protocol ChannelsLastLayout: LayerKind {}

/// A layer with `data_format="channels_first"`: the channels-last `inner` kind between two transposes,
/// `(N, C, spatial...)` to `(N, spatial..., C)` before it and back after it (an output of rank 2, Flatten's or a
/// global pooling's, stays as it is: Keras's channels_first Flatten also flattens in channels-last order). Keras
/// stores the same weights for both formats, so `inner` reads them unchanged.
///
/// Not in `LayerKinds.all`: `LayerKinds` wraps a `ChannelsLastLayout` kind whose config says channels_first, and
/// the native format writes `inner`'s op with `"data_format": "channels_first"`.
public struct ChannelsFirst: LayerKind {
  public static let kerasClassNames: [String] = []
  public static let operationNames: [String] = []

  /// The layer's computation in channels-last layout.
  public var inner: any LayerKind

  public init(inner: any LayerKind) {
    self.inner = inner
  }

  public var operationName: String { inner.operationName }

  enum CodingKeys: String, CodingKey {
    case op
    case dataFormat = "data_format"
  }

  /// The native op object of a channels_first layer: `inner`'s op with `data_format`.
  public init(from decoder: any Decoder) throws {
    let object = try JSONValue(from: decoder)
    guard let name = object["op"]?.string, let kind = LayerKinds.kind(forOperation: name) else {
      throw LayerConfigError(field: "op", detail: "missing or unknown for a channels_first layer")
    }
    guard kind is any ChannelsLastLayout.Type else {
      throw LayerConfigError(field: "data_format", detail: "'channels_first' is not read by op '\(name)'")
    }
    let context = decoder.layerContext ?? LayerDecodingContext(file: "", source: .native)
    inner = try kind.init(config: ChannelsFirst.channelsLast(object), name: name, context: context)
  }

  public func encode(to encoder: any Encoder) throws {
    try inner.encode(to: encoder)
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode("channels_first", forKey: .dataFormat)
  }

  /// `config` with `data_format` set to `channels_last`.
  static func channelsLast(_ config: JSONValue) -> JSONValue {
    guard case .object(var fields) = config else { return config }
    fields["data_format"] = .string("channels_last")
    return .object(fields)
  }

  /// The permutation of `(N, C, spatial...)` to `(N, spatial..., C)` for a tensor of `rank` (identity below 3).
  public static func toChannelsLast(rank: Int) -> [Int] {
    rank < 3 ? Array(0..<rank) : [0] + Array(2..<rank) + [1]
  }

  /// The permutation of `(N, spatial..., C)` to `(N, C, spatial...)` for a tensor of `rank` (identity below 3).
  public static func toChannelsFirst(rank: Int) -> [Int] {
    rank < 3 ? Array(0..<rank) : [0, rank - 1] + Array(1..<(rank - 1))
  }

  /// `shape` with its axes in the order `permutation` lists them.
  public static func permuted(_ shape: TensorShape, _ permutation: [Int]) -> TensorShape {
    TensorShape(permutation.map { shape.dimensions[$0] })
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    guard inputs[0].rank >= 3 || inner is Flatten else {
      throw ShapeProblem(detail: "a channels_first layer expects an input of rank 3 or more, got \(inputs[0])")
    }
    let last = inputs.map { Self.permuted($0, Self.toChannelsLast(rank: $0.rank)) }
    return try inner.outputShapes(inputs: last).map { Self.permuted($0, Self.toChannelsFirst(rank: $0.rank)) }
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    try inner.weightSpecifications(inputs: inputs.map { Self.permuted($0, Self.toChannelsLast(rank: $0.rank)) })
  }
}

/// What a layer computes: one Keras layer class (or a family of aliases), its config, its output-shape rule and
/// the weights it stores. Every kind lives in a file of its own under `KerasGraph/Layers` and is listed once in
/// `LayerKinds.all`; see `CONTRIBUTING.md` for adding one.
///
/// The config is `Codable` over `JSONValue` with Keras's own snake_case field names (`kernel_size`), so the same
/// decoding reads a Keras config and a native file's `op`, and the native format writes it with
/// `JSONValueEncoder`. A layer's `activation=` is not part of any kind: the importer splits it off into
/// `Layer.activation` (see `splitsActivation`), and the runtime runs it as its own node (fusing it back).
public protocol LayerKind: Sendable, Codable {
  /// The Keras class names the kind reads, aliases included (`Conv2D`, `Convolution2D`).
  static var kerasClassNames: [String] { get }
  /// The native format's `op` names the kind reads (snake_case, `conv2d`); the first is the one it writes unless
  /// `operationName` says otherwise.
  static var operationNames: [String] { get }
  /// Whether the Keras config's `activation` field is applied after the layer (Conv2D, Dense, ...); the importer
  /// then moves it to `Layer.activation`. False for kinds without one and for `Activation`, whose function is its
  /// computation.
  static var splitsActivation: Bool { get }

  /// Decodes the kind from a Keras config or a native `op` object.
  /// - Parameters:
  ///   - config: the Keras `config` (or the native `op` object, which holds the same fields).
  ///   - name: the Keras class name or the native op name that selected the kind (one of `kerasClassNames` or
  ///     `operationNames`).
  ///   - context: the file, the Keras version, input shapes of the first call, registered custom layers.
  /// - Throws: `DecodingError` naming the field, or `LayerConfigError`.
  init(config: JSONValue, name: String, context: LayerDecodingContext) throws

  /// The native `op` name this value is written under (one of `operationNames`).
  var operationName: String { get }

  /// The shapes of the outputs for the given input shapes (batch dimension first).
  /// - Throws: `ShapeProblem` when the inputs do not fit the layer.
  func outputShapes(inputs: [TensorShape]) throws -> [TensorShape]

  /// The weights the layer stores, in Keras's order, for the given input shapes.
  /// - Throws: `ShapeProblem` when a weight's size depends on an unknown dimension.
  func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification]
}

extension LayerKind {
  public static var splitsActivation: Bool { false }
  public var operationName: String { Self.operationNames[0] }

  /// Codable decoding of `config` with snake_case keys, the context in the decoder's `userInfo`.
  public init(config: JSONValue, name: String, context: LayerDecodingContext) throws {
    self = try context.decoder.decode(Self.self, from: config)
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] { [] }

  /// The weights a reader of a model file checks the stored ones against: the input shapes are checked first
  /// (their number and rank, the axes the config names), so this is safe on a graph from an untrusted file.
  /// - Throws: `ShapeProblem` when the inputs do not fit the layer.
  public func expectedWeights(inputShapes: [TensorShape]) throws -> [WeightSpecification] {
    _ = try outputShapes(inputs: inputShapes)
    return try weightSpecifications(inputs: inputShapes)
  }
}

/// What decoding a layer needs to know besides its config.
public struct LayerDecodingContext: Sendable {
  /// Where the config comes from, which decides a few field meanings.
  public enum Source: Sendable, Equatable {
    /// A Keras file written by Keras `major` (2 or 3; changes `hard_sigmoid`).
    case keras(major: Int)
    /// A native file (activations by kerasvis's own names, axes as written).
    case native
  }

  /// The file being read, for error messages.
  public var file: String
  public var source: Source
  /// The shapes of the layer's first call's inputs (axes are checked against their rank).
  public var inputShapes: [TensorShape]
  /// Keyword arguments of the first call (TFOpLambda's operands).
  public var arguments: JSONValue
  /// Implementations of classes kerasvis does not know.
  public var registry: LayerRegistry

  public init(
    file: String, source: Source, inputShapes: [TensorShape] = [], arguments: JSONValue = .object([:]),
    registry: LayerRegistry = LayerRegistry()
  ) {
    self.file = file
    self.source = source
    self.inputShapes = inputShapes
    self.arguments = arguments
    self.registry = registry
  }

  /// The rank of the first input (0 when unknown).
  public var inputRank: Int { inputShapes.first?.rank ?? 0 }

  /// A decoder whose `userInfo` holds this context (what every layer kind's config is decoded with).
  public var decoder: JSONValueDecoder {
    var decoder = JSONValueDecoder()
    decoder.userInfo[LayerDecodingContext.userInfoKey] = self
    return decoder
  }

  /// The key under which the context sits in a `Decoder`'s `userInfo`.
  public static let userInfoKey = CodingUserInfoKey(rawValue: "kerasvis.layerDecodingContext")!
}

extension Decoder {
  /// The layer decoding context, when decoding a layer kind.
  public var layerContext: LayerDecodingContext? { userInfo[LayerDecodingContext.userInfoKey] as? LayerDecodingContext }
}

/// A config value that decodes but is not acceptable (a zero stride, an axis out of range, an unknown padding).
public struct LayerConfigError: Error, CustomStringConvertible {
  /// The Keras field at fault (`strides`).
  public var field: String
  /// What is wrong with it.
  public var detail: String

  public init(field: String, detail: String) {
    self.field = field
    self.detail = detail
  }

  public var description: String { "config field '\(field)': \(detail)" }
}

/// A shape problem found while inferring a layer's output, reported with the layer's location by the caller.
public struct ShapeProblem: Error, CustomStringConvertible {
  /// What does not fit.
  public var detail: String

  public init(detail: String) {
    self.detail = detail
  }

  public var description: String { detail }
}

/// Requires exactly `count` inputs of rank `rank` (nil: any rank).
func requireInputs(_ inputs: [TensorShape], count: Int = 1, rank: Int? = nil) throws {
  guard inputs.count == count else {
    throw ShapeProblem(detail: "expects \(count) input\(count == 1 ? "" : "s"), got \(inputs.count)")
  }
  if let rank, let bad = inputs.first(where: { $0.rank != rank }) {
    let axes = [
      3: "(batch, steps, channels)", 4: "(batch, height, width, channels)",
      5: "(batch, depth, height, width, channels)",
    ]
    throw ShapeProblem(detail: "expects a rank-\(rank) input\(axes[rank].map { " \($0)" } ?? ""), got \(bad)")
  }
}

/// The size of the last (channel) axis.
func channelCount(_ shape: TensorShape) throws -> Int {
  guard let channels = shape.last else { throw ShapeProblem(detail: "the channel dimension of \(shape) is unknown") }
  return channels
}

/// The known size of `axis` of `shape`.
func knownSize(_ shape: TensorShape, axis: Int) throws -> Int {
  guard shape.dimensions.indices.contains(axis), let size = shape.dimensions[axis] else {
    throw ShapeProblem(detail: "axis \(axis) of \(shape) is unknown")
  }
  return size
}

/// `axis` counted from the front (negative counts from the end) for a tensor of `rank`, checked to be a
/// non-batch axis.
public func normalizedAxis(_ axis: Int, rank: Int) throws -> Int {
  let normalized = axis < 0 ? axis + rank : axis
  guard (1..<max(rank, 2)).contains(normalized) else {
    throw ShapeProblem(detail: "axis \(axis) is out of range for an input of rank \(rank)")
  }
  return normalized
}

/// A channels-last shape `(N, spatial..., C)` with each spatial axis `k` (0-based) transformed by
/// `transform(k, length)` and the given channels.
func spatialShape(
  _ input: TensorShape, channels: Int?, _ transform: (Int, Int?) throws -> Int?
) rethrows -> TensorShape {
  let spatial = input.dimensions.dropFirst().dropLast()
  return TensorShape(
    [input.dimensions[0]] + (try spatial.enumerated().map { axis, length in try transform(axis, length) }) + [channels])
}

/// NumPy broadcasting of two shapes of equal rank (Keras merge layers).
func broadcastShapes(_ lhs: TensorShape, _ rhs: TensorShape) throws -> TensorShape {
  guard lhs.rank == rhs.rank else {
    throw ShapeProblem(detail: "cannot merge shapes \(lhs) and \(rhs) of different rank")
  }
  var output = lhs
  for axis in 1..<max(lhs.rank, 1) {
    switch (lhs.dimensions[axis], rhs.dimensions[axis]) {
    case (let a?, let b?) where a == b: output.dimensions[axis] = a
    case (1, let b): output.dimensions[axis] = b
    case (let a, 1): output.dimensions[axis] = a
    case (nil, let b): output.dimensions[axis] = b
    case (let a, nil): output.dimensions[axis] = a
    default: throw ShapeProblem(detail: "cannot merge shapes \(lhs) and \(rhs)")
    }
  }
  return output
}

extension DecodingError {
  /// The snake_case path of the field at fault (`kernel_size`, `axis.1`) and what is wrong with it.
  public var fieldAndDetail: (field: String, detail: String) {
    func path(_ keys: [any CodingKey]) -> String { keys.map { snakeCased($0.stringValue) }.joined(separator: ".") }
    switch self {
    case .keyNotFound(let key, let context):
      return (path(context.codingPath + [key]), "missing")
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
      return (path(context.codingPath), context.debugDescription)
    @unknown default:
      return ("", "\(self)")
    }
  }
}

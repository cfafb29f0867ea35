/// TimeDistributed: the wrapped layer applied to every time step alone, `y[:, t] = layer(x[:, t])`; input
/// `(N, T, ...)`, output `(N, T, ...)` with the wrapped layer's per-step output. The weights are the wrapped
/// layer's; its `activation=` is kept in `activation`.
public struct TimeDistributed: LayerKind, ArchiveVariableGroups {
  public static let kerasClassNames = ["TimeDistributed"]
  public static let operationNames = ["time_distributed"]

  /// What runs at every step.
  public var layer: any LayerKind
  /// The wrapped layer's activation (nil when it has none).
  public var activation: ActivationFunction?

  public init(layer: any LayerKind, activation: ActivationFunction?) {
    self.layer = layer
    self.activation = activation
  }

  enum CodingKeys: String, CodingKey { case layer }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    var context = decoder.layerContext ?? LayerDecodingContext(file: "", source: .native)
    guard let value = try container.value(.layer) else { throw LayerConfigError(field: "layer", detail: "missing") }
    // The wrapped layer sees one step: the input without its time axis.
    context.inputShapes = context.inputShapes.map { shape in
      TensorShape(shape.rank >= 2 ? [shape.dimensions[0]] + shape.dimensions.dropFirst(2) : shape.dimensions)
    }
    let decoded: LayerKinds.Decoded
    if context.source == .native {
      decoded = try LayerKinds.decodeNative(operation: value, context: context)
    } else {
      guard let className = value["class_name"]?.string, let config = value["config"] else {
        throw LayerConfigError(field: "layer", detail: "expected a layer with class_name and config")
      }
      decoded = try LayerKinds.decodeKeras(
        className: className, registeredName: value["registered_name"]?.string, config: config, context: context)
    }
    guard !(decoded.kind is NestedModel), !(decoded.kind is TimeDistributed) else {
      throw LayerConfigError(
        field: "layer", detail: "TimeDistributed of a model or of TimeDistributed is not supported")
    }
    layer = decoded.kind
    activation = decoded.activation
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(try LayerKinds.encodeNative(layer, activation: activation), forKey: .layer)
  }

  /// The shape of one step of `shape` (the time axis removed).
  func stepShape(_ shape: TensorShape) throws -> TensorShape {
    guard shape.rank >= 3 else {
      throw ShapeProblem(detail: "TimeDistributed needs an input of rank 3 or more (batch, steps, ...), got \(shape)")
    }
    return TensorShape([shape.dimensions[0]] + shape.dimensions.dropFirst(2))
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    let inner = try layer.outputShapes(inputs: [try stepShape(inputs[0])])
    guard inner.count == 1 else { throw ShapeProblem(detail: "TimeDistributed needs a layer with one output") }
    return [TensorShape([inputs[0].dimensions[0], inputs[0].dimensions[1]] + inner[0].dimensions.dropFirst())]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    try layer.weightSpecifications(inputs: [try stepShape(inputs[0])])
  }

  public var archiveVariableGroups: [String] {
    ((layer as? any ArchiveVariableGroups)?.archiveVariableGroups ?? ["vars"]).map { "layer/" + $0 }
  }
}

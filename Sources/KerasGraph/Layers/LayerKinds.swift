/// The one list of layer kinds, and decoding a layer from its Keras class or native op name through it. The
/// supported-class list, `summary`'s class names and the "unknown layer class" error all come from here.
public enum LayerKinds {
  /// Every kind kerasvis implements. Adding a layer kind means adding it here (see `CONTRIBUTING.md`).
  public static let all: [any LayerKind.Type] = [
    InputLayer.self, Conv2D.self, DepthwiseConv2D.self, SeparableConv2D.self, Conv2DTranspose.self, Dense.self,
    BatchNormalization.self, LayerNormalization.self, GroupNormalization.self, UnitNormalization.self,
    Normalization.self, Activation.self, ReLU.self, LeakyReLU.self, PReLU.self, ELU.self, Softmax.self,
    MaxPooling2D.self, AveragePooling2D.self, GlobalAveragePooling2D.self, GlobalMaxPooling2D.self, Flatten.self,
    Reshape.self, Permute.self, Identity.self, Concatenate.self, Merge.self, ZeroPadding2D.self, Cropping2D.self,
    UpSampling2D.self, Resizing.self, CenterCrop.self, RandomCrop.self, Rescaling.self, CustomScaleLayer.self,
    LayerScale.self, Reduce.self, Elementwise.self, NestedModel.self, RegisteredLayer.self,
    // 1-D and 3-D convolutions, poolings, paddings, croppings and upsamplings.
    Conv1D.self, Conv3D.self, DepthwiseConv1D.self, SeparableConv1D.self, Conv1DTranspose.self, Conv3DTranspose.self,
    MaxPooling1D.self, MaxPooling3D.self, AveragePooling1D.self, AveragePooling3D.self, GlobalAveragePooling1D.self,
    GlobalAveragePooling3D.self, GlobalMaxPooling1D.self, GlobalMaxPooling3D.self, ZeroPadding1D.self,
    ZeroPadding3D.self, Cropping1D.self, Cropping3D.self, UpSampling1D.self, UpSampling3D.self,
    Embedding.self, Masking.self, SimpleRNN.self, LSTM.self, GRU.self, Bidirectional.self, TimeDistributed.self,
    RepeatVector.self, MaskOperation.self,
    EinsumDense.self, Dot.self, MultiHeadAttention.self, DenseAttention.self,
    // What TensorFlow functions and Keras 3 operations on tensors import as.
    Stack.self, Split.self, StridedSlice.self, MatMul.self,
  ]

  private static let byClassName: [String: any LayerKind.Type] = {
    var table: [String: any LayerKind.Type] = [:]
    for kind in all { for name in kind.kerasClassNames { table[name] = kind } }
    return table
  }()

  private static let byOperationName: [String: any LayerKind.Type] = {
    var table: [String: any LayerKind.Type] = [:]
    for kind in all { for name in kind.operationNames { table[name] = kind } }
    return table
  }()

  /// Every Keras class name kerasvis reads without a registered implementation (aliases included), plus
  /// `TFOpLambda` and `SlicingOpLambda` (the TensorFlow functions `TFOpLambdaTranslation` translates).
  public static var supportedClassNames: Set<String> {
    Set(byClassName.keys).union([TFOpLambdaTranslation.className, TFOpLambdaTranslation.slicingClassName])
  }

  /// The kind for a Keras class name, or nil.
  public static func kind(forKerasClass name: String) -> (any LayerKind.Type)? { byClassName[name] }

  /// The kind for a native op name, or nil.
  public static func kind(forOperation name: String) -> (any LayerKind.Type)? { byOperationName[name] }

  /// The Python class name Keras's `model.summary()` shows: tf.keras writes classes registered by a package as
  /// `Package>Name` (keras.applications: `Custom>CustomScaleLayer`); the summary shows `Name`.
  public static func displayName(ofClass className: String) -> String {
    guard let separator = className.lastIndex(of: ">") else { return className }
    return String(className[className.index(after: separator)...])
  }

  /// A decoded layer: what it computes and, for kinds that split it off, its `activation=`.
  public struct Decoded: Sendable {
    public var kind: any LayerKind
    public var activation: ActivationFunction?
  }

  /// Decodes a (non-model) Keras layer from its class name and config.
  /// - Parameters:
  ///   - className: the config's `class_name`.
  ///   - registeredName: Keras 3's `registered_name`, when it differs.
  ///   - context: file, Keras version, input shapes, call arguments and registry.
  /// - Throws: `LayerDecodingFailure.unsupported` with a hint, or the kind's decoding errors.
  public static func decodeKeras(
    className: String, registeredName: String?, config: JSONValue, context: LayerDecodingContext
  ) throws -> Decoded {
    let isFunction = [TFOpLambdaTranslation.className, TFOpLambdaTranslation.slicingClassName].contains(className)
    if byClassName[className] == nil, !isFunction {
      for name in [className, registeredName].compactMap({ $0 }) {
        if let factory = context.registry.factory(for: name) {
          return Decoded(
            kind: RegisteredLayer(className: name, config: config, implementation: try factory(config)),
            activation: nil)
        }
      }
    }
    if isFunction {
      if let kind = try TFOpLambdaTranslation.kind(config: config, context: context) {
        return Decoded(kind: kind, activation: nil)
      }
      if let factory = context.registry.factory(for: className) {
        return Decoded(
          kind: RegisteredLayer(className: className, config: config, implementation: try factory(config)),
          activation: nil)
      }
      throw LayerDecodingFailure.unsupported(
        hint:
          "\(TFOpLambdaTranslation.describe(function: config["function"]?.string ?? "?", context: context)) is not supported (kerasvis translates arithmetic, activations, reductions, reshapes, transposes, concat, stack, split, slicing, strided_slice, matmul, image.resize, clip_by_value and element-wise math); register a Swift implementation with LayerRegistry.register(className: \"\(className)\")"
      )
    }
    let bare = displayName(ofClass: className)
    guard let kind = byClassName[className] ?? byClassName[bare], kind != NestedModel.self,
      kind != RegisteredLayer.self
    else {
      let hint: String
      switch className {
      case "Lambda":
        hint =
          "\(className) layers hold Python code that cannot be read from the file; register a Swift implementation with LayerRegistry.register(className: \"\(className)\")"
      default:
        hint =
          "unknown layer class '\(className)'\(registeredName.map { " (registered as '\($0)')" } ?? ""); register a Swift implementation with LayerRegistry.register(className: \"\(className)\")"
      }
      throw LayerDecodingFailure.unsupported(hint: hint)
    }
    let name = byClassName[className] == nil ? bare : className
    return try decode(kind, config: config, name: name, context: context)
  }

  /// Decodes a native file's `op` object (`{"op": "conv2d", ...}`).
  /// - Throws: `LayerDecodingFailure.unsupported` for an unknown op, or the kind's decoding errors.
  public static func decodeNative(operation: JSONValue, context: LayerDecodingContext) throws -> Decoded {
    guard let name = operation["op"]?.string else { throw LayerConfigError(field: "op", detail: "missing") }
    guard let kind = byOperationName[name], kind != NestedModel.self else {
      throw LayerDecodingFailure.unsupported(hint: "unknown op '\(name)'")
    }
    return try decode(kind, config: operation, name: name, context: context)
  }

  private static func decode(
    _ kind: any LayerKind.Type, config: JSONValue, name: String, context: LayerDecodingContext
  ) throws -> Decoded {
    let decoded: any LayerKind
    if kind is any ChannelsLastLayout.Type, config["data_format"]?.string == "channels_first" {
      // Computed channels-last between transposes (see `ChannelsFirst`).
      decoded = ChannelsFirst(
        inner: try kind.init(config: ChannelsFirst.channelsLast(config), name: name, context: context))
    } else {
      decoded = try kind.init(config: config, name: name, context: context)
    }
    var activation: ActivationFunction?
    if kind.splitsActivation {
      activation = try LayerKinds.activation(in: config, context: context)
    }
    return Decoded(kind: decoded, activation: activation)
  }

  /// The `activation` field of a config (linear when missing or null).
  static func activation(in config: JSONValue, context: LayerDecodingContext) throws -> ActivationFunction {
    try context.decoder.decode(ActivationField.self, from: config).function
  }

  /// Encodes a layer's kind as the native format's `op` object: `{"op": name, fields..., "activation"?}`.
  public static func encodeNative(_ kind: any LayerKind, activation: ActivationFunction?) throws -> JSONValue {
    var object: JSONObject = ["op": .string(kind.operationName)]
    if case .object(let fields) = try JSONValueEncoder().encode(kind) {
      for member in fields.members where member.key != "op" { object.append(member.key, member.value) }
    }
    if let activation { object["activation"] = .string(activation.rawValue) }
    return .object(object)
  }
}

/// Reads the `activation` field alone, with the decoding context.
private struct ActivationField: Decodable {
  var function: ActivationFunction
  enum CodingKeys: String, CodingKey { case activation }
  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    function = try container.activation(.activation, context: decoder.layerContext)
  }
}

/// Why a layer cannot be decoded at all (as opposed to a bad field).
public enum LayerDecodingFailure: Error, CustomStringConvertible {
  /// No kind reads the class (or op); `hint` says what to do.
  case unsupported(hint: String)

  public var description: String {
    switch self {
    case .unsupported(let hint): return hint
    }
  }
}

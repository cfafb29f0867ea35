import KerasGraph

/// A reference to one output tensor of one call of a layer, as a config writes it: `[name, node, tensor]`.
struct RawReference: Equatable {
  var layer: String
  var node: Int
  var tensor: Int

  var description: String { "'\(layer)' (node \(node), tensor \(tensor))" }
}

/// One recorded call of a layer: the tensors it took, in order, and its keyword arguments.
struct RawNode {
  var inputs: [RawReference]
  var arguments: JSONValue
  /// Keras 3 positional arguments in order: a tensor, a list of tensors, a number (`x + 3.0` records
  /// `[tensor, 3.0]`), or something else.
  var positional: [PositionalArgument] = []
  /// Keras 3 positional arguments as serialized (a slicing key, a constant array).
  var positionalValues: [JSONValue] = []
}

/// One entry of a model config's `layers` list, normalized across Keras 2 and Keras 3.
struct RawLayer {
  var className: String
  var registeredName: String?
  var name: String
  var config: JSONValue
  var nodes: [RawNode]
  /// Keras 3's `module` (`keras.layers`, or `keras.src.ops.numpy` for an operation such as `x + y`).
  var module: String? = nil

  /// Whether the entry is itself a model (a nested Functional or Sequential).
  var isModel: Bool { !isOperation && ["Functional", "Model", "Sequential"].contains(className) }

  /// Whether the entry is a Keras 3 operation (`x + y`, `ops.mean(x, axis=1)` on symbolic tensors) rather than a
  /// layer: it is part of the graph but not of `model.layers` (set by the parser, see `ModelConfigParser`).
  var isOperation = false
}

/// A model config normalized across the Keras 2.0-2.x and Keras 3 formats.
struct RawModel {
  var name: String
  var kind: ModelKind
  /// For Sequential: the layers of `model.layers` (the InputLayer entry removed).
  var layers: [RawLayer]
  /// Functional: `input_layers`; Sequential: empty.
  var inputReferences: [RawReference]
  /// Functional: `output_layers`; Sequential: empty.
  var outputReferences: [RawReference]
  /// Sequential: the input's name and shape, from the InputLayer entry or the first layer's `batch_input_shape`.
  var sequentialInput: (name: String, shape: TensorShape)?
  /// The class name the config gave (`Functional`, `Model`, `Sequential`).
  var className: String
}

/// Parses model configs (`model_config`, `model.to_json()`, Keras 3 `config.json`).
struct ModelConfigParser {
  let file: String
  let kerasMajorVersion: Int

  func invalid(_ detail: String) -> KerasImportError {
    .invalidModelConfig(file: file, detail: detail)
  }

  /// Parses `{"class_name": ..., "config": ...}` (or an old bare Sequential list) into a `RawModel`.
  func parseModel(_ json: JSONValue, depth: Int = 0) throws -> RawModel {
    guard depth < 32 else { throw invalid("models are nested more than 32 deep") }
    if let list = json.array {
      return try parseSequential(layers: list, name: "sequential", modelBuildConfig: nil, depth: depth)
    }
    guard let className = json["class_name"]?.string else {
      throw invalid("expected an object with 'class_name' and 'config'")
    }
    let config = json["config"] ?? .null
    switch className {
    case "Sequential":
      if let list = config.array {
        return try parseSequential(layers: list, name: "sequential", modelBuildConfig: nil, depth: depth)
      }
      guard let layers = config["layers"]?.array else { throw invalid("Sequential config has no 'layers' list") }
      return try parseSequential(
        layers: layers, name: config["name"]?.string ?? "sequential", modelBuildConfig: json["build_config"],
        depth: depth)
    case "Functional", "Model":
      guard let layers = config["layers"]?.array else {
        throw invalid(
          "\(className) config has no 'layers' list (a subclassed model's architecture cannot be read from its config)")
      }
      var model = RawModel(
        name: config["name"]?.string ?? "model", kind: .functional, layers: [], inputReferences: [],
        outputReferences: [], sequentialInput: nil, className: className)
      model.layers = try layers.enumerated().map { index, entry in try parseLayer(entry, position: index) }
      model.inputReferences = try parseReferenceList(config["input_layers"], field: "input_layers")
      model.outputReferences = try parseReferenceList(config["output_layers"], field: "output_layers")
      return model
    default:
      throw invalid(
        "top-level class '\(className)' is not a Functional or Sequential model; subclassed models cannot be imported from their config"
      )
    }
  }

  private func parseSequential(
    layers entries: [JSONValue], name: String, modelBuildConfig: JSONValue?, depth: Int
  ) throws -> RawModel {
    var layers = try entries.enumerated().map { index, entry in try parseLayer(entry, position: index) }
    var input: (name: String, shape: TensorShape)?
    if let first = layers.first, first.className == "InputLayer" {
      layers.removeFirst()
      guard let shape = inputShape(of: first.config) else {
        throw invalid("the InputLayer of Sequential model '\(name)' has no batch_shape")
      }
      input = (first.name, shape)
    } else if let first = layers.first, let shape = inputShape(of: first.config) {
      // Keras names the input it creates for such a model after its first layer.
      input = (first.config["input_layer_name"]?.string ?? first.name + "_input", shape)
    } else if let shape = buildInputShape(modelBuildConfig)
      ?? buildInputShape(
        entries.first?["build_config"])
    {
      input = ("", shape)
    }
    guard let input else {
      throw invalid(
        "Sequential model '\(name)' does not record its input shape (it was saved before being built); build it with an input shape and save again"
      )
    }
    return RawModel(
      name: name, kind: .sequential, layers: layers, inputReferences: [], outputReferences: [],
      sequentialInput: input, className: "Sequential")
  }

  /// The batch input shape an InputLayer (or the first layer of a Sequential model) declares.
  func inputShape(of config: JSONValue) -> TensorShape? {
    for key in ["batch_shape", "batch_input_shape"] {
      if let list = config[key]?.array, let shape = shape(from: list) { return shape }
    }
    if let list = config["shape"]?.array ?? config["input_shape"]?.array, let shape = shape(from: list) {
      return TensorShape([nil] + shape.dimensions)
    }
    return nil
  }

  private func buildInputShape(_ buildConfig: JSONValue?) -> TensorShape? {
    guard let list = buildConfig?["input_shape"]?.array else { return nil }
    return shape(from: list)
  }

  private func shape(from list: [JSONValue]) -> TensorShape? {
    var dimensions: [Int?] = []
    for value in list {
      if value.isNull {
        dimensions.append(nil)
      } else if let size = value.int, size >= 0, size <= 1 << 30 {
        dimensions.append(size)
      } else {
        return nil
      }
    }
    return dimensions.isEmpty ? nil : TensorShape(dimensions)
  }

  private func parseLayer(_ entry: JSONValue, position: Int) throws -> RawLayer {
    guard let className = entry["class_name"]?.string else {
      throw invalid("layer entry \(position) has no 'class_name'")
    }
    let config = entry["config"] ?? .object([:])
    guard let name = entry["name"]?.string ?? config["name"]?.string else {
      throw invalid("layer entry \(position) (\(className)) has no name")
    }
    var nodes: [RawNode] = []
    if let inbound = entry["inbound_nodes"], !inbound.isNull {
      guard let list = inbound.array else {
        throw invalid("layer '\(name)': 'inbound_nodes' is not a list")
      }
      nodes = try list.map { try parseNode($0, layer: name) }
    }
    let module = entry["module"]?.string
    return RawLayer(
      className: className, registeredName: entry["registered_name"]?.string, name: name, config: config,
      nodes: nodes, module: module, isOperation: isOperation(className: className, module: module, config: config))
  }

  /// Whether an entry is a Keras 3 operation. A `.keras` config names the operation's module
  /// (`keras.src.ops.numpy`); Keras 3's legacy `.h5` drops `module`, but an operation's config holds only its
  /// `name` and its own arguments (`axis`), while every layer's config records `trainable` and `dtype`.
  private func isOperation(className: String, module: String?, config: JSONValue) -> Bool {
    if let module { return module.hasPrefix("keras.src.ops") || module.hasPrefix("keras.ops") }
    guard kerasMajorVersion >= 3, className != "InputLayer", let fields = config.object else { return false }
    return fields.keys.contains("name") && !fields.keys.contains("trainable") && !fields.keys.contains("dtype")
  }

  /// Keras 2 nodes are `[[name, node, tensor, kwargs], ...]`; Keras 3 nodes are `{"args": [...], "kwargs": {...}}`
  /// whose args hold `__keras_tensor__` objects (possibly inside lists).
  private func parseNode(_ node: JSONValue, layer: String) throws -> RawNode {
    if let arguments = node["args"] {
      var references: [RawReference] = []
      try collectKerasTensors(arguments, into: &references, layer: layer, depth: 0)
      // A recurrent layer's `initial_state=` tensors follow its input, as tf.keras records them.
      if let states = node["kwargs"]?["initial_state"] {
        try collectKerasTensors(states, into: &references, layer: layer, depth: 0)
      }
      // An attention layer's tensors given by keyword follow the positional ones, in Keras 3's order (its
      // `tree.flatten` sorts keyword names).
      for keyword in MultiHeadAttention.keywordInputOrder(kerasMajorVersion: 3) {
        if let tensor = node["kwargs"]?[keyword] {
          try collectKerasTensors(tensor, into: &references, layer: layer, depth: 0)
        }
      }
      let values = arguments.array ?? []
      return RawNode(
        inputs: references, arguments: node["kwargs"] ?? .object([:]),
        positional: values.map(PositionalArgument.init(keras:)), positionalValues: values)
    }
    guard var entries = node.array else { throw invalid("layer '\(layer)': an inbound node is not a list") }
    // tf.keras writes a TFOpLambda's node as one flat entry `[name, node, tensor, kwargs]`.
    if entries.first?.string != nil { entries = [node] }
    var kwargs: JSONValue = .object([:])
    var references = try entries.map { entry -> RawReference in
      guard let parts = entry.array, parts.count >= 3, let name = parts[0].string, let nodeIndex = parts[1].int,
        let tensorIndex = parts[2].int, nodeIndex >= 0, tensorIndex >= 0
      else { throw invalid("layer '\(layer)': inbound entry \(entry.jsonText) is not [name, node, tensor, kwargs]") }
      if parts.count > 3 { kwargs = parts[3] }
      return RawReference(layer: name, node: nodeIndex, tensor: tensorIndex)
    }
    // A TFOpLambda's second operand may be a tensor, written as `"y": [name, node, tensor]` in its kwargs (`x + y`;
    // `b` for `tf.matmul(a, b)`).
    for keyword in TFOpLambdaTranslation.tensorOperandKeywords {
      if let operand = kwargs[keyword]?.array, operand.count == 3, let name = operand[0].string,
        let node = operand[1].int, let tensor = operand[2].int, node >= 0, tensor >= 0
      {
        references.append(RawReference(layer: name, node: node, tensor: tensor))
      }
    }
    // tf.keras records an attention layer's `value=`, `key=` and `attention_mask=` tensors in its kwargs.
    for keyword in MultiHeadAttention.keywordInputOrder(kerasMajorVersion: 2) {
      if let operand = kwargs[keyword]?.array, operand.count == 3, let name = operand[0].string,
        let node = operand[1].int, let tensor = operand[2].int, node >= 0, tensor >= 0
      {
        references.append(RawReference(layer: name, node: node, tensor: tensor))
      }
    }
    return RawNode(inputs: references, arguments: kwargs)
  }

  private func collectKerasTensors(
    _ value: JSONValue, into references: inout [RawReference], layer: String, depth: Int
  ) throws {
    guard depth < 16 else { throw invalid("layer '\(layer)': inbound node arguments nested too deeply") }
    if value["class_name"]?.string == "__keras_tensor__" {
      guard let history = value["config"]?["keras_history"]?.array, history.count == 3,
        let name = history[0].string, let node = history[1].int, let tensor = history[2].int, node >= 0, tensor >= 0
      else { throw invalid("layer '\(layer)': a keras tensor has no valid keras_history") }
      references.append(RawReference(layer: name, node: node, tensor: tensor))
    } else if let list = value.array {
      for element in list { try collectKerasTensors(element, into: &references, layer: layer, depth: depth + 1) }
    }
  }

  /// `[[name, node, tensor], ...]`, a single `[name, node, tensor]`, or (Keras 3) a dict of them.
  private func parseReferenceList(_ value: JSONValue?, field: String) throws -> [RawReference] {
    guard let value, !value.isNull else { throw invalid("Functional config has no '\(field)'") }
    var references: [RawReference] = []
    func visit(_ value: JSONValue, depth: Int) throws {
      guard depth < 16 else { throw invalid("'\(field)' nested too deeply") }
      if let list = value.array, list.count >= 3, let name = list[0].string {
        guard let node = list[1].int, let tensor = list[2].int, node >= 0, tensor >= 0 else {
          throw invalid("'\(field)' entry \(value.jsonText) is not [name, node, tensor]")
        }
        references.append(RawReference(layer: name, node: node, tensor: tensor))
      } else if let list = value.array {
        for element in list { try visit(element, depth: depth + 1) }
      } else if let members = value.object {
        for key in members.keys.sorted() { try visit(members[key]!, depth: depth + 1) }
      } else {
        throw invalid("'\(field)' entry \(value.jsonText) is not [name, node, tensor]")
      }
    }
    try visit(value, depth: 0)
    return references
  }
}

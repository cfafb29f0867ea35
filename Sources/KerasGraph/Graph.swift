/// Where a layer's input tensor comes from.
public enum TensorSource: Sendable, Hashable, CustomStringConvertible {
  /// Input number `index` of the graph (used for the first layer of a Sequential model, whose InputLayer is
  /// not in `model.layers`).
  case graphInput(Int)
  /// Output `tensor` of call `node` of the layer at `layer` (an index into `Graph.layers`).
  case layerOutput(layer: Int, node: Int, tensor: Int)
  /// Output `tensor` of call `node` of a Keras 3 operation (an index into `Graph.operations`).
  case operationOutput(operation: Int, node: Int, tensor: Int)

  public var description: String {
    switch self {
    case .graphInput(let index): return "input \(index)"
    case .layerOutput(let layer, let node, let tensor): return "layers[\(layer)][\(node)][\(tensor)]"
    case .operationOutput(let operation, let node, let tensor): return "operations[\(operation)][\(node)][\(tensor)]"
    }
  }
}

/// One call of a layer (Keras's "node"): which tensors it consumed and the shapes it produced.
public struct Node: Sendable, Equatable {
  /// The input tensors, in call order.
  public var inputs: [TensorSource]
  /// The shapes of the outputs (one for every layer class except nested multi-output models).
  public var outputShapes: [TensorShape]
  /// Keyword arguments Keras recorded for the call (usually empty).
  public var arguments: JSONValue

  public init(inputs: [TensorSource], outputShapes: [TensorShape], arguments: JSONValue = .object([:])) {
    self.inputs = inputs
    self.outputShapes = outputShapes
    self.arguments = arguments
  }
}

/// One Keras layer, at the index it has in Keras's `model.layers`.
public struct Layer: Sendable {
  /// The index in `model.layers` of the model that holds the layer (keras-vis's `layer_idx`).
  public var index: Int
  /// The Keras layer name.
  public var name: String
  /// The Keras class name (`Conv2D`, `Functional`, ...), as in the config's `class_name`.
  public var className: String
  /// The layer's `config` object exactly as the file stores it.
  public var config: JSONValue
  /// What the layer computes (a nested graph for a model used as a layer).
  public var kind: any LayerKind
  /// The function applied after `kind` (the config's `activation=`), for kinds that have one (Conv2D, Dense,
  /// ...; `LayerKind.splitsActivation`); nil for the others. The runtime runs it as its own node.
  public var activation: ActivationFunction?
  /// The layer's own weights in Keras's order (empty for a nested model: its layers hold theirs).
  public var weights: [Weight]
  /// Every call of the layer; almost always exactly one.
  public var nodes: [Node]
  /// Whether the config marks the layer trainable.
  public var trainable: Bool

  public init(
    index: Int, name: String, className: String, config: JSONValue, kind: any LayerKind,
    activation: ActivationFunction? = nil, weights: [Weight] = [], nodes: [Node] = [], trainable: Bool = true
  ) {
    self.index = index
    self.name = name
    self.className = className
    self.config = config
    self.kind = kind
    self.activation = activation
    self.weights = weights
    self.nodes = nodes
    self.trainable = trainable
  }

  /// The shape of the first output of the first call, as `layer.output_shape` reports it.
  public var outputShape: TensorShape? { nodes.first?.outputShapes.first }

  /// The graph of a model used as a layer, or nil; setting it replaces the nested graph.
  public var nestedGraph: Graph? {
    get { (kind as? NestedModel)?.graph }
    set {
      if let newValue { kind = NestedModel(graph: newValue) }
    }
  }

  /// Whether the layer is an InputLayer.
  public var isInput: Bool { kind is InputLayer }

  /// The number of weight values (Keras's `layer.count_params()`), nested models included.
  public var parameterCount: Int {
    if let graph = nestedGraph { return graph.parameterCount }
    return weights.reduce(0) { $0 + $1.elementCount }
  }

  /// The weight named `name` (`kernel`, `bias`, ...), if the layer has one.
  public func weight(named name: String) -> Weight? {
    weights.first { $0.name == name }
  }

  /// The location for messages, with the path of the models that hold the layer before its name.
  public func location(pathPrefix: String = "") -> LayerLocation {
    LayerLocation(path: pathPrefix + name, index: index, className: className)
  }
}

/// The kind of Keras model a graph was read from.
public enum ModelKind: String, Sendable {
  case functional = "Functional"
  case sequential = "Sequential"
}

/// An input of a graph: its name, shape and, for Functional models, the InputLayer that yields it.
public struct GraphInput: Sendable, Equatable {
  public var name: String
  public var shape: TensorShape
  /// The index of the InputLayer in `layers`, or nil for a Sequential model (whose InputLayer is hidden).
  public var layerIndex: Int?

  public init(name: String, shape: TensorShape, layerIndex: Int?) {
    self.name = name
    self.shape = shape
    self.layerIndex = layerIndex
  }
}

/// A Keras model as a native graph: the layers in `model.layers` order with their weights, connections and
/// inferred output shapes. Nested models are layers whose operation is `.model(Graph)`.
public struct Graph: Sendable {
  /// The model's name (`model.name`).
  public var name: String
  /// Functional or Sequential.
  public var kind: ModelKind
  /// Exactly Keras's `model.layers`, in order: `layers[i].index == i`.
  public var layers: [Layer]
  /// The model inputs, in order.
  public var inputs: [GraphInput]
  /// The tensors the model returns, in order.
  public var outputs: [TensorSource]
  /// Keras 3 operations on symbolic tensors (`x + y`, `x * 0.5`) that are part of the graph but not of
  /// `model.layers`; each has `index` equal to its position here.
  public var operations: [Layer]

  public init(
    name: String, kind: ModelKind, layers: [Layer], inputs: [GraphInput], outputs: [TensorSource],
    operations: [Layer] = []
  ) {
    self.name = name
    self.kind = kind
    self.layers = layers
    self.inputs = inputs
    self.outputs = outputs
    self.operations = operations
  }

  /// The total number of weight values (Keras's `model.count_params()`).
  public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

  /// The shape of a tensor in the graph.
  public func shape(of source: TensorSource) -> TensorShape? {
    switch source {
    case .graphInput(let index):
      return inputs.indices.contains(index) ? inputs[index].shape : nil
    case .layerOutput(let layer, let node, let tensor):
      guard layers.indices.contains(layer), layers[layer].nodes.indices.contains(node),
        layers[layer].nodes[node].outputShapes.indices.contains(tensor)
      else { return nil }
      return layers[layer].nodes[node].outputShapes[tensor]
    case .operationOutput(let operation, let node, let tensor):
      guard operations.indices.contains(operation), operations[operation].nodes.indices.contains(node),
        operations[operation].nodes[node].outputShapes.indices.contains(tensor)
      else { return nil }
      return operations[operation].nodes[node].outputShapes[tensor]
    }
  }

  /// The shapes of the model's outputs.
  public var outputShapes: [TensorShape] { outputs.compactMap { shape(of: $0) } }
}

import KerasGraph

/// Turns a `Graph` into the native format's graph description (format version 1) and collects the weights to
/// store, in Keras's weight order (layer by layer in `model.layers` order, nested models in place, each layer's
/// weights in Keras's order), under the names `<layer path>/<weight name>`.
struct GraphEncoder {
  /// Whether every layer keeps its Keras `config` (`keras_config`), so that `Layer.config` reads back equal.
  var includesKerasConfig: Bool
  /// The weights to store, in file order, with their tensor names.
  private(set) var tensors: [(name: String, weight: Weight)] = []
  private var usedNames: Set<String> = []

  init(includesKerasConfig: Bool) {
    self.includesKerasConfig = includesKerasConfig
  }

  /// The root of the graph description: `{"format_version": 1, "model": <graph>}`.
  mutating func encodeRoot(_ graph: Graph) -> JSONValue {
    .object([
      "format_version": .int(NativeModelFile.formatVersion),
      "model": encode(graph, pathPrefix: ""),
    ])
  }

  private mutating func encode(_ graph: Graph, pathPrefix: String) -> JSONValue {
    let inputs = graph.inputs.map { input -> JSONValue in
      .object([
        "name": .string(input.name), "shape": GraphEncoder.encode(input.shape),
        "layer": input.layerIndex.map(JSONValue.int) ?? .null,
      ])
    }
    let layers = graph.layers.map { encode($0, pathPrefix: pathPrefix) }
    let operations = graph.operations.map { encode($0, pathPrefix: pathPrefix) }
    return .object([
      "name": .string(graph.name), "kind": .string(graph.kind.rawValue), "inputs": .array(inputs),
      "outputs": .array(graph.outputs.map(GraphEncoder.encode)), "layers": .array(layers),
      "operations": .array(operations),
    ])
  }

  /// A tensor name not used before: `base`, or `base~2`, `base~3`, ... when layer names collide.
  private mutating func uniqueName(_ base: String) -> String {
    var name = base
    var counter = 1
    while usedNames.contains(name) || name == "__metadata__" {
      counter += 1
      name = "\(base)~\(counter)"
    }
    usedNames.insert(name)
    return name
  }

  private mutating func encode(_ layer: Layer, pathPrefix: String) -> JSONValue {
    let path = pathPrefix + layer.name
    let operation = encode(layer.operation, layerPath: path, keras: layer.config)
    let weights = layer.weights.map { weight -> JSONValue in
      let name = uniqueName(path + "/" + weight.name)
      tensors.append((name, weight))
      return .object(["name": .string(weight.name), "tensor": .string(name)])
    }
    let nodes = layer.nodes.map { node -> JSONValue in
      var members: JSONObject = [
        "inputs": .array(node.inputs.map(GraphEncoder.encode)),
        "output_shapes": .array(node.outputShapes.map(GraphEncoder.encode)),
      ]
      if node.arguments != .object([:]) { members.append("arguments", node.arguments) }
      return .object(members)
    }
    var members: JSONObject = [
      "index": .int(layer.index), "name": .string(layer.name), "class_name": .string(layer.className),
      "trainable": .bool(layer.trainable), "op": operation, "weights": .array(weights), "nodes": .array(nodes),
    ]
    if includesKerasConfig { members.append("keras_config", layer.config) }
    return .object(members)
  }

  static func encode(_ shape: TensorShape) -> JSONValue {
    .array(shape.dimensions.map { $0.map(JSONValue.int) ?? .null })
  }

  static func encode(_ source: TensorSource) -> JSONValue {
    switch source {
    case .graphInput(let index):
      return .object(["input": .int(index)])
    case .layerOutput(let layer, let node, let tensor):
      return .object(["layer": .int(layer), "node": .int(node), "tensor": .int(tensor)])
    case .operationOutput(let operation, let node, let tensor):
      return .object(["operation": .int(operation), "node": .int(node), "tensor": .int(tensor)])
    }
  }

  private static func window(_ kernelSize: [Int], _ strides: [Int], _ padding: Padding, _ dilation: [Int])
    -> JSONObject
  {
    [
      "kernel_size": .ints(kernelSize), "strides": .ints(strides), "padding": .string(padding.rawValue),
      "dilation_rate": .ints(dilation),
    ]
  }

  private static func edges(_ edges: Edges2D) -> JSONValue {
    .array([.ints([edges.top, edges.bottom]), .ints([edges.left, edges.right])])
  }

  /// The normalized config of an operation: `{"op": <name>, <fields>}` (see `NativeModelFile` for the list).
  private mutating func encode(_ operation: LayerOperation, layerPath: String, keras: JSONValue) -> JSONValue {
    func op(_ name: String, _ fields: JSONObject = [:]) -> JSONValue {
      .object(["op": .string(name)] + fields)
    }
    switch operation {
    case .input:
      return op("input")
    case .convolution2D(let conv):
      return op(
        "conv2d",
        ["filters": .int(conv.filters)]
          + GraphEncoder.window(conv.kernelSize, conv.strides, conv.padding, conv.dilation)
          + [
            "groups": .int(conv.groups), "use_bias": .bool(conv.useBias),
            "activation": .string(conv.activation.rawValue),
          ])
    case .depthwiseConvolution2D(let conv):
      return op(
        "depthwise_conv2d",
        GraphEncoder.window(conv.kernelSize, conv.strides, conv.padding, conv.dilation) + [
          "depth_multiplier": .int(conv.depthMultiplier), "use_bias": .bool(conv.useBias),
          "activation": .string(conv.activation.rawValue),
        ])
    case .separableConvolution2D(let conv):
      return op(
        "separable_conv2d",
        ["filters": .int(conv.filters)]
          + GraphEncoder.window(conv.kernelSize, conv.strides, conv.padding, conv.dilation)
          + [
            "depth_multiplier": .int(conv.depthMultiplier), "use_bias": .bool(conv.useBias),
            "activation": .string(conv.activation.rawValue),
          ])
    case .transposedConvolution2D(let conv):
      return op(
        "conv2d_transpose",
        ["filters": .int(conv.filters)]
          + GraphEncoder.window(conv.kernelSize, conv.strides, conv.padding, conv.dilation)
          + [
            "output_padding": conv.outputPadding.map(JSONValue.ints) ?? .null, "use_bias": .bool(conv.useBias),
            "activation": .string(conv.activation.rawValue),
          ])
    case .dense(let dense):
      return op(
        "dense",
        [
          "units": .int(dense.units), "use_bias": .bool(dense.useBias),
          "activation": .string(dense.activation.rawValue),
        ])
    case .batchNormalization(let norm):
      return op(
        "batch_normalization",
        [
          "axis": .int(norm.axis), "epsilon": .float(norm.epsilon), "center": .bool(norm.center),
          "scale": .bool(norm.scale),
        ])
    case .layerNormalization(let norm):
      return op(
        "layer_normalization",
        [
          "axes": .ints(norm.axes), "epsilon": .float(norm.epsilon), "center": .bool(norm.center),
          "scale": .bool(norm.scale), "rms_scaling": .bool(norm.rmsScaling),
        ])
    case .activation(let function):
      return op("activation", ["activation": .string(function.rawValue)])
    case .relu(let relu):
      return op(
        "relu",
        [
          "max_value": relu.maxValue.map(JSONValue.float) ?? .null, "negative_slope": .float(relu.negativeSlope),
          "threshold": .float(relu.threshold),
        ])
    case .leakyReLU(let slope):
      return op("leaky_relu", ["negative_slope": .float(slope)])
    case .parametricReLU(let sharedAxes):
      return op("prelu", ["shared_axes": .ints(sharedAxes)])
    case .elu(let alpha):
      return op("elu", ["alpha": .float(alpha)])
    case .softmax(let axes):
      return op("softmax", ["axes": .ints(axes)])
    case .maxPooling2D(let pool), .averagePooling2D(let pool):
      let name: String
      if case .maxPooling2D = operation { name = "max_pooling2d" } else { name = "average_pooling2d" }
      return op(
        name,
        ["pool_size": .ints(pool.poolSize), "strides": .ints(pool.strides), "padding": .string(pool.padding.rawValue)])
    case .globalAveragePooling2D(let keepDims):
      return op("global_average_pooling2d", ["keepdims": .bool(keepDims)])
    case .globalMaxPooling2D(let keepDims):
      return op("global_max_pooling2d", ["keepdims": .bool(keepDims)])
    case .flatten:
      return op("flatten")
    case .reshape(let target):
      return op("reshape", ["target_shape": .ints(target)])
    case .permute(let dimensions):
      return op("permute", ["dims": .ints(dimensions)])
    case .identity:
      return op("identity")
    case .concatenate(let axis):
      return op("concatenate", ["axis": .int(axis)])
    case .merge(let merge):
      return op(merge.rawValue)
    case .zeroPadding2D(let padding):
      return op("zero_padding2d", ["padding": GraphEncoder.edges(padding)])
    case .cropping2D(let cropping):
      return op("cropping2d", ["cropping": GraphEncoder.edges(cropping)])
    case .upSampling2D(let upsampling):
      return op(
        "up_sampling2d", ["size": .ints(upsampling.size), "interpolation": .string(upsampling.interpolation)])
    case .rescaling(let rescaling):
      return op("rescaling", ["scale": .floats(rescaling.scale), "offset": .floats(rescaling.offset)])
    case .normalization(let norm):
      return op(
        "normalization",
        [
          "axes": .ints(norm.axes), "mean": norm.mean.map(JSONValue.floats) ?? .null,
          "variance": norm.variance.map(JSONValue.floats) ?? .null, "invert": .bool(norm.invert),
        ])
    case .scaledSum(let scale):
      return op("scaled_sum", ["scale": .float(scale)])
    case .layerScale(let dimension):
      return op("layer_scale", ["projection_dim": .int(dimension)])
    case .model(let inner):
      return op("model", ["graph": encode(inner, pathPrefix: layerPath + "/")])
    case .custom(let className, _):
      // The only description of a user's class is its Keras config, which the registered factory reads again.
      return op("custom", ["class_name": .string(className), "config": keras])
    }
  }
}

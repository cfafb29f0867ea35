import KerasGraph
import Testing

private func keras(_ text: String) throws -> JSONValue { try JSONValue.parseStrict(text) }

private let kerasContext = LayerDecodingContext(
  file: "model.h5", source: .keras(major: 3), inputShapes: [TensorShape([nil, 8, 8, 6])])

@Suite("Layer kinds: one registry, Keras configs and native ops through one Codable config")
struct LayerKindTests {
  @Test("class names and op names each belong to one kind")
  func registryIsUnambiguous() {
    var classes: [String: String] = [:]
    var operations: [String: String] = [:]
    for kind in LayerKinds.all {
      for name in kind.kerasClassNames {
        #expect(classes[name] == nil, "\(name) is read by \(classes[name] ?? "") and \(kind)")
        classes[name] = "\(kind)"
      }
      for name in kind.operationNames {
        #expect(operations[name] == nil, "op \(name) is read by \(operations[name] ?? "") and \(kind)")
        operations[name] = "\(kind)"
      }
      #expect(!kind.operationNames.isEmpty, "\(kind) has no native op name")
    }
    #expect(LayerKinds.supportedClassNames.isSuperset(of: ["Conv2D", "GroupNormalization", "Identity", "TFOpLambda"]))
  }

  @Test("a Keras config decodes, its activation is split off, and the native op reads back equal")
  func kerasToNativeAndBack() throws {
    let config = try keras(
      #"{"name": "c", "filters": 4, "kernel_size": 3, "strides": [2, 1], "padding": "SAME", "dilation_rate": 1, "#
        + #""groups": 2, "use_bias": false, "activation": {"class_name": "function", "config": "relu"}}"#)
    let decoded = try LayerKinds.decodeKeras(
      className: "Conv2D", registeredName: nil, config: config, context: kerasContext)
    let conv = try #require(decoded.kind as? Conv2D)
    #expect(
      conv
        == Conv2D(
          filters: 4, window: Window(kernelSize: [3, 3], strides: [2, 1], padding: .same), groups: 2, useBias: false))
    #expect(decoded.activation == .relu)
    let op = try LayerKinds.encodeNative(conv, activation: decoded.activation)
    #expect(op["op"]?.string == "conv2d")
    #expect(op["kernel_size"] == .ints([3, 3]))
    #expect(op["activation"]?.string == "relu")
    let back = try LayerKinds.decodeNative(operation: op, context: LayerDecodingContext(file: "x", source: .native))
    #expect(back.kind as? Conv2D == conv)
    #expect(back.activation == .relu)
  }

  @Test("every kind's native encoding decodes to the same kind", arguments: sampleKinds())
  func nativeRoundTrip(sample: SampleKind) throws {
    let op = try LayerKinds.encodeNative(sample.kind, activation: nil)
    let back = try LayerKinds.decodeNative(operation: op, context: LayerDecodingContext(file: "x", source: .native))
    #expect(String(reflecting: back.kind) == String(reflecting: sample.kind), "\(op.compactText)")
  }

  @Test("a field of the wrong kind is an error naming the field")
  func badField() throws {
    let config = try keras(#"{"units": "eight"}"#)
    #expect {
      try LayerKinds.decodeKeras(className: "Dense", registeredName: nil, config: config, context: kerasContext)
    } throws: { error in
      (error as? LayerConfigError)?.field == "units" && "\(error)".contains("expected an integer")
    }
  }

  @Test("tf.keras's Package>Name classes read as Name; summary shows the Python class name")
  func packagedClassNames() throws {
    #expect(LayerKinds.displayName(ofClass: "Custom>CustomScaleLayer") == "CustomScaleLayer")
    #expect(LayerKinds.displayName(ofClass: "Conv2D") == "Conv2D")
    let decoded = try LayerKinds.decodeKeras(
      className: "Custom>CustomScaleLayer", registeredName: nil, config: try keras(#"{"scale": 0.17}"#),
      context: kerasContext)
    #expect((decoded.kind as? CustomScaleLayer)?.scale == 0.17)
    let input = Layer(
      index: 0, name: "in", className: "InputLayer", config: .object([:]), kind: InputLayer(),
      nodes: [Node(inputs: [.graphInput(0)], outputShapes: [TensorShape([nil, 4])])])
    let scale = Layer(
      index: 1, name: "block35_1", className: "Custom>CustomScaleLayer", config: .object([:]),
      kind: CustomScaleLayer(scale: 0.17),
      nodes: [
        Node(
          inputs: [.layerOutput(layer: 0, node: 0, tensor: 0), .layerOutput(layer: 0, node: 0, tensor: 0)],
          outputShapes: [TensorShape([nil, 4])])
      ])
    let graph = Graph(
      name: "m", kind: .functional, layers: [input, scale],
      inputs: [GraphInput(name: "in", shape: TensorShape([nil, 4]), layerIndex: 0)],
      outputs: [.layerOutput(layer: 1, node: 0, tensor: 0)])
    try graph.validate()
    #expect(graph.summaryRows().map(\.className) == ["InputLayer", "CustomScaleLayer"])
  }

  @Test("an unknown class names itself and how to register it")
  func unknownClass() throws {
    #expect {
      try LayerKinds.decodeKeras(
        className: "MyLayer", registeredName: "my_package>MyLayer", config: .object([:]), context: kerasContext)
    } throws: { error in
      let text = "\(error)"
      return text.contains("unknown layer class 'MyLayer'") && text.contains("LayerRegistry.register")
    }
  }

  @Test("1-D and 3-D kinds read Keras's forms: causal padding, paddings and croppings per axis, shapes and weights")
  func dimensionConfigs() throws {
    func decode(_ className: String, _ text: String, input: [Int?]) throws -> any LayerKind {
      try LayerKinds.decodeKeras(
        className: className, registeredName: nil, config: try keras(text),
        context: LayerDecodingContext(file: "m.h5", source: .keras(major: 2), inputShapes: [TensorShape(input)])
      ).kind
    }
    let causal = try decode(
      "Conv1D", #"{"filters": 4, "kernel_size": [3], "padding": "causal", "dilation_rate": [2], "groups": 2}"#,
      input: [nil, 10, 6])
    #expect(try causal.outputShapes(inputs: [TensorShape([nil, 10, 6])]) == [TensorShape([nil, 10, 4])])
    #expect(try causal.weightSpecifications(inputs: [TensorShape([nil, 10, 6])]).map(\.shape) == [[3, 3, 4], [4]])
    // Causal padding is Conv1D's alone.
    #expect(throws: LayerConfigError.self) {
      try decode("Conv2D", #"{"filters": 4, "kernel_size": 3, "padding": "causal"}"#, input: [nil, 8, 8, 3])
    }
    #expect(throws: LayerConfigError.self) {
      try decode("MaxPooling1D", #"{"pool_size": 2, "padding": "causal"}"#, input: [nil, 8, 3])
    }
    // A 1-D pair is (before, after); 2-D and 3-D lists of ints are symmetric per axis.
    let pad1 = try #require(try decode("ZeroPadding1D", #"{"padding": [1, 2]}"#, input: [nil, 8, 3]) as? ZeroPadding1D)
    #expect(pad1.edges == Edges(before: [1], after: [2]))
    let pad3 = try #require(
      try decode("ZeroPadding3D", #"{"padding": [1, 2, 3]}"#, input: [nil, 4, 4, 4, 3]) as? ZeroPadding3D)
    #expect(pad3.edges == Edges(before: [1, 2, 3], after: [1, 2, 3]))
    let crop3 = try #require(
      try decode("Cropping3D", #"{"cropping": [[1, 0], [0, 1], [2, 1]]}"#, input: [nil, 4, 4, 4, 3]) as? Cropping3D)
    #expect(try crop3.outputShapes(inputs: [TensorShape([nil, 4, 4, 4, 3])]) == [TensorShape([nil, 3, 3, 1, 3])])
    #expect(throws: LayerConfigError.self) {
      try decode("Cropping1D", #"{"cropping": [1, 2, 3]}"#, input: [nil, 8, 3])
    }
    let transposed = try decode(
      "Conv3DTranspose", #"{"filters": 2, "kernel_size": 2, "strides": 2, "output_padding": null}"#,
      input: [nil, 3, 4, 5, 6])
    #expect(
      try transposed.outputShapes(inputs: [TensorShape([nil, 3, 4, 5, 6])]) == [TensorShape([nil, 6, 8, 10, 2])])
    #expect(try transposed.weightSpecifications(inputs: [TensorShape([nil, 3, 4, 5, 6])])[0].shape == [2, 2, 2, 2, 6])
    let separable = try decode(
      "SeparableConv1D", #"{"filters": 5, "kernel_size": 3, "depth_multiplier": 2}"#, input: [nil, 8, 3])
    #expect(
      try separable.weightSpecifications(inputs: [TensorShape([nil, 8, 3])]).map(\.shape) == [
        [3, 3, 2], [1, 6, 5], [5],
      ])
    let global = try decode("GlobalMaxPooling3D", #"{"keepdims": true}"#, input: [nil, 2, 3, 4, 5])
    #expect(try global.outputShapes(inputs: [TensorShape([nil, 2, 3, 4, 5])]) == [TensorShape([nil, 1, 1, 1, 5])])
    #expect(throws: ShapeProblem.self) { try global.outputShapes(inputs: [TensorShape([nil, 4, 4, 5])]) }
  }

  @Test("channels_first layers decode as their channels-last kind between transposes; others are still refused")
  func channelsFirstConfigs() throws {
    let context = LayerDecodingContext(
      file: "m.h5", source: .keras(major: 2), inputShapes: [TensorShape([nil, 3, 8, 8])])
    let decoded = try LayerKinds.decodeKeras(
      className: "Conv2D", registeredName: nil,
      config: try keras(
        #"{"filters": 4, "kernel_size": 3, "padding": "same", "data_format": "channels_first", "activation": "tanh"}"#),
      context: context)
    let wrapped = try #require(decoded.kind as? ChannelsFirst)
    #expect(wrapped.inner as? Conv2D == Conv2D(filters: 4, window: Window(kernelSize: [3, 3], padding: .same)))
    #expect(decoded.activation == .tanh)
    #expect(try wrapped.outputShapes(inputs: [TensorShape([nil, 3, 8, 8])]) == [TensorShape([nil, 4, 8, 8])])
    #expect(
      try wrapped.weightSpecifications(inputs: [TensorShape([nil, 3, 8, 8])]).map(\.shape) == [[3, 3, 3, 4], [4]])
    let op = try LayerKinds.encodeNative(wrapped, activation: nil)
    #expect(op["op"]?.string == "conv2d" && op["data_format"]?.string == "channels_first")
    // Flatten flattens in channels-last order; a keepdims global pooling keeps (N, C, 1, 1).
    let flatten = try LayerKinds.decodeKeras(
      className: "Flatten", registeredName: nil, config: try keras(#"{"data_format": "channels_first"}"#),
      context: context)
    #expect(try flatten.kind.outputShapes(inputs: [TensorShape([nil, 3, 4, 5])]) == [TensorShape([nil, 60])])
    let pooling = try LayerKinds.decodeKeras(
      className: "GlobalAveragePooling2D", registeredName: nil,
      config: try keras(#"{"data_format": "channels_first", "keepdims": true}"#), context: context)
    #expect(try pooling.kind.outputShapes(inputs: [TensorShape([nil, 3, 4, 5])]) == [TensorShape([nil, 3, 1, 1])])
    #expect(throws: LayerConfigError.self) {
      try LayerKinds.decodeKeras(
        className: "Resizing", registeredName: nil,
        config: try keras(#"{"height": 4, "width": 4, "data_format": "channels_first"}"#), context: context)
    }
  }

  @Test("GroupNormalization and UnitNormalization read Keras 2 and Keras 3 configs")
  func normalizationConfigs() throws {
    let group = try LayerKinds.decodeKeras(
      className: "GroupNormalization", registeredName: nil,
      config: try keras(#"{"groups": 3, "axis": -1, "epsilon": 0.001, "center": false, "scale": true}"#),
      context: kerasContext)
    #expect(group.kind as? GroupNormalization == GroupNormalization(groups: 3, axis: -1, epsilon: 0.001, center: false))
    #expect(try group.kind.weightSpecifications(inputs: [TensorShape([nil, 8, 8, 6])]).map(\.name) == ["gamma"])
    #expect(throws: ShapeProblem.self) {
      try GroupNormalization(groups: 4).outputShapes(inputs: [TensorShape([nil, 8, 8, 6])])
    }
    let unit2 = try LayerKinds.decodeKeras(
      className: "UnitNormalization", registeredName: nil, config: try keras(#"{"axis": [1, 2]}"#),
      context: LayerDecodingContext(file: "m.h5", source: .keras(major: 2), inputShapes: [TensorShape([nil, 8, 8, 6])]))
    #expect(unit2.kind as? UnitNormalization == UnitNormalization(axis: [1, 2], minimumSquaredNorm: 1e-12))
    let unit3 = try LayerKinds.decodeKeras(
      className: "UnitNormalization", registeredName: nil, config: try keras(#"{"axis": -1}"#), context: kerasContext)
    #expect(unit3.kind as? UnitNormalization == UnitNormalization(axis: [-1], minimumSquaredNorm: 1e-24))
    #expect(throws: LayerConfigError.self) {
      try LayerKinds.decodeKeras(
        className: "UnitNormalization", registeredName: nil, config: try keras(#"{"axis": 5}"#),
        context: kerasContext)
    }
  }
}

/// A kind value for the round-trip test.
struct SampleKind: CustomTestStringConvertible, Sendable {
  var kind: any LayerKind
  var testDescription: String { "\(type(of: kind))" }
}

private func sampleKinds() -> [SampleKind] {
  let window = Window(kernelSize: [3, 2], strides: [2, 2], padding: .same, dilation: [1, 2])
  let kinds: [any LayerKind] = [
    InputLayer(), Conv2D(filters: 8, window: window, groups: 2, useBias: false),
    DepthwiseConv2D(window: window, depthMultiplier: 3), SeparableConv2D(filters: 5, window: window),
    Conv2DTranspose(filters: 2, window: window, outputPadding: [1, 0]), Dense(units: 7, useBias: false),
    BatchNormalization(axis: 1, epsilon: 1e-5, center: false), LayerNormalization(axis: [1, -1], rmsScaling: true),
    GroupNormalization(groups: -1, epsilon: 1e-5, scale: false), UnitNormalization(axis: [1, 2]),
    Normalization(axis: [], mean: [0.5], variance: [2]), Activation(.hardSigmoidKeras2),
    ReLU(maxValue: 6, negativeSlope: 0.1, threshold: 0.5), LeakyReLU(negativeSlope: 0.2), PReLU(sharedAxes: [1, 2]),
    ELU(alpha: 0.7), Softmax(axis: [1, 2]), MaxPooling2D(window: Window(kernelSize: [3, 3], strides: [2, 2])),
    AveragePooling2D(window: Window(kernelSize: [2, 2], strides: [1, 1], padding: .same)),
    GlobalAveragePooling2D(keepDims: true), GlobalMaxPooling2D(), Flatten(), Reshape(targetShape: [-1, 4]),
    Permute(dims: [2, 1, 3]), Identity(), Concatenate(axis: 1), Merge(.average), Merge(.minimum),
    ZeroPadding2D(edges: Edges(top: 1, bottom: 2, left: 3, right: 4)),
    Cropping2D(edges: Edges(top: 0, bottom: 1, left: 1, right: 0)),
    UpSampling2D(size: [2, 3], interpolation: "bilinear"),
    Resizing(height: 5, width: 7, interpolation: .nearest, padToAspectRatio: true, fillValue: 0.5),
    Resizing(height: 4, width: 4, cropToAspectRatio: true), CenterCrop(height: 3, width: 2),
    RandomCrop(height: 6, width: 1),
    Rescaling(scale: [1 / 255], offset: [-1]), CustomScaleLayer(scale: 0.17), LayerScale(projectionDim: 16),
    Reduce(.max, axis: [1, -1], keepdims: true), Reduce(.mean, axis: [2]),
    Elementwise(.clip, minimum: -0.5, maximum: 0.25),
    Elementwise(.clip, maximum: 6), Elementwise(.geluTanh), Elementwise(.log),
    Conv1D(filters: 3, window: Window(kernelSize: [5], padding: .causal, dilation: [2]), groups: 3),
    Conv3D(filters: 2, window: Window(kernelSize: [1, 2, 3], strides: [1, 2, 1], padding: .same), useBias: false),
    DepthwiseConv1D(window: Window(kernelSize: [3], strides: [2]), depthMultiplier: 2),
    SeparableConv1D(filters: 4, window: Window(kernelSize: [3], padding: .same), depthMultiplier: 3),
    Conv1DTranspose(filters: 2, window: Window(kernelSize: [3], strides: [2]), outputPadding: [1]),
    Conv3DTranspose(filters: 2, window: Window(kernelSize: [2, 2, 2], strides: [2, 2, 2], padding: .same)),
    MaxPooling1D(window: Window(kernelSize: [3], strides: [2], padding: .same)),
    MaxPooling3D(window: Window(kernelSize: [2, 2, 2], strides: [2, 2, 2])),
    AveragePooling1D(window: Window(kernelSize: [2], strides: [1])),
    AveragePooling3D(window: Window(kernelSize: [1, 2, 2], strides: [1, 1, 1], padding: .same)),
    GlobalAveragePooling1D(keepDims: true), GlobalMaxPooling1D(), GlobalAveragePooling3D(),
    GlobalMaxPooling3D(keepDims: true), ZeroPadding1D(edges: Edges(before: [1], after: [2])),
    ZeroPadding3D(edges: Edges(before: [1, 0, 2], after: [0, 1, 1])), Cropping1D(edges: Edges(before: [0], after: [3])),
    Cropping3D(edges: Edges(before: [1, 1, 1], after: [0, 0, 2])), UpSampling1D(size: [3]),
    UpSampling3D(size: [1, 2, 3]),
    ChannelsFirst(inner: Conv2D(filters: 2, window: Window(kernelSize: [3, 3]))), ChannelsFirst(inner: Flatten()),
    ChannelsFirst(inner: GlobalMaxPooling3D(keepDims: true)),
    Stack(axis: -1), Split(axis: 2, parts: .sizes([1, -1, 2])), Split(axis: -1, parts: .count(3)),
    StridedSlice(key: [.range(start: nil, stop: nil, step: nil), .index(-1), .newAxis, .ellipsis]),
    StridedSlice(key: [.ellipsis, .range(start: 4, stop: 0, step: -2), .range(start: -3, stop: nil, step: nil)]),
    MatMul(transposeA: true), MatMul(transposeB: true, constant: [1, 2, 3, 4, 5, 6], constantShape: [3, 2]),
  ]
  return kinds.map(SampleKind.init)
}

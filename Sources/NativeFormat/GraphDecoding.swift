import KerasGraph

/// Reads the native graph description back into a `Graph`, attaching the weights from the mapped file, and checks
/// everything the importer guarantees about a graph (values in range, connections that exist and form no cycle,
/// output shapes that follow from the operations, weights of the shapes the operations need), so that a hostile
/// file ends in a `NativeFormatError` rather than in a crash later.
struct GraphDecoder {
  let file: String
  let registry: LayerRegistry
  /// The file's tensors by name.
  let tensors: [String: NativeTensorInfo]
  /// The mapped file and the offset of its data section.
  let storage: MappedFile
  let dataStart: Int
  /// The description's `format_version`: version 1 wrote a few fields under other names (`axes`), so only files
  /// of version 2 and later must hold every field their kind writes.
  var formatVersion = NativeModelFile.formatVersion

  /// The deepest nesting of models accepted.
  static let maximumModelDepth = 32
  /// The largest dimension of a shape (as the importer's limit on inferred shapes).
  static let maximumDimension = 1 << 30
  /// The largest number of elements per sample of a shape.
  static let maximumElements = 1 << 40

  // MARK: Typed field access

  private func failure(_ path: String, _ detail: String) -> NativeFormatError {
    .invalidGraph(file: file, path: path, detail: detail)
  }

  private func members(_ node: JSONValue, _ path: String) throws(NativeFormatError) -> [JSONMember] {
    guard case .object(let object) = node else { throw failure(path, "expected an object, found \(node.kind)") }
    return object.members
  }

  private func field(_ node: JSONValue, _ key: String, _ path: String) throws(NativeFormatError) -> JSONValue {
    guard case .object = node else { throw failure(path, "expected an object, found \(node.kind)") }
    guard let value = node[key] else { throw failure(path + "." + key, "missing") }
    return value
  }

  private func list(_ node: JSONValue, _ path: String) throws(NativeFormatError) -> [JSONValue] {
    guard case .array(let elements) = node else { throw failure(path, "expected a list, found \(node.kind)") }
    return elements
  }

  private func string(_ node: JSONValue, _ path: String) throws(NativeFormatError) -> String {
    guard case .string(let text) = node else { throw failure(path, "expected a string, found \(node.kind)") }
    return text
  }

  private func bool(_ node: JSONValue, _ path: String) throws(NativeFormatError) -> Bool {
    guard case .bool(let flag) = node else { throw failure(path, "expected true or false, found \(node.kind)") }
    return flag
  }

  private func int(_ node: JSONValue, _ path: String, in range: ClosedRange<Int>) throws(NativeFormatError) -> Int {
    guard case .number(let number) = node, let value = Int(number.text), range.contains(value) else {
      throw failure(path, "expected an integer in \(range.lowerBound)...\(range.upperBound), found \(node.kind)")
    }
    return value
  }

  private func shape(_ node: JSONValue, _ path: String) throws(NativeFormatError) -> TensorShape {
    let elements = try list(node, path)
    guard (1...NativeFormatLimits.maximumRank).contains(elements.count) else {
      throw failure(
        path, "a shape has 1 to \(NativeFormatLimits.maximumRank) dimensions (batch first), found \(elements.count)")
    }
    var dimensions: [Int?] = []
    var elementsPerSample = 1
    for (position, element) in elements.enumerated() {
      if case .null = element {
        dimensions.append(nil)
        continue
      }
      let size = try int(element, "\(path)[\(position)]", in: 1...GraphDecoder.maximumDimension)
      dimensions.append(size)
      if position > 0 {
        let (product, overflow) = elementsPerSample.multipliedReportingOverflow(by: size)
        guard !overflow, product <= GraphDecoder.maximumElements else {
          throw failure(path, "a shape of more than \(GraphDecoder.maximumElements) elements per sample")
        }
        elementsPerSample = product
      }
    }
    return TensorShape(dimensions)
  }

  private func source(_ node: JSONValue, _ path: String) throws(NativeFormatError) -> TensorSource {
    let fields = try members(node, path)
    let limit = Int(Int32.max)
    if let input = node["input"], fields.count == 1 {
      return .graphInput(try int(input, path + ".input", in: 0...limit))
    }
    let callNode = try int(try field(node, "node", path), path + ".node", in: 0...limit)
    let tensor = try int(try field(node, "tensor", path), path + ".tensor", in: 0...limit)
    if let layer = node["layer"] {
      return .layerOutput(layer: try int(layer, path + ".layer", in: 0...limit), node: callNode, tensor: tensor)
    }
    if let operation = node["operation"] {
      return .operationOutput(
        operation: try int(operation, path + ".operation", in: 0...limit), node: callNode, tensor: tensor)
    }
    throw failure(
      path, "expected {\"input\"}, {\"layer\", \"node\", \"tensor\"} or {\"operation\", \"node\", \"tensor\"}")
  }

  // MARK: Graphs

  /// The graph of a description root `{"format_version": 1, "model": {...}}`.
  func decodeRoot(_ root: JSONValue) throws(NativeFormatError) -> Graph {
    guard case .object = root else { throw failure("", "the graph description must be an object, found \(root.kind)") }
    guard case .number(let number)? = root["format_version"], let version = Int(number.text) else {
      throw failure("format_version", "missing or not an integer")
    }
    guard version <= NativeModelFile.formatVersion else {
      throw .unsupportedFormatVersion(file: file, found: version, supported: NativeModelFile.formatVersion)
    }
    guard version >= 1 else { throw failure("format_version", "expected 1 or more, found \(version)") }
    var decoder = self
    decoder.formatVersion = version
    return try decoder.decodeGraph(try field(root, "model", ""), path: "model", layerPrefix: "", depth: 0)
  }

  /// A layer whose weights are still references to tensors.
  private struct PendingLayer {
    var layer: Layer
    var weights: [(name: String, tensor: String)]
    var path: String
  }

  private func decodeGraph(_ node: JSONValue, path: String, layerPrefix: String, depth: Int)
    throws(NativeFormatError) -> Graph
  {
    guard depth < GraphDecoder.maximumModelDepth else {
      throw failure(path, "models nested more than \(GraphDecoder.maximumModelDepth) deep")
    }
    let name = try string(try field(node, "name", path), path + ".name")
    let kindName = try string(try field(node, "kind", path), path + ".kind")
    guard let kind = ModelKind(rawValue: kindName) else {
      throw failure(path + ".kind", "expected Functional or Sequential, found '\(kindName)'")
    }
    var inputs: [GraphInput] = []
    for (position, entry) in try list(try field(node, "inputs", path), path + ".inputs").enumerated() {
      let entryPath = "\(path).inputs[\(position)]"
      let layerNode = try field(entry, "layer", entryPath)
      let layerIndex: Int?
      if case .null = layerNode {
        layerIndex = nil
      } else {
        layerIndex = try int(layerNode, entryPath + ".layer", in: 0...Int(Int32.max))
      }
      inputs.append(
        GraphInput(
          name: try string(try field(entry, "name", entryPath), entryPath + ".name"),
          shape: try shape(try field(entry, "shape", entryPath), entryPath + ".shape"), layerIndex: layerIndex))
    }
    var outputs: [TensorSource] = []
    for (position, entry) in try list(try field(node, "outputs", path), path + ".outputs").enumerated() {
      outputs.append(try source(entry, "\(path).outputs[\(position)]"))
    }
    var layers: [PendingLayer] = []
    for (position, entry) in try list(try field(node, "layers", path), path + ".layers").enumerated() {
      layers.append(
        try decodeLayer(
          entry, path: "\(path).layers[\(position)]", position: position, layerPrefix: layerPrefix, depth: depth))
    }
    var operations: [PendingLayer] = []
    for (position, entry) in try list(try field(node, "operations", path), path + ".operations").enumerated() {
      operations.append(
        try decodeLayer(
          entry, path: "\(path).operations[\(position)]", position: position, layerPrefix: layerPrefix, depth: depth))
    }
    var graph = Graph(
      name: name, kind: kind, layers: layers.map(\.layer), inputs: inputs, outputs: outputs,
      operations: operations.map(\.layer))
    try validate(graph, layerPrefix: layerPrefix)
    for index in layers.indices {
      graph.layers[index].weights = try attachWeights(layers[index], graph: graph)
    }
    for index in operations.indices {
      graph.operations[index].weights = try attachWeights(operations[index], graph: graph)
    }
    return graph
  }

  private func decodeLayer(_ node: JSONValue, path: String, position: Int, layerPrefix: String, depth: Int)
    throws(NativeFormatError) -> PendingLayer
  {
    let index = try int(try field(node, "index", path), path + ".index", in: position...position)
    let name = try string(try field(node, "name", path), path + ".name")
    let className = try string(try field(node, "class_name", path), path + ".class_name")
    let trainable = try bool(try field(node, "trainable", path), path + ".trainable")
    let config = node["keras_config"] ?? .object([:])
    let layerPath = layerPrefix + name
    let (kind, activation) = try decodeKind(
      try field(node, "op", path), path: path + ".op", layerPath: layerPath, depth: depth)
    var weights: [(name: String, tensor: String)] = []
    for (position, entry) in try list(try field(node, "weights", path), path + ".weights").enumerated() {
      let entryPath = "\(path).weights[\(position)]"
      weights.append(
        (
          try string(try field(entry, "name", entryPath), entryPath + ".name"),
          try string(try field(entry, "tensor", entryPath), entryPath + ".tensor")
        ))
    }
    var nodes: [Node] = []
    for (position, entry) in try list(try field(node, "nodes", path), path + ".nodes").enumerated() {
      let entryPath = "\(path).nodes[\(position)]"
      var sources: [TensorSource] = []
      for (slot, input) in try list(try field(entry, "inputs", entryPath), entryPath + ".inputs").enumerated() {
        sources.append(try source(input, "\(entryPath).inputs[\(slot)]"))
      }
      var shapes: [TensorShape] = []
      for (slot, shapeNode) in try list(try field(entry, "output_shapes", entryPath), entryPath + ".output_shapes")
        .enumerated()
      {
        shapes.append(try shape(shapeNode, "\(entryPath).output_shapes[\(slot)]"))
      }
      nodes.append(
        Node(inputs: sources, outputShapes: shapes, arguments: entry["arguments"] ?? .object([:])))
    }
    guard !nodes.isEmpty else { throw failure(path + ".nodes", "a layer has at least one call") }
    let layer = Layer(
      index: index, name: name, className: className, config: config, kind: kind, activation: activation, nodes: nodes,
      trainable: trainable)
    return PendingLayer(layer: layer, weights: weights, path: layerPath)
  }

  // MARK: Layer kinds

  /// The layer's kind from its `op` object, through the same Codable config decoding the Keras readers use, and
  /// the `activation` of kinds that have one.
  private func decodeKind(_ node: JSONValue, path: String, layerPath: String, depth: Int)
    throws(NativeFormatError) -> (kind: any LayerKind, activation: ActivationFunction?)
  {
    let name = try string(try field(node, "op", path), path + ".op")
    if name == "model" {
      let graph = try decodeGraph(
        try field(node, "graph", path), path: path + ".graph", layerPrefix: layerPath + "/", depth: depth + 1)
      return (NestedModel(graph: graph), nil)
    }
    if name == "custom" {
      let className = try string(try field(node, "class_name", path), path + ".class_name")
      guard registry.factory(for: className) != nil else {
        throw .customLayerNotRegistered(file: file, layer: layerPath, className: className)
      }
    }
    let context = LayerDecodingContext(file: file, source: .native, registry: registry)
    do {
      let decoded = try LayerKinds.decodeNative(operation: node, context: context)
      if formatVersion >= 2 {
        // Every field the kind writes must be there: a damaged file does not fall back to Keras's defaults.
        let written = try LayerKinds.encodeNative(decoded.kind, activation: decoded.activation)
        for key in written.object?.keys ?? [] where node[key] == nil {
          throw failure(path + "." + key, "missing")
        }
      }
      return (decoded.kind, decoded.activation)
    } catch let error as LayerDecodingFailure {
      throw failure(path + ".op", "unknown operation '\(name)' (\(error))")
    } catch let error as LayerConfigError {
      throw failure(path + "." + error.field, error.detail)
    } catch let error as DecodingError {
      let (field, detail) = error.fieldAndDetail
      throw failure(path + "." + field, detail)
    } catch let error as NativeFormatError {
      throw error
    } catch {
      throw .inconsistentGraph(file: file, layer: layerPath, detail: "\(error)")
    }
  }

  // MARK: Validation

  /// The one graph validation every reader runs (`Graph.validate`), its errors naming this file. Nested graphs
  /// were validated as they were decoded, before their weights were attached.
  private func validate(_ graph: Graph, layerPrefix: String) throws(NativeFormatError) {
    do {
      try graph.validate(pathPrefix: layerPrefix, includingNested: false)
    } catch {
      throw .inconsistentGraph(file: file, layer: error.layer, detail: error.detail)
    }
  }

  // MARK: Weights

  private func attachWeights(_ pending: PendingLayer, graph: Graph) throws(NativeFormatError)
    -> [Weight]
  {
    let layer = pending.layer
    if layer.nestedGraph != nil {
      guard pending.weights.isEmpty else {
        throw .inconsistentGraph(
          file: file, layer: pending.path, detail: "a nested model holds no weights itself (its layers hold them)")
      }
      return []
    }
    let inputShapes = layer.nodes[0].inputs.compactMap { graph.shape(of: $0) }
    let expected: [WeightSpecification]
    do {
      expected = try layer.kind.expectedWeights(inputShapes: inputShapes)
    } catch {
      throw .inconsistentGraph(file: file, layer: pending.path, detail: "\(error)")
    }
    guard expected.map(\.name) == pending.weights.map(\.name) else {
      throw .inconsistentGraph(
        file: file, layer: pending.path,
        detail:
          "the operation needs the weights \(expected.map(\.name)), but the graph lists \(pending.weights.map(\.name))")
    }
    var weights: [Weight] = []
    weights.reserveCapacity(expected.count)
    for (specification, reference) in zip(expected, pending.weights) {
      guard let tensor = tensors[reference.tensor] else {
        throw .missingTensor(file: file, layer: pending.path, tensor: reference.tensor)
      }
      let fits =
        tensor.shape == specification.shape || (specification.shape.isEmpty && tensor.elementCount == 1)
      guard fits else {
        throw .inconsistentGraph(
          file: file, layer: pending.path,
          detail:
            "weight '\(specification.name)' (tensor '\(tensor.name)') has shape \(tensor.shape), "
            + "but the operation needs \(specification.shape)"
        )
      }
      weights.append(Weight(name: specification.name, shape: specification.shape, values: values(of: tensor)))
    }
    return weights
  }

  /// The tensor's elements as Float32: the mapped bytes themselves for an aligned little-endian F32 tensor,
  /// otherwise a converted copy.
  private func values(of tensor: NativeTensorInfo) -> FloatBuffer {
    let count = tensor.elementCount
    // The header check guarantees that the range lies inside the mapped file.
    let start = dataStart + tensor.dataOffsets.lowerBound
    guard count > 0, let base = storage.bytes.baseAddress else { return FloatBuffer([]) }
    let raw = base + start
    switch tensor.dtype {
    case .float32:
      #if _endian(little)
        if Int(bitPattern: raw) % MemoryLayout<Float>.alignment == 0 {
          return FloatBuffer(borrowing: raw.bindMemory(to: Float.self, capacity: count), count: count, owner: storage)
        }
      #endif
      return FloatBuffer(
        (0..<count).map {
          Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
        })
    case .float16:
      return FloatBuffer(
        (0..<count).map {
          HalfPrecision.float(
            halfBits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))
        })
    case .bfloat16:
      return FloatBuffer(
        (0..<count).map {
          HalfPrecision.float(
            bfloat16Bits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))
        })
    }
  }
}

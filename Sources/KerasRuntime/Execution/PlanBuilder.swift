import CDNNL
import KerasGraph

/// Lowers a `Graph` to an `ExecutionPlan` for concrete input shapes: inlines nested models, drops layers no
/// requested tensor depends on, folds inference BatchNormalization into the preceding convolution and fuses
/// activations where no caller asked for the unfused tensor, and lets oneDNN choose memory layouts.
final class PlanBuilder {
  let engine: dnnl_engine_t
  let stream: DNNLStream
  /// Whether backward passes will run (primitives are created for training-mode forward passes, and
  /// activations whose gradient needs their input are not fused).
  let gradients: Bool
  /// Whether backward passes may differentiate with respect to the model inputs (otherwise only kept layers).
  let inputGradients: Bool
  /// The convolutions' arithmetic.
  let precision: ConvolutionPrecision
  /// Where prepared weights are shared with the compiled model's other plans.
  let weightStore: WeightStore
  /// Convolutions that must sum directly, as TensorFlow does: those whose outputs decide, by comparison, where a
  /// backward pass routes gradients (see `comparisonSources`).
  private(set) var directConvolutionCalls: Set<Int> = []
  var values: [PlanValue] = []
  var steps: [Step] = []
  /// The mask value `(N, T)` of each masked value (see `propagateMasks`; `ambiguousMask` where tf.keras and
  /// Keras 3 would differ).
  var masks: [Int: Int] = [:]
  /// Embedding `mask_zero` masks by the token value they read (Embeddings of the same tokens share one).
  var tokenMasks: [Int: Int] = [:]
  /// Layer outputs replaced by inputs of the plan (see `CompiledModel.substitutes`), with their values.
  private var substituteValues: [FlatTensor: Int] = [:]
  private var conversions: [Int: [(desc: MemoryDesc, id: Int)]] = [:]

  private let flat: FlatGraph
  private var valueOf: [FlatTensor: Int] = [:]
  private var consumers: [FlatTensor: [Int]] = [:]
  private var external: Set<FlatTensor> = []
  private var fused: Set<Int> = []
  /// Zero paddings folded into the convolution that alone reads them: the convolution's call and the edges it
  /// adds to its own padding.
  private(set) var foldedPaddings: [Int: Edges] = [:]
  /// Set while a channels_first layer's channels-last computation is lowered (`lowerChannelsFirst`): its output is
  /// transposed before anything reads it, so nothing after it may be fused into it.
  var fusionSuspended = false

  private init(
    flat: FlatGraph, gradients: Bool, inputGradients: Bool, precision: ConvolutionPrecision, weightStore: WeightStore
  ) throws {
    let shared = try DNNLEngine.shared()
    engine = shared.engine
    stream = try shared.makeStream()
    self.flat = flat
    self.gradients = gradients
    self.inputGradients = inputGradients
    self.precision = precision
    self.weightStore = weightStore
  }

  /// Builds the plan for `graph` with inputs of `inputShapes` (batch included), keeping the outputs of the
  /// layers in `keep` readable; `inputGradients: false` promises that backward passes only target kept layers.
  static func build(
    graph: Graph, inputShapes: [[Int]], keep: [LayerOutputKey], gradients: Bool, inputGradients: Bool = true,
    precision: ConvolutionPrecision = .float32, substitutes: [LayerOutputKey] = [],
    weightStore: WeightStore = WeightStore()
  ) throws
    -> ExecutionPlan
  {
    guard inputShapes.count == graph.inputs.count + substitutes.count else {
      let extra = substitutes.isEmpty ? "" : " and \(substitutes.count) substituted layer outputs"
      throw TensorError.invalidInput(
        detail: "the model takes \(graph.inputs.count) inputs\(extra), got \(inputShapes.count)")
    }
    for (shape, input) in zip(inputShapes, graph.inputs) {
      let expected = input.shape.dimensions
      let fits = shape.count == expected.count && zip(shape, expected).dropFirst().allSatisfy { $1 == nil || $0 == $1 }
      guard fits, shape.allSatisfy({ $0 > 0 }) else {
        throw TensorError.invalidInput(
          detail: "input '\(input.name)' has shape \(shape); the model takes \(input.shape) (batch first)")
      }
    }
    let builder = try PlanBuilder(
      flat: try FlatGraph(graph), gradients: gradients, inputGradients: inputGradients, precision: precision,
      weightStore: weightStore)
    return try builder.lower(
      inputShapes: Array(inputShapes.prefix(graph.inputs.count)), keep: keep, substitutes: substitutes,
      substituteShapes: Array(inputShapes.dropFirst(graph.inputs.count)))
  }

  private func lower(
    inputShapes: [[Int]], keep: [LayerOutputKey], substitutes: [LayerOutputKey] = [], substituteShapes: [[Int]] = []
  ) throws -> ExecutionPlan {
    var substituted: [FlatTensor] = []
    for key in substitutes {
      guard let tensors = flat.layerOutputs[key.address], tensors.indices.contains(key.tensor) else {
        throw TensorError.unknownTap(detail: "\(key) is not a layer output of the model (to substitute)")
      }
      substituted.append(tensors[key.tensor])
    }
    var tapTensors: [LayerOutputKey: FlatTensor] = [:]
    for key in keep {
      guard let tensors = flat.layerOutputs[key.address] else {
        throw TensorError.unknownTap(detail: "\(key) is not a layer of the model")
      }
      guard tensors.indices.contains(key.tensor) else {
        throw TensorError.unknownTap(detail: "\(key): the layer has \(tensors.count) outputs")
      }
      tapTensors[key] = tensors[key.tensor]
    }
    external = Set(flat.outputs).union(tapTensors.values).union(substituted)
    // Keep only the calls some requested tensor depends on.
    var needed = Set<Int>()
    var pending = Array(external)
    while let tensor = pending.popLast() {
      guard case .call(let call, _) = tensor, !needed.contains(call) else { continue }
      needed.insert(call)
      pending.append(contentsOf: flat.calls[call].inputs)
    }
    for call in needed.sorted() {
      for input in flat.calls[call].inputs { consumers[input, default: []].append(call) }
    }
    if gradients {
      let targets = Set(tapTensors.values).union(inputGradients ? inputShapes.indices.map { .modelInput($0) } : [])
      directConvolutionCalls = comparisonSources(needed: needed, targets: targets)
    }
    let inputValues = try inputShapes.enumerated().map { position, shape in
      let id = try newValue(shape: shape, desc: try Desc.plain(keras: shape), label: "model input \(position)")
      valueOf[.modelInput(position)] = id
      return id
    }
    let substituteInputs = try zip(substituted, substituteShapes).enumerated().map { position, entry in
      let id = try newValue(
        shape: entry.1, desc: try Desc.plain(keras: entry.1), label: "substituted \(substitutes[position])")
      substituteValues[entry.0] = id
      return id
    }
    for call in needed.sorted() where !fused.contains(call) {
      let results = try lower(call: call)
      for (position, id) in results.enumerated() { valueOf[.call(call, tensor: position)] = id }
    }
    func value(_ tensor: FlatTensor) throws -> Int {
      if let id = substituteValues[tensor] { return id }
      guard let id = valueOf[tensor] else {
        throw TensorError.unknownTap(detail: "internal: no value for \(tensor)")
      }
      return id
    }
    let outputValues = try flat.outputs.map(value)
    let taps = try tapTensors.mapValues(value)
    try bindBuffers(pinned: Set(inputValues + substituteInputs + outputValues + taps.values))
    return ExecutionPlan(
      engine: engine, stream: stream, values: values, steps: steps, inputValues: inputValues + substituteInputs,
      outputValues: outputValues, taps: taps, supportsGradients: gradients, weightStore: weightStore)
  }

  /// Gives every value its buffer. A forward-only plan shares buffers between values whose lifetimes (from the step
  /// that writes them to the last step that reads them) do not overlap, best fit first, so that a deep model holds a
  /// few activations at a time instead of all of them; `pinned` values (the plan's inputs, outputs and kept layers)
  /// and those already holding data (constants) keep their own. A plan with backward passes keeps every value: the
  /// backward pass reads them.
  private func bindBuffers(pinned: Set<Int>) throws {
    defer { values.forEach { try? $0.bindOwn() } }
    guard !gradients else { return }
    var lastUse = [Int](repeating: -1, count: values.count)
    for (index, step) in steps.enumerated() {
      for id in step.inputs + step.outputs { lastUse[id] = index }
    }
    var free: [AlignedBuffer] = []
    for (index, step) in steps.enumerated() {
      if !(step is ConvolutionStep || step is InnerProductStep || step is PoolingStep || step is EltwiseStep
        || step is SoftmaxStep || step is ReorderStep || step is ConcatStep || step is EinsumStep)
      {
        step.zeroesSharedOutputs = true
      }
      for id in step.outputs where !pinned.contains(id) && !values[id].isBound {
        let bytes = values[id].byteCount
        let fit = free.indices.filter { free[$0].byteCount >= bytes }.min { free[$0].byteCount < free[$1].byteCount }
        try values[id].bind(shared: fit.map { free.remove(at: $0) } ?? AlignedBuffer(byteCount: bytes))
      }
      for id in Set(step.inputs + step.outputs) where lastUse[id] == index && values[id].isShared {
        free.append(values[id].buffer)
      }
    }
  }

  // MARK: Values

  func newValue(shape: [Int], desc: MemoryDesc, label: String) throws -> Int {
    _ = try Tensor.elementCount(of: shape)
    values.append(try PlanValue(shape: shape, desc: desc, label: label, engine: engine))
    return values.count - 1
  }

  /// Value `id` in layout `desc`: itself, or a reordered copy (made once and shared).
  func converted(_ id: Int, to desc: MemoryDesc, label: String) throws -> Int {
    if Desc.equal(values[id].desc, desc) { return id }
    if let existing = conversions[id]?.first(where: { Desc.equal($0.desc, desc) }) { return existing.id }
    let copy = try newValue(shape: values[id].shape, desc: desc, label: label + " (reordered input)")
    steps.append(try ReorderStep(label: label, input: id, output: copy, plan: self))
    conversions[id, default: []].append((desc, copy))
    return copy
  }

  /// Value `id` in Keras's row-major layout.
  func plain(_ id: Int, label: String) throws -> Int {
    try converted(id, to: try Desc.plain(keras: values[id].shape), label: label)
  }

  /// Reorders constant data (weights) into `destination` layout now.
  func reordered(_ buffer: AlignedBuffer, from source: MemoryDesc, to destination: MemoryDesc) throws
    -> (buffer: AlignedBuffer, memory: DNNLMemory)
  {
    let target = AlignedBuffer(byteCount: Desc.byteSize(destination))
    let targetMemory = try DNNLMemory(desc: destination, engine: engine, pointer: target.pointer)
    let sourceMemory = try DNNLMemory(desc: source, engine: engine, pointer: buffer.pointer)
    try makeReorder(from: source, to: destination, engine: engine).execute(
      stream, [(DNNL_ARG_FROM, sourceMemory), (DNNL_ARG_TO, targetMemory)])
    try stream.wait()
    return (target, targetMemory)
  }

  /// Step `label`'s weights `values` (laid out as `source`) in `destination` layout, prepared once per compiled
  /// model and shared by its plans (the values are those of the same call of the same graph in every plan).
  func sharedWeights(_ values: [Float], label: String, from source: MemoryDesc, to destination: MemoryDesc) throws
    -> (buffer: AlignedBuffer, memory: DNNLMemory)
  {
    let fingerprint = values.withUnsafeBufferPointer(WeightStore.fingerprint)
    let key = WeightStore.Key(label: label, role: "forward", desc: destination, fingerprint: fingerprint)
    let buffer = try weightStore.buffer(for: key) {
      try reordered(AlignedBuffer(copying: values), from: source, to: destination).buffer
    }
    return (buffer, try DNNLMemory(desc: destination, engine: engine, pointer: buffer.pointer))
  }

  /// Step `label`'s weights `values` in their user layout `desc`, shared by the compiled model's plans (kept for
  /// backward passes, which reorder them into the layouts their primitives choose).
  func sharedUserWeights(_ values: [Float], label: String, desc: MemoryDesc) -> AlignedBuffer {
    let fingerprint = values.withUnsafeBufferPointer(WeightStore.fingerprint)
    return weightStore.buffer(for: WeightStore.Key(label: label, role: "user", desc: desc, fingerprint: fingerprint)) {
      AlignedBuffer(copying: values)
    }
  }

  // MARK: Fusion

  /// The only call that reads `tensor`, when exactly one does and no caller asked for the tensor itself.
  func soleConsumer(of tensor: FlatTensor) -> Int? {
    guard !external.contains(tensor), let readers = consumers[tensor], readers.count == 1,
      flat.calls[readers[0]].inputs.count == 1
    else { return nil }
    return readers[0]
  }

  /// The call (and its activation) that can be fused after call `call`'s output, marking it fused.
  func fusableActivation(after call: Int) -> (call: Int, activation: DNNLActivation)? {
    guard !fusionSuspended, let next = soleConsumer(of: .call(call, tensor: 0)),
      let activation = dnnlActivation(of: flat.calls[next].layer.kind)
    else { return nil }
    if gradients && activation.gradientFromOutput == nil { return nil }
    fused.insert(next)
    return (next, activation)
  }

  /// The inference BatchNormalization reading call `call`'s output alone, if one can be folded into it.
  func foldableBatchNormalization(after call: Int, channels: Int) -> (call: Int, scale: [Float], shift: [Float])? {
    guard !fusionSuspended, let next = soleConsumer(of: .call(call, tensor: 0)),
      let norm = flat.calls[next].layer.kind as? BatchNormalization,
      (try? norm.normalizedAxis(rank: flat.calls[call].layer.nodes[flat.calls[call].node].outputShapes[0].rank))
        == flat.calls[call].layer.nodes[flat.calls[call].node].outputShapes[0].rank - 1,
      let (scale, shift) = try? batchNormalizationAffine(flat.calls[next].layer, norm, channels: channels)
    else { return nil }
    fused.insert(next)
    return (next, scale, shift)
  }

  /// The convolution that alone reads call `call`'s output (a zero padding's), when it can take the padding into
  /// its own: a convolution or depthwise convolution of the same rank (their windows pad with zeros too), recorded
  /// so that it does.
  func foldablePaddingConsumer(of call: Int, edges: Edges) -> Int? {
    guard !fusionSuspended, let next = soleConsumer(of: .call(call, tensor: 0)) else { return nil }
    let kind = flat.calls[next].layer.kind
    let window = (kind as? any ConvolutionKind)?.window ?? (kind as? any DepthwiseConvolutionKind)?.window
    guard let window, window.rank == edges.rank else { return nil }
    foldedPaddings[next] = edges
    return next
  }

  /// Maps the outputs of fused calls to the value that now holds them.
  func assign(_ id: Int, toFused call: Int) {
    valueOf[.call(call, tensor: 0)] = id
  }

  // MARK: Lowering

  /// The calls (among `needed`) upstream of a comparison that a backward pass to one of `targets` runs through:
  /// max pooling, global max pooling, Maximum and Minimum route each gradient to the winning input, ties to the
  /// first. Where TensorFlow's direct sums produce exact ties (a uniform image region, a constant baseline), a
  /// differently rounded sum would break them at random and move gradients, so these calls' convolutions stay
  /// direct; the rest may use Winograd's kernels.
  private func comparisonSources(needed: Set<Int>, targets: Set<FlatTensor>) -> Set<Int> {
    var downstream = Set<Int>()
    var comparisons: [Int] = []
    for call in needed.sorted() {
      let inputs = flat.calls[call].inputs
      let reached = inputs.contains { tensor in
        if targets.contains(tensor) { return true }
        if case .call(let producer, _) = tensor { return downstream.contains(producer) }
        return false
      }
      guard reached else { continue }
      downstream.insert(call)
      let layerKind = flat.calls[call].layer.kind
      let kind = (layerKind as? ChannelsFirst)?.inner ?? layerKind
      let merge = (kind as? Merge)?.operation
      let pooling = (kind as? any PoolingKind).map { type(of: $0).takesMaximum } ?? false
      let globalPooling = (kind as? any GlobalPoolingKind).map { type(of: $0).takesMaximum } ?? false
      if pooling || globalPooling || merge == .maximum || merge == .minimum {
        comparisons.append(call)
      }
    }
    var upstream = Set<Int>()
    var pending = comparisons
    while let call = pending.popLast() {
      for case .call(let producer, _) in flat.calls[call].inputs where !upstream.contains(producer) {
        upstream.insert(producer)
        pending.append(producer)
      }
    }
    return upstream
  }

  private func lower(call index: Int) throws -> [Int] {
    let call = flat.calls[index]
    let inputs = try call.inputs.map { tensor -> Int in
      guard let id = valueOf[tensor] else {
        throw TensorError.unsupportedLayer(layer: call.location, detail: "its input \(tensor) was not computed")
      }
      guard let substitute = substituteValues[tensor] else { return id }
      // A substituted tensor: the plan's input of that shape replaces it, and carries its mask.
      guard values[substitute].shape == values[id].shape else {
        throw TensorError.invalidInput(
          detail:
            "the substitute for \(call.location)'s input has shape \(values[substitute].shape), not \(values[id].shape)"
        )
      }
      if let mask = masks[id] { masks[substitute] = mask }
      return substitute
    }
    var inputShapes = inputs.map { values[$0].shape }
    if let folded = foldedPaddings[index], inputShapes.first?.count == folded.rank + 2 {
      // The convolution reads the tensor before its folded zero padding; its shape rule sees the padded one.
      for axis in 0..<folded.rank { inputShapes[0][axis + 1] += folded.before[axis] + folded.after[axis] }
    }
    let outputShapes: [[Int]]
    do {
      // Every layer keeps the batch size; shape inference may leave it unknown.
      let batch = inputShapes.first?.first
      outputShapes = try call.layer.kind.outputShapes(inputs: inputShapes.map { TensorShape($0) }).map { shape in
        try shape.dimensions.enumerated().map { axis, dimension in
          if axis == 0, let batch { return batch }
          guard let dimension else { throw ShapeProblem(detail: "an output dimension is unknown for \(inputShapes)") }
          return dimension
        }
      }
    } catch let problem as ShapeProblem {
      throw TensorError.unsupportedLayer(layer: call.location, detail: "input shapes \(inputShapes): \(problem.detail)")
    }
    let results = try lowerLayer(index, call: call, inputs: inputs, outputShapes: outputShapes)
    try propagateMasks(call: call, inputs: inputs, outputs: results)
    return results
  }
}

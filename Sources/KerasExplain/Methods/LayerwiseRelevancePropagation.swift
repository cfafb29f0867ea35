import Foundation
import KerasGraph
import KerasRuntime

/// Layer-wise Relevance Propagation (Bach et al. 2015, "On Pixel-Wise Explanations for Non-Linear Classifier
/// Decisions by Layer-Wise Relevance Propagation", PLoS ONE 10(7): e0130140; Montavon et al., "Layer-Wise Relevance
/// Propagation: An Overview", 2019) and Deep Taylor decomposition (Montavon et al. 2017, Pattern Recognition
/// 65:211-222, arXiv 1512.02479), computed as zennit (chr-peters/zennit 0.5) computes them.
///
/// The target's score is the start: `R = seed * y` at the scored tensor `y` (zennit's `one-hot * output`; the
/// score's gradient `seed` is one-hot for a class), with `y` the logits under `--score logit`. The relevance then
/// walks back through the model one layer call at a time (nested models inlined): each linear layer by its rule
/// (`LRPComposite`, BatchNormalization right after a Dense or convolution merged into it first, as zennit's
/// `SequentialMergeBatchNorm`), the other layers as `LRPComposite` says. Each layer's computations run on a
/// single-layer model of it (its weights changed as the rule says), so every layer kind kerasvis runs has its
/// vector-Jacobian product.
///
/// `Explanation.attributions` is the relevance of the input `(N, H, W, C)`; `maps` is its sum over channels,
/// scaled to 0...1 per sample as `(r - min) / (max - min + 1e-7)` (positive relevance high).
public struct LayerwiseRelevancePropagation: ExplanationMethod {
  /// The name `saliency --method` accepts (`lrp-epsilon`, `deep-taylor`).
  public var name: String
  /// The rule of every layer.
  public var composite: LRPComposite

  /// LRP explains from the input, through no feature-map layer.
  public var usesLayer: Bool { false }

  /// LRP with `composite`'s rules, called `name`.
  public init(name: String = "lrp", composite: LRPComposite) {
    self.name = name
    self.composite = composite
  }

  /// The relevance of `request`'s input and its map (see the type's summary).
  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    let relevance = try attributions(request, with: explainer)
    let count = relevance.attributions.shape[0]
    let channels = relevance.attributions.shape.last ?? 1
    let values = relevance.attributions.scalars
    let perSample = values.count / max(count * channels, 1)
    var maps: [Float] = []
    maps.reserveCapacity(count * perSample)
    for sample in 0..<count {
      let map = (0..<perSample).map { p in
        (0..<channels).reduce(Float(0)) { $0 + values[(sample * perSample + p) * channels + $1] }
      }
      maps += minMaxNormalized(map)
    }
    return Explanation(
      maps: try Tensor(shape: Array(relevance.attributions.shape.dropLast()), values: maps),
      attributions: relevance.attributions, targets: relevance.targets, scores: relevance.scores)
  }

  /// The relevance of every input value `(N, H, W, C)`, with the resolved targets and their scores.
  /// - Throws: `KerasVisError` for a bad target or input; `TensorError` naming a layer the runtime cannot
  ///   differentiate.
  public func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  {
    try explainer.requireChannelsLastInput(name, work: "propagates relevance to one channels-last input")
    let pass = try explainer.targetedPass(
      input: request.input, targets: request.targets, defaultScore: request.defaultScore,
      defaultOutput: request.defaultOutput)
    let (reading, source) = try explainer.outputReading(for: pass.targets)
    var graph = explainer.graph
    if let linear = reading.linearLayer { graph = try graph.replacingActivation(ofLayerAt: linear, with: .linear) }
    let flat = try FlatGraph(graph)
    let location = try explainer.location(of: source)
    var start: [Float] = []
    for sample in 0..<pass.input.shape[0] {
      let read = try pass.outputs.sample(sample).reshaped(Array(pass.outputs.shape.dropFirst()))
      let (_, seed) = try pass.targets[sample].evaluate(read, layer: location)
      start += zip(read.scalars, seed.scalars).map(*)
    }
    let scored: FlatTensor?
    switch source {
    case .output(let index): scored = flat.outputs.indices.contains(index) ? flat.outputs[index] : nil
    case .layer(let address): scored = flat.layerOutputs[address]?.first
    }
    guard let scored else { throw KerasVisError.invalidArgument("LRP: no tensor of the model is \(location)") }
    var walk = RelevanceWalk(flat: flat, composite: composite, precision: explainer.precision)
    try walk.forward(pass.input)
    try walk.backward(from: scored, relevance: try Tensor(shape: pass.outputs.shape, values: start))
    let relevance = try walk.relevance[.modelInput(0)] ?? Tensor(zeros: pass.input.shape)
    return (relevance, pass.targets, pass.scores)
  }
}

/// How one layer call passes relevance back.
enum RelevanceHandling {
  /// A linear layer with a rule (`dense` or not), merged with a following BatchNormalization when `merged`.
  case linear(dense: Bool)
  /// A separable convolution: its depthwise and pointwise parts, each a convolution.
  case separable
  /// Relevance passes unchanged (element-wise activations but softmax, BatchNormalization left unmerged): zennit's
  /// `Pass`.
  case pass
  /// `R_in = x * VJP(R / stab(z))` (Add, average pooling): zennit's `Norm`.
  case normalized
  /// The plain vector-Jacobian product (max pooling, concatenation, reshapes, ...).
  case gradient

  init(_ kind: any LayerKind) {
    let inner = (kind as? ChannelsFirst)?.inner ?? kind
    switch inner {
    case is Dense: self = .linear(dense: true)
    case is any ConvolutionKind, is any DepthwiseConvolutionKind, is any TransposedConvolutionKind:
      self = .linear(dense: false)
    case is any SeparableConvolutionKind: self = kind is ChannelsFirst ? .gradient : .separable
    case let activation as Activation: self = activation.function == .softmax ? .gradient : .pass
    case is ReLU, is LeakyReLU, is ELU, is PReLU, is BatchNormalization: self = .pass
    case let merge as Merge where merge.operation == .add: self = .normalized
    case let pooling as any PoolingKind where !type(of: pooling).takesMaximum: self = .normalized
    case let pooling as any GlobalPoolingKind where !type(of: pooling).takesMaximum: self = .normalized
    default: self = .gradient
    }
  }
}

/// One relevance computation: the forward values of every call, then the walk back.
struct RelevanceWalk {
  let flat: FlatGraph
  let composite: LRPComposite
  let precision: ConvolutionPrecision
  /// Every tensor's value after `forward`.
  var values: [FlatTensor: Tensor] = [:]
  /// The relevance reaching each tensor.
  var relevance: [FlatTensor: Tensor] = [:]
  /// Single-layer models, by call and variant.
  var models: [String: CompiledModel] = [:]
  /// BatchNormalization calls merged into the linear call before them: BN call -> linear call.
  var merged: [Int: Int] = [:]
  /// The call that takes the composite's first-layer rule.
  var firstCall: Int?

  init(flat: FlatGraph, composite: LRPComposite, precision: ConvolutionPrecision) {
    self.flat = flat
    self.composite = composite
    self.precision = precision
    var readers: [FlatTensor: Int] = [:]
    for call in flat.calls { for input in call.inputs { readers[input, default: 0] += 1 } }
    for output in flat.outputs { readers[output, default: 0] += 1 }
    for (index, call) in flat.calls.enumerated() {
      guard let normalization = call.layer.kind as? BatchNormalization, call.inputs.count == 1,
        case .call(let producer, tensor: 0) = call.inputs[0], readers[call.inputs[0]] == 1,
        let rank = call.layer.nodes[call.node].outputShapes.first?.rank,
        normalization.axis == -1 || normalization.axis == rank - 1,
        Self.mergeable(flat.calls[producer].layer)
      else { continue }
      merged[index] = producer
    }
    firstCall = composite.first.flatMap { _ in
      flat.calls.indices.first { index in
        switch RelevanceHandling(flat.calls[index].layer.kind) {
        case .linear(let dense): return !dense || composite.firstAppliesToDense
        case .separable: return true
        default: return false
        }
      }
    }
  }

  /// Whether a BatchNormalization after `layer` can be merged into it (channels-last Dense, convolution or
  /// depthwise convolution, whose kernels put the output channel last).
  static func mergeable(_ layer: Layer) -> Bool {
    switch layer.kind {
    case is Dense, is any ConvolutionKind, is any DepthwiseConvolutionKind, is any SeparableConvolutionKind:
      return layer.activation == nil || layer.activation == .linear
    default: return false
    }
  }

  /// Runs every call on `input`, keeping every value.
  mutating func forward(_ input: Tensor) throws {
    values = [.modelInput(0): input]
    for (index, call) in flat.calls.enumerated() {
      let inputs = try call.inputs.map { try value($0) }
      let outputs = try model(call.layer, node: call.node, key: "\(index)", inputs: inputs).predict(inputs)
      for (position, output) in outputs.enumerated() { values[.call(index, tensor: position)] = output }
    }
  }

  func value(_ tensor: FlatTensor) throws -> Tensor {
    guard let value = values[tensor] else { throw KerasVisError.invalidInput("LRP: \(tensor) has no value") }
    return value
  }

  /// Walks back from `relevance` at `start` to the model input.
  mutating func backward(from start: FlatTensor, relevance seed: Tensor) throws {
    relevance = [start: seed]
    // A target read at a merged layer's own output (before its BatchNormalization) starts there, unmerged.
    if case .call(let producer, _) = start, let normalization = merged.first(where: { $0.value == producer })?.key {
      merged[normalization] = nil
    }
    let absorbed = Set(merged.values)
    for index in flat.calls.indices.reversed() where !absorbed.contains(index) {
      let call = flat.calls[index]
      let outputs = call.layer.nodes[call.node].outputShapes.indices.map { FlatTensor.call(index, tensor: $0) }
      guard outputs.contains(where: { relevance[$0] != nil }) else { continue }
      let upper = try outputs.map { tensor in try relevance[tensor] ?? Tensor(zeros: try value(tensor).shape) }
      for tensor in outputs { relevance[tensor] = nil }
      let reader = merged[index] ?? index
      let inputs = flat.calls[reader].inputs
      let lower = try relevanceOfInputs(call: index, relevance: upper)
      for (tensor, part) in zip(inputs, lower) {
        if let existing = relevance[tensor] {
          let (a, b) = (existing.scalars, part.scalars)
          relevance[tensor] = try Tensor(shape: existing.shape) { a[$0] + b[$0] }
        } else {
          relevance[tensor] = part
        }
      }
    }
  }

  /// The relevance of the inputs of call `index` (of the linear call it is merged into, for a merged
  /// BatchNormalization) from the relevance of its outputs.
  mutating func relevanceOfInputs(call index: Int, relevance upper: [Tensor]) throws -> [Tensor] {
    let call = flat.calls[index]
    if let producer = merged[index] {
      let linear = flat.calls[producer]
      let layer = try mergedLayer(linear.layer, normalization: call.layer, location: call.location)
      if linear.layer.kind is any SeparableConvolutionKind {
        return try separableRelevance(
          layer: layer, call: producer, key: "\(producer)m", x: try value(linear.inputs[0]),
          z: try value(.call(index, tensor: 0)), relevance: upper[0])
      }
      return try linearRelevance(
        layer: layer, call: linear, key: "\(producer)m", x: try value(linear.inputs[0]),
        z: try value(.call(index, tensor: 0)),
        relevance: upper[0], rule: rule(for: producer))
    }
    switch RelevanceHandling(call.layer.kind) {
    case .pass:
      guard let x = call.inputs.first, try value(x).shape == upper[0].shape else {
        throw KerasVisError.invalidArgument("LRP: \(call.location) changes its input's shape; it cannot pass relevance")
      }
      return [upper[0]]
    case .linear:
      return try linearRelevance(
        layer: call.layer, call: call, key: "\(index)", x: try value(call.inputs[0]),
        z: try value(.call(index, tensor: 0)), relevance: upper[0], rule: rule(for: index))
    case .separable:
      return try separableRelevance(
        layer: call.layer, call: index, key: "\(index)", x: try value(call.inputs[0]),
        z: try value(.call(index, tensor: 0)), relevance: upper[0])
    case .normalized:
      let inputs = try call.inputs.map { try value($0) }
      let z = try value(.call(index, tensor: 0)).scalars
      let r = upper[0].scalars
      let seed = try Tensor(shape: upper[0].shape) { r[$0] / stabilized(z[$0], composite.stabilizer) }
      let gradients = try vectorJacobian(call.layer, node: call.node, key: "\(index)", inputs: inputs, seeds: [seed])
      return try zip(inputs, gradients).map { x, g in
        let (a, b) = (x.scalars, g.scalars)
        return try Tensor(shape: x.shape) { a[$0] * b[$0] }
      }
    case .gradient:
      let inputs = try call.inputs.map { try value($0) }
      return try vectorJacobian(call.layer, node: call.node, key: "\(index)", inputs: inputs, seeds: upper)
    }
  }

  /// The rule of linear call `index`.
  func rule(for index: Int) -> LRPRule {
    if index == firstCall, let first = composite.first { return first }
    if case .linear(dense: true) = RelevanceHandling(flat.calls[index].layer.kind) { return composite.dense }
    return composite.convolution
  }

  /// `rule` applied to `layer` (its input `x`, its output `z`, the relevance of its output).
  mutating func linearRelevance(
    layer: Layer, call: FlatCall, key: String, x: Tensor, z: Tensor, relevance: Tensor, rule: LRPRule
  ) throws -> [Tensor] {
    let terms = rule.terms
    let xs = x.scalars
    let perSample = xs.count / max(x.shape[0], 1)
    func termInput(_ kind: LRPRule.TermInput) throws -> Tensor {
      switch kind {
      case .input: return x
      case .positive: return try Tensor(shape: x.shape) { max(xs[$0], 0) }
      case .negative: return try Tensor(shape: x.shape) { min(xs[$0], 0) }
      case .ones: return try Tensor(shape: x.shape) { _ in 1 }
      case .low, .high:
        guard case .zBox(let bounds) = rule else { return x }
        switch bounds {
        case .constant(let low, let high): return try Tensor(shape: x.shape) { _ in kind == .low ? low : high }
        case .inputRange:
          let ranges = (0..<x.shape[0]).map { n -> (Float, Float) in
            let slice = xs[(n * perSample)..<((n + 1) * perSample)]
            return (slice.min() ?? 0, slice.max() ?? 0)
          }
          return try Tensor(shape: x.shape) { i in
            kind == .low ? ranges[i / perSample].0 : ranges[i / perSample].1
          }
        }
      }
    }
    var inputs: [Tensor] = []
    var outputs: [[Float]] = []
    var termModels: [CompiledModel] = []
    for term in terms {
      let modified = Self.changing(layer, weights: term.weights, bias: term.bias)
      let input = try termInput(term.input)
      let model = try model(modified, node: call.node, key: "\(key)w\(term.weights)b\(term.bias)", inputs: [input])
      inputs.append(input)
      outputs.append(try model.predict([input])[0].scalars)
      termModels.append(model)
    }
    let seeds = rule.seeds(
      relevance: relevance.scalars, outputs: outputs, original: z.scalars, stabilizer: composite.stabilizer)
    var total = [Float](repeating: 0, count: xs.count)
    for (position, term) in terms.enumerated() {
      let seed = try Tensor(shape: z.shape, values: seeds[position])
      let (_, gradients) = try termModels[position].gradients([inputs[position]], targets: [.input(0)]) { _ in
        [.output(0): seed]
      }
      let g = gradients[0].scalars
      let input = inputs[position].scalars
      let weighted = term.input != .ones
      for i in total.indices { total[i] += term.coefficient * (weighted ? input[i] * g[i] : g[i]) }
    }
    return [try Tensor(shape: x.shape, values: total)]
  }

  /// `layer` with its weights and bias changed as a rule's term says (and its activation left out).
  static func changing(_ layer: Layer, weights: LRPRule.ParameterChange, bias: LRPRule.ParameterChange) -> Layer {
    var changed = layer
    changed.activation = nil
    changed.weights = layer.weights.map { weight in
      let change = weight.name == "bias" ? bias : weights
      if change == .unchanged { return weight }
      return Weight(name: weight.name, shape: weight.shape, values: FloatBuffer(weight.values.array.map(change.apply)))
    }
    return changed
  }

  /// The compiled single-layer model of `layer`'s call `node` on inputs shaped like `inputs`, cached under `key`.
  mutating func model(_ layer: Layer, node: Int, key: String, inputs: [Tensor]) throws -> CompiledModel {
    if let existing = models[key] { return existing }
    var single = layer
    single.index = 0
    single.activation = nil
    let original = layer.nodes[node]
    single.nodes = [
      Node(
        inputs: inputs.indices.map { .graphInput($0) }, outputShapes: original.outputShapes,
        arguments: original.arguments)
    ]
    let graph = Graph(
      name: layer.name, kind: .functional, layers: [single],
      inputs: inputs.enumerated().map { position, tensor in
        GraphInput(
          name: "\(layer.name)_input_\(position)", shape: TensorShape(batchOf: tensor.shape.dropFirst().map { $0 }),
          layerIndex: nil)
      },
      outputs: original.outputShapes.indices.map { .layerOutput(layer: 0, node: 0, tensor: $0) })
    let model = CompiledModel(graph: graph, gradients: true, precision: precision, maximumConcurrentPlans: 1)
    models[key] = model
    return model
  }

  /// The plain vector-Jacobian product of a call: `seeds` (one per output) back to its inputs.
  mutating func vectorJacobian(_ layer: Layer, node: Int, key: String, inputs: [Tensor], seeds: [Tensor]) throws
    -> [Tensor]
  {
    let model = try model(layer, node: node, key: key, inputs: inputs)
    let (_, gradients) = try model.gradients(inputs, targets: inputs.indices.map { .input($0) }) { _ in
      Dictionary(uniqueKeysWithValues: seeds.enumerated().map { (ModelTensor.output($0), $1) })
    }
    return gradients
  }
}

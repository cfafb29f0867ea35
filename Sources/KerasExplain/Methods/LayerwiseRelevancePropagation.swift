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
    // The walk's forward pass (every call's value) also gives the scored tensor, so the targets are resolved
    // without a forward pass of their own.
    var prepared: (walk: RelevanceWalk, linearLayer: [Int]?, source: ScoreSource)?
    let pass = try explainer.targetedPass(
      inputs: [request.input], targets: request.targets, defaultScore: request.defaultScore,
      defaultOutput: request.defaultOutput, layer: nil, gradient: .none, rule: .standard
    ) { inputs, reading, source in
      let walk = try RelevanceWalk(
        composite: composite, explainer: explainer, linearLayer: reading.linearLayer, input: inputs[0])
      let value = try walk.value(try walk.tensor(of: source))
      prepared = (walk, reading.linearLayer, source)
      return value
    }
    let (reading, source) = try explainer.outputReading(for: pass.targets)
    var walk: RelevanceWalk
    if let prepared, prepared.linearLayer == reading.linearLayer, prepared.source == source {
      walk = prepared.walk
    } else {
      walk = try RelevanceWalk(
        composite: composite, explainer: explainer, linearLayer: reading.linearLayer, input: pass.input)
    }
    let location = try explainer.location(of: source)
    var start = try Tensor(zeros: pass.outputs.shape)
    let perSample = pass.outputs.count / max(pass.input.shape[0], 1)
    try start.withUnsafeMutableBufferPointer { values in
      for sample in 0..<pass.input.shape[0] {
        let read = try pass.outputs.sample(sample).reshaped(Array(pass.outputs.shape.dropFirst()))
        let (_, seed) = try pass.targets[sample].evaluate(read, layer: location)
        try read.withUnsafeBufferPointer { r in
          try seed.withUnsafeBufferPointer { g in
            guard r.count == perSample, g.count == perSample else {
              throw KerasVisError.invalidInput("LRP: the score of sample \(sample) does not fit \(location)")
            }
            for i in 0..<perSample { values[sample * perSample + i] = r[i] * g[i] }
          }
        }
      }
    }
    try walk.backward(from: try walk.tensor(of: source), relevance: start)
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
  /// The explainer that keeps the walk's compiled models for later explanations.
  let explainer: Explainer
  /// What tells this walk's cached models from others' of the same explainer (the model's graph as the score
  /// reads it).
  let cachePrefix: String
  /// Every tensor's value after `forward`.
  var values: [FlatTensor: Tensor] = [:]
  /// The relevance reaching each tensor.
  var relevance: [FlatTensor: Tensor] = [:]
  /// BatchNormalization calls merged into the linear call before them: BN call -> linear call.
  var merged: [Int: Int] = [:]
  /// The call that takes the composite's first-layer rule.
  var firstCall: Int?

  /// The walk of `explainer`'s model (with the activation of `linearLayer` swapped to linear, the score's reading)
  /// by `composite`, its forward pass run on `input`.
  init(composite: LRPComposite, explainer: Explainer, linearLayer: [Int]?, input: Tensor) throws {
    var graph = explainer.graph
    if let linearLayer { graph = try graph.replacingActivation(ofLayerAt: linearLayer, with: .linear) }
    self.init(
      flat: try FlatGraph(graph), composite: composite, explainer: explainer,
      cachePrefix: "lrp" + (linearLayer.map { " linear \($0)" } ?? ""))
    try forward(input)
  }

  init(flat: FlatGraph, composite: LRPComposite, explainer: Explainer, cachePrefix: String) {
    self.flat = flat
    self.composite = composite
    self.explainer = explainer
    self.cachePrefix = cachePrefix
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

  /// The flat tensor a score reads.
  /// - Throws: `KerasVisError.invalidArgument` when the model has no such tensor.
  func tensor(of source: ScoreSource) throws -> FlatTensor {
    let scored: FlatTensor?
    switch source {
    case .output(let index): scored = flat.outputs.indices.contains(index) ? flat.outputs[index] : nil
    case .layer(let address): scored = flat.layerOutputs[address]?.first
    }
    guard let scored else {
      throw KerasVisError.invalidArgument("LRP: no tensor of the model is \(try explainer.location(of: source))")
    }
    return scored
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
          relevance[tensor] = try combined(existing, part, +)
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
      let merge = { [self] in try mergedLayer(linear.layer, normalization: call.layer, location: call.location) }
      if linear.layer.kind is any SeparableConvolutionKind {
        return try separableRelevance(
          layer: try merge(), call: producer, key: "\(producer)m", x: try value(linear.inputs[0]),
          z: try value(.call(index, tensor: 0)), relevance: upper[0])
      }
      return try linearRelevance(
        layer: merge, node: linear.node, key: "\(producer)m", x: try value(linear.inputs[0]),
        z: try value(.call(index, tensor: 0)), relevance: upper[0], rule: rule(for: producer))
    }
    switch RelevanceHandling(call.layer.kind) {
    case .pass:
      guard let x = call.inputs.first, try value(x).shape == upper[0].shape else {
        throw KerasVisError.invalidArgument("LRP: \(call.location) changes its input's shape; it cannot pass relevance")
      }
      return [upper[0]]
    case .linear:
      return try linearRelevance(
        layer: { call.layer }, node: call.node, key: "\(index)", x: try value(call.inputs[0]),
        z: try value(.call(index, tensor: 0)), relevance: upper[0], rule: rule(for: index))
    case .separable:
      return try separableRelevance(
        layer: call.layer, call: index, key: "\(index)", x: try value(call.inputs[0]),
        z: try value(.call(index, tensor: 0)), relevance: upper[0])
    case .normalized:
      let inputs = try call.inputs.map { try value($0) }
      let epsilon = composite.stabilizer
      let seed = try combined(upper[0], try value(.call(index, tensor: 0))) { $0 / stabilized($1, epsilon) }
      let gradients = try vectorJacobian(call.layer, node: call.node, key: "\(index)", inputs: inputs, seeds: [seed])
      return try zip(inputs, gradients).map { x, g in try combined(x, g, *) }
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

  /// `rule` applied to the layer `layer()` builds (its input `x`, its output `z`, the relevance of its output), in
  /// one forward and one backward pass of a model holding every term's modified layer side by side (built once per
  /// explainer, layer and rule): the terms' outputs `z'_t` give the seeds `s_t` (`LRPRule.seeds`), each scaled by
  /// its coefficient `c_t`; the backward pass sums `W'_t^T (c_t s_t)` over the terms that share an input `x'`, and
  /// `R_in = sum x' * g` over the distinct inputs (`g` alone for the input of ones).
  mutating func linearRelevance(
    layer: () throws -> Layer, node: Int, key: String, x: Tensor, z: Tensor, relevance: Tensor, rule: LRPRule
  ) throws -> [Tensor] {
    let terms = rule.terms
    var kinds: [LRPRule.TermInput] = []
    for term in terms where !kinds.contains(term.input) { kinds.append(term.input) }
    let inputs = try kinds.map { try termInput($0, of: x, rule: rule) }
    // A rule of the layer itself (epsilon) runs on the layer's own single-layer model (the forward pass's).
    let model =
      terms == [LRPRule.Term(input: .input, weights: .unchanged, bias: .unchanged)]
      ? try self.model(try layer(), node: node, key: key, inputs: inputs)
      : try cachedModel(key: "\(key)r\(rule)", inputs: inputs) {
        Self.termsGraph(of: try layer(), node: node, terms: terms, inputs: kinds, shapes: inputs.map(\.shape))
      }
    let stabilizer = composite.stabilizer
    let (_, gradients) = try model.gradients(inputs, targets: inputs.indices.map { .input($0) }) { forward in
      let seeds = try rule.seeds(
        relevance: relevance, outputs: forward.outputs, original: { z }, stabilizer: stabilizer)
      return Dictionary(uniqueKeysWithValues: seeds.enumerated().map { (ModelTensor.output($0), $1) })
    }
    var total = try Tensor(zeros: x.shape)
    total.withUnsafeMutableBufferPointer { sum in
      for (kind, (input, gradient)) in zip(kinds, zip(inputs, gradients)) {
        gradient.withUnsafeBufferPointer { g in
          if kind == .ones {
            for i in sum.indices { sum[i] += g[i] }
          } else {
            input.withUnsafeBufferPointer { x in for i in sum.indices { sum[i] += x[i] * g[i] } }
          }
        }
      }
    }
    return [total]
  }

  /// What a term feeds its modified layer: `x`, its positive or negative part, ones, or the z^B bounds.
  func termInput(_ kind: LRPRule.TermInput, of x: Tensor, rule: LRPRule) throws -> Tensor {
    func mapped(_ transform: (Float) -> Float) throws -> Tensor {
      var result = x
      result.withUnsafeMutableBufferPointer { values in
        for i in values.indices { values[i] = transform(values[i]) }
      }
      return result
    }
    switch kind {
    case .input: return x
    case .positive: return try mapped { max($0, 0) }
    case .negative: return try mapped { min($0, 0) }
    case .ones: return try mapped { _ in 1 }
    case .low, .high:
      guard case .zBox(let bounds) = rule else { return x }
      switch bounds {
      case .constant(let low, let high): return try mapped { _ in kind == .low ? low : high }
      case .inputRange:
        let perSample = x.count / max(x.shape[0], 1)
        var result = x
        result.withUnsafeMutableBufferPointer { values in
          for n in 0..<x.shape[0] {
            let slice = values[(n * perSample)..<((n + 1) * perSample)]
            let bound = (kind == .low ? slice.min() : slice.max()) ?? 0
            for i in slice.indices { values[i] = bound }
          }
        }
        return result
      }
    }
  }

  /// A graph of `layer`'s call `node` once per term, each with the term's weights and bias and reading graph input
  /// `inputs.firstIndex(of: term.input)` (shaped `shapes`), returning the terms' outputs in order.
  static func termsGraph(
    of layer: Layer, node: Int, terms: [LRPRule.Term], inputs: [LRPRule.TermInput], shapes: [[Int]]
  )
    -> Graph
  {
    let original = layer.nodes[node]
    let layers = terms.enumerated().map { position, term in
      var modified = changing(layer, weights: term.weights, bias: term.bias)
      modified.index = position
      modified.name = "\(layer.name)_term\(position)"
      modified.nodes = [
        Node(
          inputs: [.graphInput(inputs.firstIndex(of: term.input) ?? 0)], outputShapes: original.outputShapes,
          arguments: original.arguments)
      ]
      return modified
    }
    return Graph(
      name: layer.name, kind: .functional, layers: layers,
      inputs: shapes.enumerated().map { position, shape in
        GraphInput(
          name: "\(layer.name)_input_\(position)", shape: TensorShape(batchOf: Array(shape.dropFirst())),
          layerIndex: nil)
      },
      outputs: terms.indices.map { .layerOutput(layer: $0, node: 0, tensor: 0) })
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
  func model(_ layer: Layer, node: Int, key: String, inputs: [Tensor]) throws -> CompiledModel {
    try cachedModel(key: key, inputs: inputs) {
      var single = layer
      single.index = 0
      single.activation = nil
      let original = layer.nodes[node]
      single.nodes = [
        Node(
          inputs: inputs.indices.map { .graphInput($0) }, outputShapes: original.outputShapes,
          arguments: original.arguments)
      ]
      return Graph(
        name: layer.name, kind: .functional, layers: [single],
        inputs: inputs.enumerated().map { position, tensor in
          GraphInput(
            name: "\(layer.name)_input_\(position)", shape: TensorShape(batchOf: Array(tensor.shape.dropFirst())),
            layerIndex: nil)
        },
        outputs: original.outputShapes.indices.map { .layerOutput(layer: 0, node: 0, tensor: $0) })
    }
  }

  /// The compiled model of the graph `build` gives, kept by the explainer under `key` (with the walk's
  /// `cachePrefix` and the inputs' sample shapes), so later explanations reuse it and its plans.
  func cachedModel(key: String, inputs: [Tensor], build: () throws -> Graph) throws -> CompiledModel {
    let shapes = inputs.map { $0.shape.dropFirst().map(String.init).joined(separator: "x") }
    return try explainer.cachedModel(key: "\(cachePrefix)|\(key)|" + shapes.joined(separator: ",")) {
      CompiledModel(graph: try build(), gradients: true, precision: explainer.precision, maximumConcurrentPlans: 1)
    }
  }

  /// The plain vector-Jacobian product of a call: `seeds` (one per output) back to its inputs.
  func vectorJacobian(_ layer: Layer, node: Int, key: String, inputs: [Tensor], seeds: [Tensor]) throws
    -> [Tensor]
  {
    let model = try model(layer, node: node, key: key, inputs: inputs)
    let (_, gradients) = try model.gradients(inputs, targets: inputs.indices.map { .input($0) }) { _ in
      Dictionary(uniqueKeysWithValues: seeds.enumerated().map { (ModelTensor.output($0), $1) })
    }
    return gradients
  }
}

/// `f` of `a` and `b` element by element (the same element count), shaped as `a`.
/// - Throws: `KerasVisError.invalidInput` when the counts differ.
func combined(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) throws -> Tensor {
  guard a.count == b.count else {
    throw KerasVisError.invalidInput("LRP: a tensor of shape \(b.shape) does not match one of shape \(a.shape)")
  }
  var result = a
  result.withUnsafeMutableBufferPointer { values in
    b.withUnsafeBufferPointer { other in for i in values.indices { values[i] = f(values[i], other[i]) } }
  }
  return result
}

import KerasGraph
import KerasRuntime

/// One run of the model on a batch with targets: the scores, what the targets read, and where asked, a layer's
/// output and the gradient of the scores with respect to that layer's output or to the input.
public struct TargetedPass: Sendable {
  /// The input batch, `(N, H, W, C)` (the first model input).
  public var input: Tensor
  /// Every model input's batch, in `model.inputs` order (`[input]` for a model with one input).
  public var inputs: [Tensor] = []
  /// What the targets read, `(N, ...)`: the model output, or its softmax when the targets ask for probabilities
  /// of a linear output.
  public var outputs: Tensor
  /// The target of every sample (resolved: the top class where the request gave none).
  public var targets: [ExplanationTarget]
  /// The score of every sample's target.
  public var scores: [Float]
  /// The kept layer's address, if any.
  public var layer: [Int]?
  /// The kept layer's output, `(N, h, w, C)` for a feature map.
  public var activations: Tensor?
  /// A ViT's token output `(N, 1 + s^2, C)` as the layer computes it, when CAM methods read `activations` as its
  /// patch grid `(N, s, s, C)` (`tokenGrid`); nil otherwise.
  public var tokens: Tensor?
  /// `d score_i / d x_i` for every sample `i`, with `x` the kept layer's output or the input (samples are
  /// independent, so this is the gradient of the sum of the scores); the first input's for `.input`.
  public var gradients: Tensor?
  /// With `.input`, the gradient with respect to every model input, in order (`[gradients]` for one input).
  public var inputGradients: [Tensor] = []
}

/// What `Explainer.targetedPass` differentiates.
public enum PassGradient: Sendable {
  /// Nothing: a forward pass only.
  case none
  /// The kept layer's output.
  case layer
  /// The model input.
  case input
}

extension Explainer {
  /// Runs the model on `input` (`(N, H, W, C)`, or one sample) and scores `targets` (nil: the top class of each
  /// sample of model output `defaultOutput`, read with `defaultScore`), keeping the output of the layer at `layer` (an address through nested
  /// models) and differentiating the scores with respect to what `gradient` names, ReLUs following `rule`.
  /// - Throws: `KerasVisError` for a bad layer address, input or target; `TensorError` from the engine.
  public func targetedPass(
    input: Tensor, targets: [ExplanationTarget]?, defaultScore: ExplanationTarget.Score = .output,
    defaultOutput: Int = 0,
    layer: [Int]? = nil, gradient: PassGradient = .none, rule: ReLUGradientRule = .standard
  ) throws -> TargetedPass {
    try targetedPass(
      inputs: [try batched(input)], targets: targets, defaultScore: defaultScore, defaultOutput: defaultOutput,
      layer: layer, gradient: gradient, rule: rule)
  }

  /// `targetedPass(input:...)` for a model with several inputs: `inputs` holds one tensor per model input (each
  /// `(N, ...)` with one `N`, or one sample), and `.input` differentiates the scores with respect to every one of
  /// them (`TargetedPass.inputGradients`).
  /// - Throws: `KerasVisError` for inputs that do not fit the model, a bad layer address or target; `TensorError`
  ///   from the engine.
  public func targetedPass(
    inputs: [Tensor], targets: [ExplanationTarget]?, defaultScore: ExplanationTarget.Score = .output,
    defaultOutput: Int = 0,
    layer: [Int]? = nil, gradient: PassGradient = .none, rule: ReLUGradientRule = .standard
  ) throws -> TargetedPass {
    try targetedPass(
      inputs: inputs, targets: targets, defaultScore: defaultScore, defaultOutput: defaultOutput, layer: layer,
      gradient: gradient, rule: rule, scored: nil)
  }

  /// `targetedPass(inputs:...)` where `scored`, when given and `gradient` is `.none`, gives the tensor the targets
  /// read (from the batched inputs, the output reading and its source) in place of the model's forward pass: for a
  /// method that runs the model its own way (LRP).
  func targetedPass(
    inputs: [Tensor], targets: [ExplanationTarget]?, defaultScore: ExplanationTarget.Score, defaultOutput: Int,
    layer: [Int]?, gradient: PassGradient, rule: ReLUGradientRule,
    scored: ((_ inputs: [Tensor], _ reading: OutputReading, _ source: ScoreSource) throws -> Tensor)?
  ) throws -> TargetedPass {
    let batches = try batchedInputs(inputs)
    let batch = batches[0]
    let count = batch.shape[0]
    let expanded = try expandedTargets(targets, count: count)
    let (reading, source) = try outputReading(
      for: expanded ?? [.category(0, score: defaultScore, output: defaultOutput)])
    let outputIndex: Int
    if case .output(let index) = source { outputIndex = index } else { outputIndex = 0 }
    let defaultLayer = expanded?.first?.layer
    if let layer { _ = try layerLocation(layer) }
    if gradient == .layer && layer == nil {
      throw KerasVisError.invalidArgument("a gradient with respect to a layer needs the layer")
    }
    let kept = Array(Set((layer.map { [LayerOutputKey(address: $0)] } ?? []) + (source.keptLayer.map { [$0] } ?? [])))
    let model = try self.model(
      keeping: kept, linearLayer: reading.linearLayer, gradients: gradient != .none, inputGradients: gradient == .input)
    let location = try location(of: source)
    var seen: Tensor?
    var resolved: [ExplanationTarget] = []
    var scores: [Float] = []

    func score(_ output: Tensor) throws -> Tensor {
      var seeds: [Tensor] = []
      var reads: [Tensor] = []
      for sample in 0..<count {
        let raw = try output.sample(sample).reshaped(Array(output.shape.dropFirst()))
        let read = reading.appliesSoftmax ? try squashed(raw) : raw
        var target = expanded?[sample] ?? .category(topIndex(read), score: defaultScore, output: outputIndex)
        if let defaultLayer, target.layer == nil { target = target.reading(layer: defaultLayer) }
        var (value, seed) = try target.evaluate(read, layer: location)
        if reading.appliesSoftmax { seed = try unsquashedGradient(seed, probabilities: read) }
        resolved.append(target)
        scores.append(value)
        seeds.append(try seed.reshaped([1] + seed.shape))
        reads.append(try read.reshaped([1] + read.shape))
      }
      seen = try Tensor.concatenatingBatches(reads)
      return try Tensor.concatenatingBatches(seeds)
    }

    var activations: Tensor?
    var gradients: Tensor?
    var inputGradients: [Tensor] = []
    if gradient == .none, let scored {
      _ = try score(try scored(batches, reading, source))
    } else if gradient == .none {
      let forward = try model.run(batches)
      _ = try score(try source.value(in: forward))
      if let layer { activations = try forward.layer(layer) }
    } else {
      let wrt: [ModelTensor] =
        gradient == .input ? batches.indices.map { .input($0) } : [.layer(LayerOutputKey(address: layer ?? []))]
      let (forward, result) = try model.gradients(batches, targets: wrt, rule: rule) { forward in
        [source.tensor: try score(try source.value(in: forward))]
      }
      gradients = result[0]
      if gradient == .input { inputGradients = result }
      if let layer { activations = try forward.layer(layer) }
    }
    guard let outputs = seen else { throw KerasVisError.invalidInput("the batch is empty") }
    return TargetedPass(
      input: batch, inputs: batches, outputs: outputs, targets: resolved, scores: scores, layer: layer,
      activations: activations, gradients: gradients, inputGradients: inputGradients)
  }

  /// The location of the layer at `address`, for messages.
  /// - Throws: `KerasVisError.invalidArgument` when no layer is there.
  func layerLocation(_ address: [Int]) throws -> LayerLocation {
    guard let layer = graph.layer(atAddress: address) else {
      throw KerasVisError.invalidArgument(
        "no layer at address \(address.map(String.init).joined(separator: "/")) of model '\(graph.name)'")
    }
    return LayerLocation(
      path: graph.path(ofAddress: address) ?? layer.name, index: layer.index, className: layer.className)
  }
}

/// The class with the largest value (the mean over positions for outputs with more axes than `(classes)`).
func topIndex(_ sample: Tensor) -> Int {
  let classes = sample.shape.last ?? 1
  let values = sample.scalars
  var totals = [Float](repeating: 0, count: classes)
  for (i, value) in values.enumerated() { totals[i % classes] += value }
  var best = 0
  for k in 1..<max(classes, 1) where totals[k] > totals[best] { best = k }
  return best
}

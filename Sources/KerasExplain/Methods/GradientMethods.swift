import Foundation
import KerasRuntime

/// A method attributing the score to input pixels from input gradients: vanilla saliency, SmoothGrad, Integrated
/// Gradients, Input x Gradient, guided backpropagation.
///
/// `Explanation.attributions` holds the per-pixel values `(N, H, W, C)`; `Explanation.maps` is their visualization
/// `(N, H, W)` in 0...1: `normalize(max_c |a|)` per sample (tf-keras-vis's saliency post-processing, with its
/// `(x - min) / (max - min + 1e-7)`). A channels_first input's attributions are `(N, C, H, W)` and its maps reduce
/// axis 1.
///
/// For a model with several inputs (`ExplanationRequest(inputs:)`), every input gets its attributions and map
/// (`Explanation.inputAttributions`, `Explanation.inputMaps`), as tf-keras-vis's `Saliency` returns one map per
/// input; an input without spatial axes `(N, D)` gets `normalize(|a|)` per feature (tf-keras-vis's `keepdims=True`:
/// its default reduces the feature axis to one value).
public protocol GradientAttribution: ExplanationMethod {
  /// The attributions `(N, H, W, C)` of a batch, with the resolved targets and their scores (the first input's, for
  /// a model with several inputs).
  func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  /// The attributions of every model input, in order, with the resolved targets and their scores. The default
  /// is `attributions`' for a model with one input.
  func inputAttributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: [Tensor], targets: [ExplanationTarget], scores: [Float])
}

extension GradientAttribution {
  public var usesLayer: Bool { false }

  public func inputAttributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: [Tensor], targets: [ExplanationTarget], scores: [Float])
  {
    let (attributions, targets, scores) = try self.attributions(request, with: explainer)
    return ([attributions], targets, scores)
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    let (attributions, targets, scores) = try inputAttributions(request, with: explainer)
    guard let first = attributions.first else { throw KerasVisError.invalidArgument("\(name) gave no attributions") }
    let maps = try attributions.indices.map {
      try attributionMaps(attributions[$0], layout: explainer.graph.channelLayout(ofInput: $0))
    }
    var explanation = Explanation(maps: maps[0], attributions: first, targets: targets, scores: scores)
    if attributions.count > 1 {
      explanation.inputMaps = maps
      explanation.inputAttributions = attributions
    }
    return explanation
  }
}

/// `normalize(max_c |a|)` per sample of `(N, H, W, C)` attributions: `(N, H, W)` in 0...1 (the channel axis as
/// `layout` says: axis 1 of channels_first `(N, C, H, W)`; `.features` `(N, D)` keeps every feature:
/// `normalize(|a|)`).
func attributionMaps(_ attributions: Tensor, absolute: Bool = true, layout: ChannelLayout = .channelsLast) throws
  -> Tensor
{
  let count = attributions.shape[0]
  let a = attributions.scalars
  guard let axis = layout.channelAxis(rank: attributions.rank), attributions.rank >= 2 else {
    let perSample = a.count / max(count, 1)
    let maps = (0..<count).flatMap { sample in
      minMaxNormalized(a[(sample * perSample)..<((sample + 1) * perSample)].map { absolute ? abs($0) : $0 })
    }
    return try Tensor(shape: attributions.shape, values: maps)
  }
  let channels = attributions.shape[axis]
  // A channels-first sample is (C, positions): channel c of position p at c * positions + p.
  let inner = attributions.shape[(axis + 1)...].reduce(1, *)
  let perSample = a.count / max(count * channels, 1)
  var maps: [Float] = []
  maps.reserveCapacity(count * perSample)
  for sample in 0..<count {
    let base = sample * perSample * channels
    let map = (0..<perSample).map { p -> Float in
      var best = -Float.infinity
      for c in 0..<channels {
        let value = inner == 1 ? a[base + p * channels + c] : a[base + c * perSample + p]
        best = max(best, absolute ? abs(value) : value)
      }
      return best
    }
    maps += minMaxNormalized(map)
  }
  var shape = attributions.shape
  shape.remove(at: axis)
  return try Tensor(shape: shape, values: maps)
}

extension Explainer {
  /// Input gradients of `count` generated inputs, `batchSize` at a time (a last partial batch padded to the full
  /// size): `fill(i, buffer)` writes input `i`, scored on `target(i)`. Returns the gradients (row-major, one sample
  /// after another) and the scores.
  func batchedInputGradients(
    count: Int, batchSize: Int, sampleShape: [Int], target: (Int) -> ExplanationTarget,
    rule: ReLUGradientRule = .standard, fill: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void
  ) throws -> (gradients: [Float], scores: [Float]) {
    let (gradients, scores) = try batchedInputGradients(
      count: count, batchSize: batchSize, sampleShapes: [sampleShape], target: target, rule: rule
    ) { index, _, buffer in try fill(index, buffer) }
    return (gradients[0], scores)
  }

  /// `batchedInputGradients` for a model with several inputs: `sampleShapes` holds one sample's shape per model
  /// input and `fill(i, k, buffer)` writes model input `k` of generated input `i`. Returns each model input's
  /// gradients (row-major, one sample after another) and the scores.
  func batchedInputGradients(
    count: Int, batchSize: Int, sampleShapes: [[Int]], target: (Int) -> ExplanationTarget,
    rule: ReLUGradientRule = .standard, fill: (Int, Int, UnsafeMutableBufferPointer<Float>) throws -> Void
  ) throws -> (gradients: [[Float]], scores: [Float]) {
    guard batchSize > 0 else {
      throw KerasVisError.invalidArgument("the batch size must be positive (got \(batchSize))")
    }
    let sizes = sampleShapes.map { $0.reduce(1, *) }
    let chunk = evenChunk(count: count, batchSize: batchSize)
    var gradients = sizes.map { size -> [Float] in
      var values: [Float] = []
      values.reserveCapacity(count * size)
      return values
    }
    var scores: [Float] = []
    for start in stride(from: 0, to: count, by: chunk) {
      let range = start..<min(start + chunk, count)
      let batches = try sampleShapes.indices.map { k -> Tensor in
        var batch = try Tensor(zeros: [chunk] + sampleShapes[k])
        let size = sizes[k]
        try batch.withUnsafeMutableBufferPointer { values in
          for (slot, index) in range.enumerated() {
            try fill(index, k, UnsafeMutableBufferPointer(rebasing: values[(slot * size)..<((slot + 1) * size)]))
          }
        }
        return batch
      }
      let targets = (0..<chunk).map { target(min(start + $0, count - 1)) }
      let pass = try targetedPass(inputs: batches, targets: targets, gradient: .input, rule: rule)
      guard pass.inputGradients.count == sizes.count else {
        throw KerasVisError.invalidArgument("no input gradient")
      }
      for k in sizes.indices { gradients[k] += pass.inputGradients[k].scalars.prefix(range.count * sizes[k]) }
      scores += pass.scores.prefix(range.count)
    }
    return (gradients, scores)
  }

  /// The batch, its targets resolved (the top classes where the request gave none) and their scores.
  func resolvedTargets(_ request: ExplanationRequest) throws -> (
    input: Tensor, targets: [ExplanationTarget], scores: [Float]
  ) {
    let (inputs, targets, scores) = try resolvedInputTargets(request)
    return (inputs[0], targets, scores)
  }

  /// Every model input's batch, the targets resolved (the top classes where the request gave none) and their
  /// scores.
  func resolvedInputTargets(_ request: ExplanationRequest) throws -> (
    inputs: [Tensor], targets: [ExplanationTarget], scores: [Float]
  ) {
    let pass = try targetedPass(
      inputs: request.inputs, targets: request.targets, defaultScore: request.defaultScore,
      defaultOutput: request.defaultOutput)
    return (pass.inputs, pass.targets, pass.scores)
  }

  /// The input gradients of `request` (every model input), with the pass.
  func inputGradientPass(_ request: ExplanationRequest, rule: ReLUGradientRule = .standard) throws -> TargetedPass {
    let pass = try targetedPass(
      inputs: request.inputs, targets: request.targets, defaultScore: request.defaultScore,
      defaultOutput: request.defaultOutput, gradient: .input, rule: rule)
    guard !pass.inputGradients.isEmpty else { throw KerasVisError.invalidArgument("no input gradient") }
    return pass
  }
}

extension GradientAttribution {
  /// The first input's part of `inputAttributions`, what `attributions` returns.
  func firstInputAttributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  {
    let (attributions, targets, scores) = try inputAttributions(request, with: explainer)
    guard let first = attributions.first else { throw KerasVisError.invalidArgument("\(name) gave no attributions") }
    return (first, targets, scores)
  }
}

/// Vanilla saliency (Simonyan et al., arXiv 1312.6034): `|dS/dx|` (tf-keras-vis's `Saliency` without smoothing).
public struct VanillaSaliency: GradientAttribution {
  public var name: String { "vanilla" }

  public init() {}

  public func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  {
    try firstInputAttributions(request, with: explainer)
  }

  public func inputAttributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: [Tensor], targets: [ExplanationTarget], scores: [Float])
  {
    let pass = try explainer.inputGradientPass(request)
    return (pass.inputGradients.map(GradModifier.absolute.apply), pass.targets, pass.scores)
  }
}

/// Guided backpropagation (Springenberg et al., arXiv 1412.6806): `dS/dx` with every ReLU passing only positive
/// gradients of positive inputs (`dx = dy * (x > 0) * (dy > 0)`); pytorch-grad-cam's `GuidedBackpropReLUModel`.
public struct GuidedBackpropagation: GradientAttribution {
  public var name: String { "guided-backprop" }

  public init() {}

  public func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  {
    try firstInputAttributions(request, with: explainer)
  }

  public func inputAttributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: [Tensor], targets: [ExplanationTarget], scores: [Float])
  {
    let pass = try explainer.inputGradientPass(request, rule: .guided)
    return (pass.inputGradients, pass.targets, pass.scores)
  }
}

/// Input x Gradient (Shrikumar et al., arXiv 1605.01713): `x * dS/dx` (Captum's `InputXGradient`).
public struct InputXGradient: GradientAttribution {
  public var name: String { "input-x-gradient" }

  public init() {}

  public func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  {
    try firstInputAttributions(request, with: explainer)
  }

  public func inputAttributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: [Tensor], targets: [ExplanationTarget], scores: [Float])
  {
    let pass = try explainer.inputGradientPass(request)
    let products = try zip(pass.inputs, pass.inputGradients).map { input, gradients in
      let x = input.scalars
      let g = gradients.scalars
      return try Tensor(shape: gradients.shape) { x[$0] * g[$0] }
    }
    return (products, pass.targets, pass.scores)
  }
}

/// `(N, C, ...)` as `(N, ..., C)`.
func channelsLastShape(_ shape: [Int]) throws -> [Int] {
  guard shape.count >= 3 else { throw KerasVisError.invalidInput("a channels_first input needs spatial axes") }
  return [shape[0]] + Array(shape.dropFirst(2)) + [shape[1]]
}

/// Gaussian noise for SmoothGrad: kerasvis's seeded generator, or given standard-normal draws.
public enum NoiseSource: Sendable {
  /// Standard-normal draws from Tensor's `SeededGenerator` with this seed (Box-Muller), in row-major order of
  /// `(samples, N, H, W, C)` (channels-last order for a channels_first input too, so that it gets the noise of its
  /// channels_last twin).
  case seeded(UInt64)
  /// Given standard-normal draws of shape `(samples, N, H, W, C)` (or `(samples, H, W, C)` for one sample).
  case standardNormal(Tensor)
  /// For a model with several inputs, given draws for each model input, `(samples, N, ...)` each (tf-keras-vis
  /// draws one array per input, in order). A seeded source draws the inputs' noise one input after another.
  case standardNormalPerInput([Tensor])
}

/// SmoothGrad (Smilkov et al., arXiv 1706.03825) as tf-keras-vis's `Saliency(smooth_samples=...)` computes it: with
/// `sigma = noiseLevel * (max(x) - min(x))` per sample, the mean over `samples` noisy copies
/// `x + sigma * z` (`z` standard normal) of `|dS/dx|` (`absolute`), or of `dS/dx`.
public struct SmoothGrad: GradientAttribution {
  /// The noisy copies per sample (tf-keras-vis's `smooth_samples`).
  public var samples: Int
  /// The noise's standard deviation as a fraction of each sample's value range (tf-keras-vis's `smooth_noise`).
  public var noiseLevel: Float
  /// Average `|g|` (tf-keras-vis's default gradient modifier) rather than `g`.
  public var absolute: Bool
  /// Where the noise comes from.
  public var noise: NoiseSource

  public var name: String { "smoothgrad" }

  public init(samples: Int = 20, noiseLevel: Float = 0.2, absolute: Bool = true, noise: NoiseSource = .seeded(0)) {
    self.samples = samples
    self.noiseLevel = noiseLevel
    self.absolute = absolute
    self.noise = noise
  }

  public func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  {
    try firstInputAttributions(request, with: explainer)
  }

  public func inputAttributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: [Tensor], targets: [ExplanationTarget], scores: [Float])
  {
    guard samples > 0 else {
      throw KerasVisError.invalidArgument("SmoothGrad needs at least one sample (got \(samples))")
    }
    guard noiseLevel >= 0, noiseLevel.isFinite else {
      throw KerasVisError.invalidArgument(
        "the SmoothGrad noise level must be a non-negative number (got \(noiseLevel))")
    }
    let (inputs, targets, scores) = try explainer.resolvedInputTargets(request)
    let count = inputs[0].shape[0]
    let sampleShapes = inputs.map { Array($0.shape.dropFirst()) }
    let sizes = sampleShapes.map { $0.reduce(1, *) }
    let xs = inputs.map(\.scalars)
    // Seeded noise is drawn in channels-last order, so that a channels_first model gets its twin's noise.
    let layouts = inputs.indices.map { explainer.graph.channelLayout(ofInput: $0) }
    let zs = try zip(
      try standardNormal(
        shapes: inputs.indices.map { k in
          [samples] + (layouts[k] == .channelsFirst ? try channelsLastShape(inputs[k].shape) : inputs[k].shape)
        }), inputs.indices
    ).map { z, k -> [Float] in
      guard layouts[k] == .channelsFirst, case .seeded = noise else { return z }
      let lastShape = [samples * inputs[k].shape[0]] + Array(try channelsLastShape(inputs[k].shape).dropFirst())
      return try channelsFirstCopy(try Tensor(shape: lastShape, values: z)).scalars
    }
    let sigmas = inputs.indices.map { k in
      (0..<count).map { n -> Float in
        let values = xs[k][(n * sizes[k])..<((n + 1) * sizes[k])]
        return noiseLevel * ((values.max() ?? 0) - (values.min() ?? 0))
      }
    }
    // Copy (s, n) is run number s * count + n, as tf-keras-vis's (samples, N, ...) noise array.
    let (gradients, _) = try explainer.batchedInputGradients(
      count: samples * count, batchSize: request.batchSize, sampleShapes: sampleShapes,
      target: { targets[$0 % count] }
    ) { run, k, buffer in
      let (n, size) = (run % count, sizes[k])
      for i in 0..<size { buffer[i] = xs[k][n * size + i] + sigmas[k][n] * zs[k][run * size + i] }
    }
    let attributions = try inputs.indices.map { k -> Tensor in
      let size = sizes[k]
      var total = [Float](repeating: 0, count: count * size)
      for run in 0..<(samples * count) {
        let n = run % count
        for i in 0..<size {
          let g = gradients[k][run * size + i]
          total[n * size + i] += absolute ? abs(g) : g
        }
      }
      return try Tensor(shape: inputs[k].shape, values: total.map { $0 / Float(samples) })
    }
    return (attributions, targets, scores)
  }

  /// `count` standard-normal values from the noise source.
  func standardNormal(count: Int, shape: [Int]) throws -> [Float] {
    try standardNormal(shapes: [shape])[0]
  }

  /// Standard-normal values for each of `shapes` (one per model input) from the noise source.
  func standardNormal(shapes: [[Int]]) throws -> [[Float]] {
    let counts = shapes.map { $0.reduce(1, *) }
    switch noise {
    case .standardNormal(let tensor):
      guard shapes.count == 1, tensor.count == counts[0] else {
        throw KerasVisError.invalidArgument(
          "SmoothGrad's noise has shape \(tensor.shape); it needs \(shapes.map { "\($0)" }.joined(separator: " and "))"
            + (shapes.count > 1 ? " (one array per model input: .standardNormalPerInput)" : ""))
      }
      return [tensor.scalars]
    case .standardNormalPerInput(let tensors):
      guard tensors.count == shapes.count, zip(tensors, counts).allSatisfy({ $0.count == $1 }) else {
        throw KerasVisError.invalidArgument(
          "SmoothGrad's noise has shapes \(tensors.map { "\($0.shape)" }.joined(separator: ", ")); it needs "
            + shapes.map { "\($0)" }.joined(separator: ", "))
      }
      return tensors.map(\.scalars)
    case .seeded(let seed):
      var generator = GaussianGenerator(seed: seed)
      return counts.map { count in (0..<count).map { _ in generator.next() } }
    }
  }
}

/// Standard-normal numbers from Tensor's `SeededGenerator` (SplitMix64) through the Box-Muller transform.
struct GaussianGenerator {
  var uniform: SeededGenerator
  var spare: Float?

  init(seed: UInt64) { uniform = SeededGenerator(state: seed) }

  /// A uniform number in (0, 1) from the top 53 bits.
  mutating func nextUniform() -> Double {
    (Double(uniform.next() >> 11) + 0.5) / Double(1 << 53)
  }

  mutating func next() -> Float {
    if let spare {
      self.spare = nil
      return spare
    }
    let radius = (-2 * log(nextUniform())).squareRoot()
    let angle = 2 * Double.pi * nextUniform()
    spare = Float(radius * sin(angle))
    return Float(radius * cos(angle))
  }
}

/// Integrated Gradients (Sundararajan et al., arXiv 1703.01365) as Captum's `IntegratedGradients` computes it:
/// `(x - x') * sum_k w_k dS/dx (x' + alpha_k (x - x'))` with the quadrature `rule`'s points and weights.
public struct IntegratedGradients: GradientAttribution {
  /// The baseline `x'`.
  public enum Baseline: Sendable {
    /// `x' = value` everywhere (0: Captum's default).
    case constant(Float)
    /// A given baseline, one sample `(H, W, C)` or one per sample `(N, H, W, C)`.
    case tensor(Tensor)
  }

  /// Captum's `method`: how the path integral is approximated with `steps` points.
  public enum Rule: String, Sendable, CaseIterable {
    /// Gauss-Legendre points `0.5 (1 + t_i)`, weights `w_i / 2` (Captum's default).
    case gaussLegendre = "gausslegendre"
    /// Points `k / (steps - 1)` with Captum's weights: `1 / steps`, halved at both ends (so they sum to
    /// `(steps - 1) / steps`, not 1 as the textbook trapezoid rule's `1 / (steps - 1)` would).
    case riemannTrapezoid = "riemann_trapezoid"
    /// `k / steps` for k in 0..<steps, weights `1 / steps`.
    case riemannLeft = "riemann_left"
    /// `(k + 1) / steps`, weights `1 / steps`.
    case riemannRight = "riemann_right"
    /// `(k + 0.5) / steps`, weights `1 / steps`.
    case riemannMiddle = "riemann_middle"
  }

  public var steps: Int
  public var baseline: Baseline
  public var rule: Rule

  public var name: String { "integrated-gradients" }

  public init(steps: Int = 50, baseline: Baseline = .constant(0), rule: Rule = .gaussLegendre) {
    self.steps = steps
    self.baseline = baseline
    self.rule = rule
  }

  /// The quadrature points in 0...1 and their weights.
  /// - Throws: `KerasVisError.invalidArgument` for fewer than 2 steps with the trapezoid rule, or none at all.
  public func quadrature() throws -> (alphas: [Double], weights: [Double]) {
    guard steps > 0 else {
      throw KerasVisError.invalidArgument("Integrated Gradients needs at least one step (got \(steps))")
    }
    let n = Double(steps)
    switch rule {
    case .gaussLegendre:
      let (nodes, weights) = gaussLegendre(steps)
      return (nodes.map { 0.5 * (1 + $0) }, weights.map { 0.5 * $0 })
    case .riemannTrapezoid:
      guard steps > 1 else { throw KerasVisError.invalidArgument("the trapezoid rule needs at least 2 steps") }
      let alphas = (0..<steps).map { Double($0) / (n - 1) }
      var weights = [Double](repeating: 1 / n, count: steps)
      weights[0] /= 2
      weights[steps - 1] /= 2
      return (alphas, weights)
    case .riemannLeft:
      return ((0..<steps).map { Double($0) * (1 - 1 / n) / max(n - 1, 1) }, Array(repeating: 1 / n, count: steps))
    case .riemannRight:
      return (
        (0..<steps).map { 1 / n + Double($0) * (1 - 1 / n) / max(n - 1, 1) }, Array(repeating: 1 / n, count: steps)
      )
    case .riemannMiddle:
      return (
        (0..<steps).map { 1 / (2 * n) + Double($0) * (1 - 1 / n) / max(n - 1, 1) },
        Array(repeating: 1 / n, count: steps)
      )
    }
  }

  public func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  {
    try firstInputAttributions(request, with: explainer)
  }

  /// Every model input moves along the path together (Captum's tuple of inputs): `x_j' + alpha (x_j - x_j')`
  /// for every input `j`, each with its own attributions. A `.tensor` baseline is for a model with one input;
  /// `.constant` applies to every input.
  public func inputAttributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: [Tensor], targets: [ExplanationTarget], scores: [Float])
  {
    let (alphas, weights) = try quadrature()
    let (inputs, targets, scores) = try explainer.resolvedInputTargets(request)
    if inputs.count > 1, case .tensor = baseline {
      throw KerasVisError.invalidArgument(
        "an Integrated Gradients baseline tensor is for a model with one input; this one has \(inputs.count): "
          + "give a constant baseline")
    }
    let count = inputs[0].shape[0]
    let sampleShapes = inputs.map { Array($0.shape.dropFirst()) }
    let sizes = sampleShapes.map { $0.reduce(1, *) }
    let xs = inputs.map(\.scalars)
    let bases = try sampleShapes.map { try baselineValues(count: count, sampleShape: $0) }
    // Run k * count + n is sample n at point alpha_k (Captum's order).
    let (gradients, _) = try explainer.batchedInputGradients(
      count: steps * count, batchSize: request.batchSize, sampleShapes: sampleShapes,
      target: { targets[$0 % count] }
    ) { run, j, buffer in
      let (k, n, size) = (run / count, run % count, sizes[j])
      let alpha = Float(alphas[k])
      for i in 0..<size {
        let b = bases[j][n * size + i]
        buffer[i] = b + alpha * (xs[j][n * size + i] - b)
      }
    }
    let attributions = try inputs.indices.map { j -> Tensor in
      let size = sizes[j]
      var total = [Float](repeating: 0, count: count * size)
      for run in 0..<(steps * count) {
        let (k, n) = (run / count, run % count)
        let weight = Float(weights[k])
        for i in 0..<size { total[n * size + i] += gradients[j][run * size + i] * weight }
      }
      for i in total.indices { total[i] *= xs[j][i] - bases[j][i] }
      return try Tensor(shape: inputs[j].shape, values: total)
    }
    return (attributions, targets, scores)
  }

  /// The baseline of every sample, row-major `(N, H, W, C)`.
  func baselineValues(count: Int, sampleShape: [Int]) throws -> [Float] {
    let size = sampleShape.reduce(1, *)
    switch baseline {
    case .constant(let value):
      return [Float](repeating: value, count: count * size)
    case .tensor(let tensor):
      if tensor.count == size { return Array((0..<count).map { _ in tensor.scalars }.joined()) }
      guard tensor.count == count * size else {
        throw KerasVisError.invalidArgument(
          "the baseline has shape \(tensor.shape); it must be one sample \(sampleShape) or the whole batch")
      }
      return tensor.scalars
    }
  }
}

/// Gauss-Legendre nodes (ascending, in -1...1) and weights for `n` points: Newton's method on the Legendre
/// polynomial `P_n` from Tricomi's initial guesses, weights `2 / ((1 - t^2) P_n'(t)^2)`.
func gaussLegendre(_ n: Int) -> (nodes: [Double], weights: [Double]) {
  var nodes = [Double](repeating: 0, count: n)
  var weights = [Double](repeating: 0, count: n)
  for i in 0..<n {
    var t = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
    var derivative = 0.0
    for _ in 0..<100 {
      // P_n(t) and P_n'(t) by the three-term recurrence.
      var previous = 1.0
      var current = t
      if n >= 2 {
        for k in 2...n {
          let next = ((2 * Double(k) - 1) * t * current - (Double(k) - 1) * previous) / Double(k)
          previous = current
          current = next
        }
      }
      derivative = n == 1 ? 1 : Double(n) * (t * current - previous) / (t * t - 1)
      let step = current / derivative
      t -= step
      if abs(step) < 1e-16 { break }
    }
    nodes[n - 1 - i] = t
    weights[n - 1 - i] = 2 / ((1 - t * t) * derivative * derivative)
  }
  return (nodes, weights)
}

import Foundation
import KerasRuntime

/// A method attributing the score to input pixels from input gradients: vanilla saliency, SmoothGrad, Integrated
/// Gradients, Input x Gradient, guided backpropagation.
///
/// `Explanation.attributions` holds the per-pixel values `(N, H, W, C)`; `Explanation.maps` is their visualization
/// `(N, H, W)` in 0...1: `normalize(max_c |a|)` per sample (tf-keras-vis's saliency post-processing, with its
/// `(x - min) / (max - min + 1e-7)`).
public protocol GradientAttribution: ExplanationMethod {
  /// The attributions `(N, H, W, C)` of a batch, with the resolved targets and their scores.
  func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
}

extension GradientAttribution {
  public var usesLayer: Bool { false }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    let (attributions, targets, scores) = try self.attributions(request, with: explainer)
    return Explanation(
      maps: try attributionMaps(attributions), attributions: attributions, targets: targets, scores: scores)
  }
}

/// `normalize(max_c |a|)` per sample of `(N, H, W, C)` attributions: `(N, H, W)` in 0...1.
func attributionMaps(_ attributions: Tensor, absolute: Bool = true) throws -> Tensor {
  let (count, channels) = (attributions.shape[0], attributions.shape.last ?? 1)
  let a = attributions.scalars
  let perSample = a.count / max(count * channels, 1)
  var maps: [Float] = []
  maps.reserveCapacity(count * perSample)
  for sample in 0..<count {
    let map = (0..<perSample).map { p -> Float in
      var best = -Float.infinity
      for c in 0..<channels {
        let value = a[(sample * perSample + p) * channels + c]
        best = max(best, absolute ? abs(value) : value)
      }
      return best
    }
    maps += minMaxNormalized(map)
  }
  return try Tensor(shape: Array(attributions.shape.dropLast()), values: maps)
}

extension Explainer {
  /// Input gradients of `count` generated inputs, `batchSize` at a time (a last partial batch padded to the full
  /// size): `fill(i, buffer)` writes input `i`, scored on `target(i)`. Returns the gradients (row-major, one sample
  /// after another) and the scores.
  func batchedInputGradients(
    count: Int, batchSize: Int, sampleShape: [Int], target: (Int) -> ExplanationTarget,
    rule: ReLUGradientRule = .standard, fill: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void
  ) throws -> (gradients: [Float], scores: [Float]) {
    guard batchSize > 0 else {
      throw KerasVisError.invalidArgument("the batch size must be positive (got \(batchSize))")
    }
    let size = sampleShape.reduce(1, *)
    let chunk = evenChunk(count: count, batchSize: batchSize)
    var gradients: [Float] = []
    var scores: [Float] = []
    gradients.reserveCapacity(count * size)
    for start in stride(from: 0, to: count, by: chunk) {
      let range = start..<min(start + chunk, count)
      var batch = try Tensor(zeros: [chunk] + sampleShape)
      try batch.withUnsafeMutableBufferPointer { values in
        for (slot, index) in range.enumerated() {
          try fill(index, UnsafeMutableBufferPointer(rebasing: values[(slot * size)..<((slot + 1) * size)]))
        }
      }
      let targets = (0..<chunk).map { target(min(start + $0, count - 1)) }
      let pass = try targetedPass(input: batch, targets: targets, gradient: .input, rule: rule)
      guard let batchGradients = pass.gradients else { throw KerasVisError.invalidArgument("no input gradient") }
      gradients += batchGradients.scalars.prefix(range.count * size)
      scores += pass.scores.prefix(range.count)
    }
    return (gradients, scores)
  }

  /// The batch, its targets resolved (the top classes where the request gave none) and their scores.
  func resolvedTargets(_ request: ExplanationRequest) throws -> (
    input: Tensor, targets: [ExplanationTarget], scores: [Float]
  ) {
    let pass = try targetedPass(
      input: request.input, targets: request.targets, defaultScore: request.defaultScore,
      defaultOutput: request.defaultOutput)
    return (pass.input, pass.targets, pass.scores)
  }
}

/// Vanilla saliency (Simonyan et al., arXiv 1312.6034): `|dS/dx|` (tf-keras-vis's `Saliency` without smoothing).
public struct VanillaSaliency: GradientAttribution {
  public var name: String { "vanilla" }

  public init() {}

  public func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  {
    let pass = try explainer.targetedPass(
      input: request.input, targets: request.targets, defaultScore: request.defaultScore,
      defaultOutput: request.defaultOutput, gradient: .input)
    guard let gradients = pass.gradients else { throw KerasVisError.invalidArgument("no input gradient") }
    return (GradModifier.absolute.apply(gradients), pass.targets, pass.scores)
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
    let pass = try explainer.targetedPass(
      input: request.input, targets: request.targets, defaultScore: request.defaultScore,
      defaultOutput: request.defaultOutput, gradient: .input,
      rule: .guided)
    guard let gradients = pass.gradients else { throw KerasVisError.invalidArgument("no input gradient") }
    return (gradients, pass.targets, pass.scores)
  }
}

/// Input x Gradient (Shrikumar et al., arXiv 1605.01713): `x * dS/dx` (Captum's `InputXGradient`).
public struct InputXGradient: GradientAttribution {
  public var name: String { "input-x-gradient" }

  public init() {}

  public func attributions(_ request: ExplanationRequest, with explainer: Explainer) throws
    -> (attributions: Tensor, targets: [ExplanationTarget], scores: [Float])
  {
    let pass = try explainer.targetedPass(
      input: request.input, targets: request.targets, defaultScore: request.defaultScore,
      defaultOutput: request.defaultOutput, gradient: .input)
    guard let gradients = pass.gradients else { throw KerasVisError.invalidArgument("no input gradient") }
    let x = pass.input.scalars
    let g = gradients.scalars
    return (try Tensor(shape: gradients.shape) { x[$0] * g[$0] }, pass.targets, pass.scores)
  }
}

/// Gaussian noise for SmoothGrad: kerasvis's seeded generator, or given standard-normal draws.
public enum NoiseSource: Sendable {
  /// Standard-normal draws from Tensor's `SeededGenerator` with this seed (Box-Muller), in row-major order of
  /// `(samples, N, H, W, C)`.
  case seeded(UInt64)
  /// Given standard-normal draws of shape `(samples, N, H, W, C)` (or `(samples, H, W, C)` for one sample).
  case standardNormal(Tensor)
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
    guard samples > 0 else {
      throw KerasVisError.invalidArgument("SmoothGrad needs at least one sample (got \(samples))")
    }
    guard noiseLevel >= 0, noiseLevel.isFinite else {
      throw KerasVisError.invalidArgument(
        "the SmoothGrad noise level must be a non-negative number (got \(noiseLevel))")
    }
    let (input, targets, scores) = try explainer.resolvedTargets(request)
    let count = input.shape[0]
    let sampleShape = Array(input.shape.dropFirst())
    let size = sampleShape.reduce(1, *)
    let x = input.scalars
    let z = try standardNormal(count: samples * count * size, shape: [samples] + input.shape)
    let sigmas = (0..<count).map { n -> Float in
      let values = x[(n * size)..<((n + 1) * size)]
      return noiseLevel * ((values.max() ?? 0) - (values.min() ?? 0))
    }
    // Copy (s, n) is run number s * count + n, as tf-keras-vis's (samples, N, ...) noise array.
    let (gradients, _) = try explainer.batchedInputGradients(
      count: samples * count, batchSize: request.batchSize, sampleShape: sampleShape, target: { targets[$0 % count] }
    ) { run, buffer in
      let n = run % count
      for i in 0..<size { buffer[i] = x[n * size + i] + sigmas[n] * z[run * size + i] }
    }
    var total = [Float](repeating: 0, count: count * size)
    for run in 0..<(samples * count) {
      let n = run % count
      for i in 0..<size {
        let g = gradients[run * size + i]
        total[n * size + i] += absolute ? abs(g) : g
      }
    }
    return (try Tensor(shape: input.shape, values: total.map { $0 / Float(samples) }), targets, scores)
  }

  /// `count` standard-normal values from the noise source.
  func standardNormal(count: Int, shape: [Int]) throws -> [Float] {
    switch noise {
    case .standardNormal(let tensor):
      guard tensor.count == count else {
        throw KerasVisError.invalidArgument("SmoothGrad's noise has shape \(tensor.shape); it needs \(shape)")
      }
      return tensor.scalars
    case .seeded(let seed):
      var generator = GaussianGenerator(seed: seed)
      return (0..<count).map { _ in generator.next() }
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
    let (alphas, weights) = try quadrature()
    let (input, targets, scores) = try explainer.resolvedTargets(request)
    let count = input.shape[0]
    let sampleShape = Array(input.shape.dropFirst())
    let size = sampleShape.reduce(1, *)
    let x = input.scalars
    let base = try baselineValues(count: count, sampleShape: sampleShape)
    // Run k * count + n is sample n at point alpha_k (Captum's order).
    let (gradients, _) = try explainer.batchedInputGradients(
      count: steps * count, batchSize: request.batchSize, sampleShape: sampleShape, target: { targets[$0 % count] }
    ) { run, buffer in
      let (k, n) = (run / count, run % count)
      let alpha = Float(alphas[k])
      for i in 0..<size {
        let b = base[n * size + i]
        buffer[i] = b + alpha * (x[n * size + i] - b)
      }
    }
    var total = [Float](repeating: 0, count: count * size)
    for run in 0..<(steps * count) {
      let (k, n) = (run / count, run % count)
      let weight = Float(weights[k])
      for i in 0..<size { total[n * size + i] += gradients[run * size + i] * weight }
    }
    for i in total.indices { total[i] *= x[i] - base[i] }
    return (try Tensor(shape: input.shape, values: total), targets, scores)
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

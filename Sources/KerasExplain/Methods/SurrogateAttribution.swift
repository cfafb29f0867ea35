import Foundation
import KerasRuntime

/// Where the binary perturbation vectors of LIME and Kernel SHAP come from.
public enum PerturbationSource: Sendable {
  /// kerasvis's seeded generator (`SeededGenerator`); every sample of a batch gets the same vectors.
  case seeded(UInt64)
  /// Given vectors, `(samples, features)` for every sample or `(N, samples, features)` one set per sample (1: the
  /// feature is kept, 0: replaced by the baseline).
  case given(Tensor)
}

/// A surrogate method's interpretable model and sampling: LIME's or Kernel SHAP's.
enum SurrogateKind: Sendable {
  /// LIME: Bernoulli(1/2) vectors, weights `exp(-d^2 / (2 width^2))` with `d` the cosine distance between the
  /// sample and its perturbation, a Lasso of strength `alpha`.
  case lime(alpha: Double, kernelWidth: Double)
  /// Kernel SHAP: the all-ones and all-zeros vectors, then vectors of `k` kept features, `k` drawn with
  /// probability proportional to `(M - 1) / (k (M - k))` and the kept ones uniformly; weights 1e6 for the first
  /// two (Captum's stand-in for infinity) and 1 otherwise; weighted least squares.
  case kernelSHAP
}

/// LIME and Kernel SHAP on superpixels, as Captum's `Lime` and `KernelShap` compute them for a given feature mask
/// and perturbation set: `samples` binary vectors `z` over the features (the segments), the model scored on
/// `x * z[mask] + baseline * (1 - z[mask])`, and a weighted linear model `S ~ b + z . c` fitted to the scores;
/// every pixel (and channel) of feature `j` is attributed `c_j` (Captum's `return_input_shape=True`).
struct SurrogateAttribution: Sendable {
  var kind: SurrogateKind
  var segmentation: Segmentation
  var samples: Int
  var baseline: Float
  var perturbations: PerturbationSource

  /// The binary vectors for `features` features, row-major `(samples, features)`, for sample `sample` of `count`.
  /// - Throws: `KerasVisError.invalidArgument` for given vectors of another shape or too few features for Kernel
  ///   SHAP.
  func vectors(features: Int, sample: Int, count: Int) throws -> [Float] {
    switch perturbations {
    case .given(let tensor):
      let size = samples * features
      if tensor.count == size { return tensor.scalars }
      guard tensor.count == count * size else {
        throw KerasVisError.invalidArgument(
          "the perturbations have shape \(tensor.shape); they must be (\(samples), \(features)) or (\(count), "
            + "\(samples), \(features))")
      }
      return Array(tensor.scalars[(sample * size)..<((sample + 1) * size)])
    case .seeded(let seed):
      var generator = SeededGenerator(state: seed)
      func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }
      var result: [Float] = []
      result.reserveCapacity(samples * features)
      switch kind {
      case .lime:
        for _ in 0..<(samples * features) { result.append(uniform() < 0.5 ? 1 : 0) }
      case .kernelSHAP:
        guard features >= 2 else {
          throw KerasVisError.invalidArgument("Kernel SHAP needs at least 2 features (got \(features))")
        }
        let m = Double(features)
        let kernel = (1..<features).map { k in (m - 1) / (Double(k) * (m - Double(k))) }
        let total = kernel.reduce(0, +)
        for row in 0..<samples {
          if row < 2 {
            result += [Float](repeating: row == 0 ? 1 : 0, count: features)
            continue
          }
          var draw = uniform() * total
          var kept = features - 1
          for (index, weight) in kernel.enumerated() {
            if draw < weight {
              kept = index + 1
              break
            }
            draw -= weight
          }
          // A uniform subset of `kept` features: the first `kept` of a Fisher-Yates shuffle.
          var order = Array(0..<features)
          for i in 0..<kept { order.swapAt(i, i + Int(generator.next() % UInt64(features - i))) }
          var vector = [Float](repeating: 0, count: features)
          for i in 0..<kept { vector[order[i]] = 1 }
          result += vector
        }
      }
      return result
    }
  }

  func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    guard samples > 0 else {
      throw KerasVisError.invalidArgument("LIME and Kernel SHAP need at least one perturbation (got \(samples))")
    }
    let (input, targets, scores) = try explainer.resolvedTargets(request)
    let count = input.shape[0]
    let sampleShape = Array(input.shape.dropFirst())
    let (height, width, channels) = try explainer.imageSampleShape(input, method: "LIME and Kernel SHAP")
    let pixels = height * width
    let x = input.scalars
    var masks: [[Int]] = []
    var vectors: [[Float]] = []
    var featureCounts: [Int] = []
    for n in 0..<count {
      let (indices, features) = try segmentation.segments(
        height: height, width: width, sample: n, count: count,
        values: x[(n * pixels * channels)..<((n + 1) * pixels * channels)])
      masks.append(indices)
      featureCounts.append(features)
      vectors.append(try self.vectors(features: features, sample: n, count: count))
    }
    func perturbed(_ n: Int, _ row: Int, into buffer: UnsafeMutableBufferPointer<Float>) {
      let features = featureCounts[n]
      for p in 0..<pixels {
        let kept = vectors[n][row * features + masks[n][p]] != 0
        for c in 0..<channels {
          buffer[p * channels + c] = kept ? x[(n * pixels + p) * channels + c] : baseline
        }
      }
    }
    // Run n * samples + row is sample n with perturbation `row`.
    let perturbedScores = try explainer.batchedScores(
      count: count * samples, batchSize: request.batchSize, sampleShape: sampleShape,
      target: { targets[$0 / samples] }
    ) { run, buffer in perturbed(run / samples, run % samples, into: buffer) }
    var attributions = [Float](repeating: 0, count: input.count)
    var scratch = [Float](repeating: 0, count: pixels * channels)
    for n in 0..<count {
      let features = featureCounts[n]
      let design = vectors[n].map(Double.init)
      let y = (0..<samples).map { Double(perturbedScores[n * samples + $0]) }
      let coefficients: [Double]
      switch kind {
      case .lime(let alpha, let kernelWidth):
        let original = x[(n * pixels * channels)..<((n + 1) * pixels * channels)]
        let weights = (0..<samples).map { row -> Double in
          scratch.withUnsafeMutableBufferPointer { perturbed(n, row, into: $0) }
          let distance = 1 - cosineSimilarity(original, scratch)
          return exp(-distance * distance / (2 * kernelWidth * kernelWidth))
        }
        coefficients =
          SurrogateRegression.lasso(design: design, targets: y, weights: weights, features: features, alpha: alpha)
          .coefficients
      case .kernelSHAP:
        let weights = (0..<samples).map { row -> Double in
          let kept = vectors[n][(row * features)..<((row + 1) * features)].reduce(0, +)
          return kept == 0 || Int(kept) == features ? 1e6 : 1
        }
        coefficients =
          SurrogateRegression.leastSquares(design: design, targets: y, weights: weights, features: features)
          .coefficients
      }
      for p in 0..<pixels {
        let value = Float(coefficients[masks[n][p]])
        for c in 0..<channels { attributions[(n * pixels + p) * channels + c] = value }
      }
    }
    let tensor = try Tensor(shape: input.shape, values: attributions)
    return Explanation(maps: try attributionMaps(tensor), attributions: tensor, targets: targets, scores: scores)
  }
}

/// `a . b / max(|a| |b|, 1e-8)` (PyTorch's `CosineSimilarity`, which Captum's LIME kernel uses).
func cosineSimilarity<A: Collection<Float>, B: Collection<Float>>(_ a: A, _ b: B) -> Double {
  var dot = 0.0
  var normA = 0.0
  var normB = 0.0
  for (u, v) in zip(a, b) {
    dot += Double(u) * Double(v)
    normA += Double(u) * Double(u)
    normB += Double(v) * Double(v)
  }
  return dot / max(normA.squareRoot() * normB.squareRoot(), 1e-8)
}

/// LIME (Ribeiro et al., arXiv 1602.04938) on superpixels as Captum's `Lime` computes it with its defaults:
/// Bernoulli(1/2) perturbations of the segments (`segmentation`), each replaced by `baseline` where off, weighted
/// by `exp(-d^2 / (2 kernelWidth^2))` with `d = 1 - cos(x, x')` (Captum's `get_exp_kernel_similarity_function
/// ("cosine", 1.0)`), and scikit-learn's `Lasso(alpha)` with an intercept (Captum's `SkLearnLasso(alpha=0.01)`)
/// as the interpretable model; every pixel of segment `j` is attributed the coefficient `c_j`.
///
/// `Explanation.attributions` are `(N, H, W, C)` (the same over channels), `maps` `normalize(max_c |a|)`.
public struct LIME: ExplanationMethod {
  /// The superpixels (Captum's `feature_mask`).
  public var segmentation: Segmentation
  /// The perturbations per sample (Captum's `n_samples`).
  public var samples: Int
  /// The value of a switched-off segment (Captum's `baselines`).
  public var baseline: Float
  /// The Lasso's strength.
  public var alpha: Double
  /// The similarity kernel's width.
  public var kernelWidth: Double
  /// Where the binary perturbation vectors come from.
  public var perturbations: PerturbationSource

  public var name: String { "lime" }
  public var usesLayer: Bool { false }

  public init(
    segmentation: Segmentation = .grid(segments: 16), samples: Int = 200, baseline: Float = 0, alpha: Double = 0.01,
    kernelWidth: Double = 1, perturbations: PerturbationSource = .seeded(0)
  ) {
    self.segmentation = segmentation
    self.samples = samples
    self.baseline = baseline
    self.alpha = alpha
    self.kernelWidth = kernelWidth
    self.perturbations = perturbations
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.requireChannelsLastInput(name)
    return try SurrogateAttribution(
      kind: .lime(alpha: alpha, kernelWidth: kernelWidth), segmentation: segmentation, samples: samples,
      baseline: baseline, perturbations: perturbations
    ).explain(request, with: explainer)
  }
}

/// Kernel SHAP (Lundberg & Lee, arXiv 1705.07874) on superpixels as Captum's `KernelShap` computes it: the
/// all-kept and all-off perturbations, then perturbations of `k` kept segments with `k` drawn from the Shapley
/// kernel `(M - 1) / (k (M - k))` and the kept segments uniformly; weights 1e6 for the first two and 1 for the
/// others; scikit-learn's `LinearRegression` with an intercept. Every pixel of segment `j` is attributed `c_j`,
/// its Shapley value estimate.
///
/// `Explanation.attributions` are `(N, H, W, C)` (the same over channels), `maps` `normalize(max_c |a|)`.
public struct KernelSHAP: ExplanationMethod {
  /// The superpixels (Captum's `feature_mask`).
  public var segmentation: Segmentation
  /// The perturbations per sample (Captum's `n_samples`), the two fixed ones included.
  public var samples: Int
  /// The value of a switched-off segment (Captum's `baselines`).
  public var baseline: Float
  /// Where the binary perturbation vectors come from.
  public var perturbations: PerturbationSource

  public var name: String { "kernel-shap" }
  public var usesLayer: Bool { false }

  public init(
    segmentation: Segmentation = .grid(segments: 16), samples: Int = 200, baseline: Float = 0,
    perturbations: PerturbationSource = .seeded(0)
  ) {
    self.segmentation = segmentation
    self.samples = samples
    self.baseline = baseline
    self.perturbations = perturbations
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.requireChannelsLastInput(name)
    return try SurrogateAttribution(
      kind: .kernelSHAP, segmentation: segmentation, samples: samples, baseline: baseline,
      perturbations: perturbations
    ).explain(request, with: explainer)
  }
}

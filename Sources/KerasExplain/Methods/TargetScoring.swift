import KerasGraph
import KerasRuntime

/// The scores of one request's targets on the tensor they read, and the gradient seeds of those scores, for
/// methods that run their own compiled model (a modified graph with the explainer's outputs and layer addresses):
/// FullGrad, ShapleyCAM. The first `seeds(for:)` resolves missing targets to each sample's top class (read as
/// `defaultScore`); later calls score the same targets.
struct TargetScoring {
  /// How the targets read the output (which activation the compiled model swaps to linear, whether softmax is
  /// applied here) and which tensor they read.
  let reading: OutputReading
  let source: ScoreSource
  /// The location of what the targets read, for messages.
  let location: LayerLocation
  /// The targets of every sample: as given, or the top classes once resolved.
  private(set) var targets: [ExplanationTarget?]
  /// The scores of the last `seeds(for:)`.
  private(set) var scores: [Float] = []
  /// What the targets read in the last `seeds(for:)`, `(N, ...)` (softmax applied where the reading does).
  private(set) var read: Tensor?
  private let defaultScore: ExplanationTarget.Score

  /// The scoring of `request`'s targets for `count` samples.
  /// - Throws: `KerasVisError` for targets that fit neither one nor every sample, or that read different outputs.
  init(_ request: ExplanationRequest, count: Int, explainer: Explainer) throws {
    let expanded = try explainer.expandedTargets(request.targets, count: count)
    (reading, source) = try explainer.outputReading(
      for: expanded ?? [.category(0, score: request.defaultScore, output: request.defaultOutput)])
    location = try explainer.location(of: source)
    targets = expanded ?? Array(repeating: nil, count: count)
    defaultScore = request.defaultScore
  }

  /// The resolved targets (call after `seeds(for:)`).
  var resolved: [ExplanationTarget] { targets.compactMap { $0 } }

  /// The gradient seed `d sum_i S_i / d read` for the forward result `forward` (through the softmax where the
  /// reading applies it), `(N, ...)` shaped as the tensor read; records the scores.
  mutating func seeds(for forward: ForwardResult) throws -> Tensor {
    let output = try source.value(in: forward)
    var seeds: [Tensor] = []
    var reads: [Tensor] = []
    scores = []
    let outputIndex: Int
    if case .output(let index) = source { outputIndex = index } else { outputIndex = 0 }
    for sample in targets.indices {
      let raw = try output.sample(sample).reshaped(Array(output.shape.dropFirst()))
      let read = reading.appliesSoftmax ? try squashed(raw) : raw
      let target = targets[sample] ?? .category(topIndex(read), score: defaultScore, output: outputIndex)
      targets[sample] = target
      var (value, seed) = try target.evaluate(read, layer: location)
      if reading.appliesSoftmax { seed = try unsquashedGradient(seed, probabilities: read) }
      scores.append(value)
      seeds.append(try seed.reshaped([1] + seed.shape))
      reads.append(try read.reshaped([1] + read.shape))
    }
    read = try Tensor.concatenatingBatches(reads)
    return try Tensor.concatenatingBatches(seeds)
  }
}

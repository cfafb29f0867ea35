import ArgumentParser
import Foundation
import KerasVis

extension BackpropModifier: ExpressibleByArgument {}
extension Convention: ExpressibleByArgument {}
extension ExplanationTarget.Score: ExpressibleByArgument {}
extension IntegratedGradients.Rule: ExpressibleByArgument {}
extension OverlaySize: ExpressibleByArgument {}
extension Colormap: ExpressibleByArgument {}
extension CAMMethodName: ExpressibleByArgument {}
extension AttributionMethodName: ExpressibleByArgument {}
extension ExplanationMethodName: ExpressibleByArgument {}
extension MetricName: ExpressibleByArgument {}
extension HeadFusion: ExpressibleByArgument {}

/// A binary classifier's class, for `--binary`.
enum BinaryClass: String, ExpressibleByArgument, CaseIterable {
  case positive, negative
}

/// `--grad-modifier`: one of keras-vis's gradient modifiers, or none.
enum GradModifierChoice: String, ExpressibleByArgument, CaseIterable {
  case absolute, relu, invert, negate
  case smallValues = "small_values"
  case none

  /// The library's modifier (nil for `none`).
  var modifier: GradModifier? { GradModifier(rawValue: rawValue) }
}

/// What the later methods explain (`--score`, `--binary`) and how many inputs one pass takes.
struct TargetArguments: ParsableArguments {
  @Option(
    help: """
      What a class score reads: output (default), logit (before the output's softmax or sigmoid; also --linear) or \
      probability.
      """)
  var score: ExplanationTarget.Score?

  @Option(help: "Explain a binary classifier's positive or negative class (a (N, 1) output) instead of --filter.")
  var binary: BinaryClass?

  @Option(help: "Inputs per forward pass for the batched methods (Score-CAM, Ablation-CAM, SmoothGrad, IG).")
  var batchSize = 32

  func validate() throws {
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
  }

  /// The targets for `filters` (one class, or several at once) or `--binary`; nil for the top class.
  func targets(filters: [Int]?, linear: Bool) -> [ExplanationTarget]? {
    let score = self.score ?? (linear ? .logit : .output)
    if let binary { return [.binary(positive: binary == .positive, score: score)] }
    guard let filters, !filters.isEmpty else { return nil }
    return [filters.count == 1 ? .category(filters[0], score: score) : .categories(filters, score: score)]
  }
}

/// The settings of the CAM methods after keras-vis (`cam --method`).
struct CAMMethodArguments: ParsableArguments {
  @Option(
    help: """
      Whose variant and resizing to follow: pytorch-grad-cam (default) or tf-keras-vis (Grad-CAM++, Score-CAM, \
      resizing).
      """)
  var convention: Convention = .pytorchGradCAM

  @Flag(help: "pytorch-grad-cam's eigen_smooth: the first principal component of the weighted feature map.")
  var eigenSmooth = false

  @Flag(help: "pytorch-grad-cam's aug_smooth: the mean map over flips and brightness changes of the input.")
  var augSmooth = false

  @Option(
    name: .customLong("max-n"),
    help: "Score-CAM: use only the N channels with the largest spatial deviation (Faster Score-CAM).")
  var maxN: Int?

  @Option(help: "attention-rollout: how each layer's heads are fused (mean, max, min).")
  var headFusion: HeadFusion = .mean

  @Option(help: "attention-rollout and gradient-rollout: the fraction of the smallest attentions dropped per layer.")
  var discardRatio: Double = 0.9

  func validate() throws {
    if let maxN, maxN <= 0 { throw ValidationError("--max-n must be positive") }
    guard (0..<1).contains(discardRatio) else { throw ValidationError("--discard-ratio must be in [0, 1)") }
  }
}

/// The settings of the gradient methods after keras-vis (`saliency --method`).
struct GradientMethodArguments: ParsableArguments {
  @Option(help: "SmoothGrad: noisy copies per input.")
  var samples = 20

  @Option(help: "SmoothGrad: the noise's standard deviation as a fraction of the input's value range.")
  var noiseLevel: Float = 0.2

  @Option(help: "SmoothGrad: the noise's random seed.")
  var seed: UInt64 = 0

  @Option(help: "Integrated Gradients: points on the path from the baseline.")
  var steps = 50

  @Option(help: "Integrated Gradients: the constant baseline.")
  var baseline: Float = 0

  @Option(
    help: """
      Integrated Gradients: gausslegendre (default), riemann_trapezoid, riemann_left, riemann_right, \
      riemann_middle.
      """)
  var rule: IntegratedGradients.Rule = .gaussLegendre

  func validate() throws {
    guard samples > 0 else { throw ValidationError("--samples must be positive") }
    guard steps > 0 else { throw ValidationError("--steps must be positive") }
    guard noiseLevel >= 0 else { throw ValidationError("--noise-level must not be negative") }
  }
}

/// Every later method's settings, for the commands that take methods of both families (`evaluate`, `compare`,
/// `report`).
struct MethodArguments: ParsableArguments {
  @OptionGroup var target: TargetArguments
  @OptionGroup var cam: CAMMethodArguments
  @OptionGroup var gradient: GradientMethodArguments

  /// The settings as the library's options.
  var options: MethodOptions { MethodOptions(cam: cam, gradient: gradient) }

  /// Inputs per forward pass.
  var batchSize: Int { target.batchSize }

  /// The targets for `filters` or `--binary` (see `TargetArguments.targets`).
  func targets(filters: [Int]?, linear: Bool) -> [ExplanationTarget]? {
    target.targets(filters: filters, linear: linear)
  }

  /// The request for one input.
  func request(input: Tensor, targets: [ExplanationTarget]?, layer: [Int]?) -> ExplanationRequest {
    ExplanationRequest(input: input, targets: targets, layer: layer, target: target, cam: cam)
  }
}

extension MethodOptions {
  /// The library's method settings from the command line's (the defaults where a command has no such options).
  init(cam: CAMMethodArguments?, gradient: GradientMethodArguments?) {
    self.init()
    if let cam {
      convention = cam.convention
      maxN = cam.maxN
      headFusion = cam.headFusion
      discardRatio = cam.discardRatio
    }
    if let gradient {
      samples = gradient.samples
      noiseLevel = gradient.noiseLevel
      seed = gradient.seed
      steps = gradient.steps
      baseline = gradient.baseline
      rule = gradient.rule
    }
  }
}

extension ExplanationRequest {
  /// A request with the command line's target and CAM settings.
  init(
    input: Tensor, targets: [ExplanationTarget]?, layer: [Int]?, target: TargetArguments, cam: CAMMethodArguments?
  ) {
    self.init(input: input, targets: targets, layer: layer)
    defaultScore = target.score ?? .output
    batchSize = target.batchSize
    if let cam {
      convention = cam.convention
      eigenSmooth = cam.eigenSmooth
      augmentationSmoothing = cam.augSmooth
    }
  }
}

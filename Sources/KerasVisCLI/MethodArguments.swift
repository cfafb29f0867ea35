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

extension PatchShape: ExpressibleByArgument {
  /// `HxW` or `HxWxC` (`8x8`, `5x5x1`), or `N` for `NxN`.
  public init?(argument: String) {
    let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard (1...3).contains(parts.count), let height = parts[0], parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
      return nil
    }
    self.init(
      height: height, width: parts.count > 1 ? parts[1] ?? height : height, channels: parts.count > 2 ? parts[2] : nil)
  }
}

/// `--input-bounds low,high`: the z^B rule's input bounds.
struct InputBounds: ExpressibleByArgument {
  var low: Float
  var high: Float

  init?(argument: String) {
    let parts = argument.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, let low = parts[0], let high = parts[1], low.isFinite, high.isFinite, low <= high else {
      return nil
    }
    (self.low, self.high) = (low, high)
  }
}

/// A binary classifier's class, for `--binary`.
enum BinaryClass: String, ExpressibleByArgument, CaseIterable {
  case positive, negative
}

/// `--superpixels`: how LIME and Kernel SHAP group pixels.
enum SuperpixelKind: String, ExpressibleByArgument, CaseIterable {
  case grid, slic
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

  @Option(
    help: "Inputs per forward pass for the batched methods (Score-CAM, Ablation-CAM, SmoothGrad, IG, perturbations).")
  var batchSize = 32

  @Option(
    help: ArgumentHelp(
      "For a model with several outputs: the explained one, by index in model.outputs or its layer's name.",
      valueName: "name|index"))
  var output: String?

  func validate() throws {
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
  }

  /// The targets for `filters` (one class, or several at once) or `--binary`; nil for the top class.
  func targets(filters: [Int]?, linear: Bool, output: Int = 0) -> [ExplanationTarget]? {
    let score = self.score ?? (linear ? .logit : .output)
    if let binary { return [.binary(positive: binary == .positive, score: score, output: output)] }
    guard let filters, !filters.isEmpty else { return nil }
    return [
      filters.count == 1
        ? .category(filters[0], score: score, output: output) : .categories(filters, score: score, output: output)
    ]
  }

  /// `--output`'s position in `graph.outputs` (0 without it).
  /// - Throws: `FlagValueError` naming `--output` when no output has that index or layer name.
  func outputIndex(in graph: Graph) throws -> Int {
    guard let output else { return 0 }
    let count = graph.outputs.count
    if let index = Int(output) {
      let resolved = index < 0 ? index + count : index
      guard (0..<count).contains(resolved) else {
        throw FlagValueError(flag: "--output", value: output, problem: "the model has \(count) outputs (0..<\(count))")
      }
      return resolved
    }
    let names: [String] = graph.outputs.map { source in
      if case .layerOutput(let layer, _, _) = source, graph.layers.indices.contains(layer) {
        return graph.layers[layer].name
      }
      return ""
    }
    guard let index = names.firstIndex(of: output) else {
      throw FlagValueError(
        flag: "--output", value: output,
        problem: "no output of the model comes from that layer (outputs: \(names.joined(separator: ", ")))")
    }
    return index
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

/// The settings of the attribution methods after keras-vis (`saliency --method`): gradients and perturbations.
struct GradientMethodArguments: ParsableArguments {
  @Option(help: "SmoothGrad: noisy copies per input.")
  var samples = 20

  @Option(help: "SmoothGrad: the noise's standard deviation as a fraction of the input's value range.")
  var noiseLevel: Float = 0.2

  @Option(help: "SmoothGrad, RISE, LIME, Kernel SHAP: the random seed.")
  var seed: UInt64 = 0

  @Option(help: "Integrated Gradients: points on the path from the baseline.")
  var steps = 50

  @Option(help: "Integrated Gradients, occlusion, LIME, Kernel SHAP: the constant baseline (occluded pixels' value).")
  var baseline: Float = 0

  @Option(
    help: """
      Integrated Gradients: gausslegendre (default), riemann_trapezoid, riemann_left, riemann_right, \
      riemann_middle.
      """)
  var rule: IntegratedGradients.Rule = .gaussLegendre

  @Option(help: ArgumentHelp("Occlusion: the occluded window, HxW (all channels) or HxWxC.", valueName: "HxW"))
  var window = PatchShape(height: 8, width: 8)

  @Option(help: ArgumentHelp("Occlusion: the window's strides, HxW or HxWxC.", valueName: "HxW"))
  var strides = PatchShape(height: 4, width: 4)

  @Option(help: "RISE: the number of random masks.")
  var masks = 1000

  @Option(help: "RISE: the mask grid's cells per side (a cell is ceil(H / N) pixels).")
  var gridSize = 8

  @Option(help: "RISE: the probability that a grid cell is kept.")
  var keepProbability: Float = 0.5

  @Option(help: "LIME, Kernel SHAP: perturbed copies per input (Captum's n_samples).")
  var perturbations = 200

  @Option(help: "LIME, Kernel SHAP: about this many superpixels.")
  var segments = 16

  @Option(help: "LIME, Kernel SHAP: superpixels as a grid of rectangular cells (default) or by SLIC.")
  var superpixels: SuperpixelKind = .grid

  @Option(help: "SLIC's compactness (scikit-image's slic; larger: squarer superpixels).")
  var compactness: Double = 10

  @Option(help: "LRP: the epsilon rule's epsilon (zennit's default 1e-6).")
  var epsilon: Float = 1e-6

  @Option(help: "LRP: the gamma rule's gamma (zennit's default 0.25).")
  var gamma: Float = 0.25

  @Option(
    help: ArgumentHelp(
      """
      LRP z^B rule (lrp-epsilon-gamma-box, deep-taylor): the first layer's input bounds (default: each input's own \
      range); --input-bounds=-1,1 for a negative bound.
      """,
      valueName: "low,high"))
  var inputBounds: InputBounds?

  func validate() throws {
    guard samples > 0 else { throw ValidationError("--samples must be positive") }
    guard perturbations > 0 else { throw ValidationError("--perturbations must be positive") }
    guard masks > 0 else { throw ValidationError("--masks must be positive") }
    guard gridSize > 0 else { throw ValidationError("--grid-size must be positive") }
    guard keepProbability > 0, keepProbability <= 1 else {
      throw ValidationError("--keep-probability must be in (0, 1]")
    }
    guard segments > 0 else { throw ValidationError("--segments must be positive") }
    guard compactness > 0 else { throw ValidationError("--compactness must be positive") }
    guard steps > 0 else { throw ValidationError("--steps must be positive") }
    guard noiseLevel >= 0 else { throw ValidationError("--noise-level must not be negative") }
    guard epsilon >= 0, epsilon.isFinite else { throw ValidationError("--epsilon must be a non-negative number") }
    guard gamma >= 0, gamma.isFinite else { throw ValidationError("--gamma must be a non-negative number") }
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
      perturbationSamples = gradient.perturbations
      noiseLevel = gradient.noiseLevel
      seed = gradient.seed
      steps = gradient.steps
      baseline = gradient.baseline
      rule = gradient.rule
      window = gradient.window
      strides = gradient.strides
      masks = gradient.masks
      gridSize = gradient.gridSize
      keepProbability = gradient.keepProbability
      segments = gradient.segments
      slicCompactness = gradient.superpixels == .slic ? gradient.compactness : nil
      lrpEpsilon = gradient.epsilon
      lrpGamma = gradient.gamma
      if let bounds = gradient.inputBounds { lrpBounds = .constant(low: bounds.low, high: bounds.high) }
    }
  }
}

extension ExplanationRequest {
  /// A request with the command line's target and CAM settings.
  init(
    input: Tensor, targets: [ExplanationTarget]?, layer: [Int]?, target: TargetArguments, cam: CAMMethodArguments?,
    outputIndex: Int = 0
  ) {
    self.init(input: input, targets: targets, layer: layer)
    defaultScore = target.score ?? .output
    defaultOutput = outputIndex
    batchSize = target.batchSize
    if let cam {
      convention = cam.convention
      eigenSmooth = cam.eigenSmooth
      augmentationSmoothing = cam.augSmooth
    }
  }
}

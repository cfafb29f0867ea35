import KerasGraph
import KerasRuntime

/// Where pytorch-grad-cam (jacobgil/pytorch-grad-cam 1.5) and tf-keras-vis (keisen/tf-keras-vis 0.8) compute the
/// same method differently, which one to follow.
///
/// - `pytorchGradCAM`: each map is ReLU'd, shifted to a minimum of 0, divided by `1e-7 + max`, resized to the input
///   with OpenCV's bilinear `cv2.resize` (pixel centres aligned), then scaled to 0...1 again (`scale_cam_image`).
/// - `tfKerasVis`: each map is ReLU'd, resized with `scipy.ndimage.zoom(order=1)` (corner pixels aligned), then
///   scaled to 0...1 by `(x - min) / (max - min + 1e-7)` (tf-keras-vis's `normalize`).
///
/// Some methods also differ in their formula (Grad-CAM++, Score-CAM); those take the convention as a variant.
public enum Convention: String, Sendable, CaseIterable {
  case pytorchGradCAM = "pytorch-grad-cam"
  case tfKerasVis = "tf-keras-vis"
}

/// One explanation request: the inputs, what to explain about them, and where.
public struct ExplanationRequest: Sendable {
  /// The model input, `(N, H, W, C)` or a single `(H, W, C)` sample (`(N, C, H, W)` for a channels_first model);
  /// for a model with several inputs, the first.
  public var input: Tensor
  /// For a model with several inputs, the inputs after the first, in `model.inputs` order (each `(N, ...)` with the
  /// same `N`, or one sample); empty for a model with one input.
  public var additionalInputs: [Tensor] = []
  /// What to explain: nil for the top class of each sample (`argmax` of its output, read with `defaultScore`),
  /// one target for every sample, or one per sample.
  public var targets: [ExplanationTarget]?
  /// How the default targets read the output.
  public var defaultScore: ExplanationTarget.Score = .output
  /// Which model output (by position in `model.outputs`) the default targets read, for a model with several.
  public var defaultOutput = 0
  /// The feature-map layer of a CAM method, by address through nested models (`[310]`, `[0, 151]`); nil picks
  /// the last spatial feature map before the head (see `Explainer.automaticCAMLayer()`). Ignored by gradient
  /// methods.
  public var layer: [Int]?
  /// Several feature-map layers for one map (multi-layer CAM, pytorch-grad-cam's `target_layers` with more than
  /// one): each layer's map is ReLU'd, scaled to 0...1 and resized to the input, then the maps are averaged and
  /// scaled again (`BaseCAM.aggregate_multi_layers`). Used instead of `layer` when it holds more than one address;
  /// pytorch-grad-cam's convention only.
  public var layers: [[Int]] = []
  /// Resizing and scaling of CAM maps.
  public var convention: Convention = .pytorchGradCAM
  /// pytorch-grad-cam's `eigen_smooth`: the weighted activations are reduced to their first principal component
  /// (see `principalComponentProjection`) instead of summed over channels.
  public var eigenSmooth = false
  /// pytorch-grad-cam's `aug_smooth`: the mean map over six test-time augmentations (horizontal flip or not, times
  /// brightness factors 0.9, 1, 1.1), each map computed on the augmented input and un-flipped.
  public var augmentationSmoothing = false
  /// How many masked or perturbed inputs one forward pass takes at most (Score-CAM, Ablation-CAM, SmoothGrad,
  /// Integrated Gradients, occlusion, RISE, LIME, Kernel SHAP); 32 is tf-keras-vis's Score-CAM default and pytorch-grad-cam's Ablation-CAM default.
  public var batchSize = 32

  /// A request for `input` (and nil targets: the top class of each sample).
  public init(input: Tensor, targets: [ExplanationTarget]? = nil, layer: [Int]? = nil) {
    self.input = input
    self.targets = targets
    self.layer = layer
  }

  /// A request for a model with several inputs: `inputs` holds one tensor per model input, in `model.inputs` order
  /// (tf-keras-vis's list `seed_input`).
  /// - Throws: `KerasVisError.invalidInput` for an empty list.
  public init(inputs: [Tensor], targets: [ExplanationTarget]? = nil, layer: [Int]? = nil) throws {
    guard let first = inputs.first else { throw KerasVisError.invalidInput("the request gives no input tensors") }
    self.input = first
    self.additionalInputs = Array(inputs.dropFirst())
    self.targets = targets
    self.layer = layer
  }

  /// Every model input of the request: `input`, then `additionalInputs` (setting an empty list keeps `input`).
  public var inputs: [Tensor] {
    get { [input] + additionalInputs }
    set {
      if let first = newValue.first { input = first }
      additionalInputs = Array(newValue.dropFirst())
    }
  }
}

/// What a method returns.
public struct Explanation: Sendable {
  /// The maps: `(N, H, W)` in 0...1 for CAM and gradient-magnitude methods; `(N, H, W, C)` for Guided Grad-CAM
  /// (gradient-valued, as in the paper). For a model with several inputs, the first input's (a CAM's: the first
  /// input it can be resized to); `inputMaps` holds every input's.
  public var maps: Tensor
  /// The raw per-pixel attributions of gradient and perturbation methods, `(N, H, W, C)` (for Integrated
  /// Gradients: `(x - x') *` the averaged gradient; for RISE `(N, H, W, 1)`, its saliency), nil for CAM methods.
  public var attributions: Tensor?
  /// The CAM maps before resizing and scaling, `(N, h, w)` (after ReLU), nil for gradient methods.
  public var lowResolutionMaps: Tensor?
  /// The feature-map layer used (CAM methods), by address through nested models.
  public var layer: [Int]?
  /// The target of every sample, resolved (the top classes when the request gave none).
  public var targets: [ExplanationTarget]
  /// The score of every sample's target on the unmodified input.
  public var scores: [Float]
  /// For a model with several inputs, one map per model input (tf-keras-vis's list of maps), in `model.inputs`
  /// order: a CAM resized to each input's spatial size (nil for an input with other spatial axes, such as a vector),
  /// a gradient method's per-pixel map of each input (per feature, `(N, D)`, for an input without spatial axes).
  /// Empty for a model with one input (its map is `maps`); see `map(ofInput:)`.
  public var inputMaps: [Tensor?] = []
  /// For a model with several inputs, the raw attributions of every input (gradient methods), shaped as the input;
  /// empty otherwise.
  public var inputAttributions: [Tensor?] = []

  /// The map of model input `index`: `inputMaps[index]`, or `maps` for input 0 of a one-input explanation.
  public func map(ofInput index: Int) -> Tensor? {
    if inputMaps.isEmpty { return index == 0 ? maps : nil }
    return inputMaps.indices.contains(index) ? inputMaps[index] : nil
  }

  public init(
    maps: Tensor, attributions: Tensor? = nil, lowResolutionMaps: Tensor? = nil, layer: [Int]? = nil,
    targets: [ExplanationTarget], scores: [Float]
  ) {
    self.maps = maps
    self.attributions = attributions
    self.lowResolutionMaps = lowResolutionMaps
    self.layer = layer
    self.targets = targets
    self.scores = scores
  }
}

/// An explanation method: Grad-CAM and its successors, Score-CAM, SmoothGrad, Integrated Gradients, ...
///
/// Every method takes an `ExplanationRequest` and returns an `Explanation` for each sample of the batch; methods
/// run on any model kerasvis imports, including nested models.
public protocol ExplanationMethod: Sendable {
  /// The name `kerasvis cam/saliency --method` accepts (`gradcam++`, `smoothgrad`).
  var name: String { get }
  /// Whether the method explains through a feature-map layer (the CAM family).
  var usesLayer: Bool { get }
  /// Explains `request` with `explainer`'s model.
  func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation
}

extension Explainer {
  /// Explains `request` with `method`: `try explainer.explain(ExplanationRequest(input: image), with: GradCAM())`.
  public func explain(_ request: ExplanationRequest, with method: any ExplanationMethod) throws -> Explanation {
    try method.explain(request, with: self)
  }

  /// The targets for `count` samples: the request's (one repeated, or one per sample), or nil to use the top class.
  /// - Throws: `KerasVisError.invalidArgument` when the count fits neither.
  func expandedTargets(_ targets: [ExplanationTarget]?, count: Int) throws -> [ExplanationTarget]? {
    guard let targets else { return nil }
    if targets.count == 1 { return Array(repeating: targets[0], count: count) }
    guard targets.count == count else {
      throw KerasVisError.invalidArgument(
        "give one target for all samples or one per sample: got \(targets.count) targets for \(count) samples")
    }
    return targets
  }
}

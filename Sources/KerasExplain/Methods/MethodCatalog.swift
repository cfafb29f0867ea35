/// Settings of the methods that have any, for choosing a method by name.
public struct MethodOptions: Sendable {
  /// Which library's variant of Grad-CAM++ and Score-CAM to use.
  public var convention: Convention = .pytorchGradCAM
  /// Score-CAM: Faster Score-CAM's channel count (nil: every channel).
  public var maxN: Int?
  /// SmoothGrad: noisy copies per sample.
  public var samples = 20
  /// SmoothGrad: the noise's standard deviation as a fraction of the sample's value range.
  public var noiseLevel: Float = 0.2
  /// SmoothGrad, RISE, LIME, Kernel SHAP: the random generator's seed.
  public var seed: UInt64 = 0
  /// Integrated Gradients: quadrature points.
  public var steps = 50
  /// Integrated Gradients, occlusion, LIME, Kernel SHAP: the constant baseline (the value of occluded or
  /// switched-off pixels).
  public var baseline: Float = 0
  /// Integrated Gradients: the quadrature rule.
  public var rule: IntegratedGradients.Rule = .gaussLegendre
  /// Occlusion: the occluded window (nil channels: all of them).
  public var window = PatchShape(height: 8, width: 8)
  /// Occlusion: the window's strides (nil channels: 1).
  public var strides = PatchShape(height: 4, width: 4)
  /// RISE: the number of random masks.
  public var masks = 1000
  /// RISE: the mask grid's cells per side.
  public var gridSize = 8
  /// RISE: the probability that a grid cell is kept.
  public var keepProbability: Float = 0.5
  /// LIME, Kernel SHAP: the perturbations per input.
  public var perturbationSamples = 200
  /// LIME, Kernel SHAP: about how many superpixels.
  public var segments = 16
  /// LIME, Kernel SHAP: SLIC superpixels with this compactness (scikit-image's default 10 suits RGB samples, which
  /// SLIC compares in Lab; samples of other channel counts, compared as scaled to 0...1, want about 0.1 to 1), or
  /// nil for a grid.
  public var slicCompactness: Double?
  /// Attention rollout: how each layer's heads are fused.
  public var headFusion: HeadFusion = .mean
  /// Attention rollout and gradient rollout: the fraction of the smallest attentions dropped per layer.
  public var discardRatio: Double = 0.9
  /// LRP: the epsilon of the epsilon rule (zennit's default 1e-6).
  public var lrpEpsilon: Float = 1e-6
  /// LRP: the gamma of the gamma rule (zennit's default 0.25).
  public var lrpGamma: Float = 0.25
  /// LRP: the input bounds of the z^B rule (default: each sample's own range).
  public var lrpBounds: LRPBounds = .inputRange

  public init() {}

  /// LIME's and Kernel SHAP's superpixels: SLIC where `slicCompactness` is set, else the grid.
  public var segmentation: Segmentation {
    slicCompactness.map { .slic(segments: segments, compactness: $0) } ?? .grid(segments: segments)
  }
}

/// The class activation map methods by the names `kerasvis cam --method` accepts (they explain through a
/// feature-map layer).
public enum CAMMethodName: String, Sendable, CaseIterable {
  case gradcam
  case gradcamPlusPlus = "gradcam++"
  case hirescam, xgradcam, layercam, scorecam, ablationcam, eigencam, eigengradcam
  case guidedGradcam = "guided-gradcam"
  case guidedGradcamPlusPlus = "guided-gradcam++"
  case gradcamElementwise = "gradcam-elementwise"
  case fem
  case kpcaCam = "kpca-cam"
  case finercam
  /// FullGrad (no feature-map layer: every convolution's and BatchNormalization's bias) and ShapleyCAM.
  case fullgrad, shapleycam
  /// jacobgil/vit-explain's attention rollout and gradient attention rollout over a ViT's MultiHeadAttention
  /// layers (they need no feature-map layer).
  case attentionRollout = "attention-rollout"
  case gradientRollout = "gradient-rollout"

  /// Whether the method reads attention probabilities (a model with MultiHeadAttention layers) rather than a
  /// feature map.
  public var needsAttention: Bool { self == .attentionRollout || self == .gradientRollout }
}

/// The attribution methods (input gradients and input perturbations) by the names `kerasvis saliency --method`
/// accepts.
public enum AttributionMethodName: String, Sendable, CaseIterable {
  case vanilla, smoothgrad
  case integratedGradients = "integrated-gradients"
  case inputXGradient = "input-x-gradient"
  case guidedBackprop = "guided-backprop"
  case occlusion, rise, lime
  case kernelSHAP = "kernel-shap"
  /// Layer-wise Relevance Propagation with one rule for every linear layer, or a zennit composite, and Deep Taylor
  /// (see `LayerwiseRelevancePropagation`).
  case lrpEpsilon = "lrp-epsilon"
  case lrpZPlus = "lrp-z-plus"
  case lrpAlpha1Beta0 = "lrp-alpha1-beta0"
  case lrpAlpha2Beta1 = "lrp-alpha2-beta1"
  case lrpWSquare = "lrp-w-square"
  case lrpFlat = "lrp-flat"
  case lrpGamma = "lrp-gamma"
  case lrpEpsilonPlusFlat = "lrp-epsilon-plus-flat"
  case lrpEpsilonGammaBox = "lrp-epsilon-gamma-box"
  case lrpEpsilonAlpha2Beta1 = "lrp-epsilon-alpha2-beta1"
  case deepTaylor = "deep-taylor"

  /// The layer rules of an LRP method, nil for the others.
  public func lrpComposite(options: MethodOptions = MethodOptions()) -> LRPComposite? {
    switch self {
    case .lrpEpsilon: return .uniform(.epsilon(options.lrpEpsilon))
    case .lrpZPlus: return .uniform(.zPlus)
    case .lrpAlpha1Beta0: return .uniform(.alphaBeta(alpha: 1, beta: 0))
    case .lrpAlpha2Beta1: return .uniform(.alphaBeta(alpha: 2, beta: 1))
    case .lrpWSquare: return .uniform(.wSquare)
    case .lrpFlat: return .uniform(.flat)
    case .lrpGamma: return .uniform(.gamma(options.lrpGamma))
    case .lrpEpsilonPlusFlat: return .epsilonPlusFlat(epsilon: options.lrpEpsilon)
    case .lrpEpsilonGammaBox:
      return .epsilonGammaBox(epsilon: options.lrpEpsilon, gamma: options.lrpGamma, bounds: options.lrpBounds)
    case .lrpEpsilonAlpha2Beta1: return .epsilonAlpha2Beta1(epsilon: options.lrpEpsilon)
    case .deepTaylor: return .deepTaylor(bounds: options.lrpBounds)
    default: return nil
    }
  }
}

/// Any method of the catalog by name: a CAM method or an attribution method (what `kerasvis evaluate --method`
/// accepts).
public enum ExplanationMethodName: Hashable, Sendable, CaseIterable, RawRepresentable {
  /// A class activation map method.
  case cam(CAMMethodName)
  /// An attribution method.
  case attribution(AttributionMethodName)

  public static var allCases: [ExplanationMethodName] {
    CAMMethodName.allCases.map(Self.cam) + AttributionMethodName.allCases.map(Self.attribution)
  }

  public init?(rawValue: String) {
    if let cam = CAMMethodName(rawValue: rawValue) {
      self = .cam(cam)
    } else if let attribution = AttributionMethodName(rawValue: rawValue) {
      self = .attribution(attribution)
    } else {
      return nil
    }
  }

  public var rawValue: String {
    switch self {
    case .cam(let name): return name.rawValue
    case .attribution(let name): return name.rawValue
    }
  }
}

/// The methods by the names `kerasvis cam --method` and `kerasvis saliency --method` accept.
public enum MethodCatalog {
  /// Class activation map methods (they explain through a feature-map layer).
  public static let camMethods = CAMMethodName.allCases.filter { !$0.needsAttention }.map(\.rawValue)
  /// The ViT methods `cam --method` also takes (they read the MultiHeadAttention layers' probabilities).
  public static let attentionMethods = CAMMethodName.allCases.filter(\.needsAttention).map(\.rawValue)
  /// Attribution methods (input gradients and perturbations).
  public static let gradientMethods = AttributionMethodName.allCases.map(\.rawValue)

  /// The CAM method `name`, set up with `options`.
  public static func method(_ name: CAMMethodName, options: MethodOptions = MethodOptions()) -> any ExplanationMethod {
    switch name {
    case .gradcam: return GradCAM()
    case .gradcamPlusPlus: return GradCAMPlusPlus(variant: options.convention)
    case .hirescam: return HiResCAM()
    case .xgradcam: return XGradCAM()
    case .layercam: return LayerCAM()
    case .scorecam: return ScoreCAM(variant: options.convention, maxN: options.maxN)
    case .ablationcam: return AblationCAM()
    case .eigencam: return EigenCAM()
    case .eigengradcam: return EigenGradCAM()
    case .guidedGradcam: return GuidedCAM(cam: GradCAM())
    case .guidedGradcamPlusPlus: return GuidedCAM(cam: GradCAMPlusPlus(variant: options.convention))
    case .gradcamElementwise: return GradCAMElementWise()
    case .fem: return FEM()
    case .kpcaCam: return KPCACAM()
    case .finercam: return FinerCAM()
    case .fullgrad: return FullGrad()
    case .shapleycam: return ShapleyCAM()
    case .attentionRollout: return AttentionRollout(headFusion: options.headFusion, discardRatio: options.discardRatio)
    case .gradientRollout: return GradientAttentionRollout(discardRatio: options.discardRatio)
    }
  }

  /// The attribution method `name` (input gradients or perturbations), set up with `options`.
  public static func method(_ name: AttributionMethodName, options: MethodOptions = MethodOptions())
    -> any ExplanationMethod
  {
    switch name {
    case .vanilla: return VanillaSaliency()
    case .smoothgrad:
      return SmoothGrad(samples: options.samples, noiseLevel: options.noiseLevel, noise: .seeded(options.seed))
    case .integratedGradients:
      return IntegratedGradients(steps: options.steps, baseline: .constant(options.baseline), rule: options.rule)
    case .inputXGradient: return InputXGradient()
    case .guidedBackprop: return GuidedBackpropagation()
    case .occlusion:
      return Occlusion(
        window: options.window, strides: options.strides, baseline: options.baseline)
    case .rise:
      return RISE(
        masks: options.masks, gridSize: options.gridSize, keepProbability: options.keepProbability,
        seed: options.seed)
    case .lime:
      return LIME(
        segmentation: options.segmentation, samples: options.perturbationSamples,
        baseline: options.baseline, perturbations: .seeded(options.seed))
    case .kernelSHAP:
      return KernelSHAP(
        segmentation: options.segmentation, samples: options.perturbationSamples,
        baseline: options.baseline, perturbations: .seeded(options.seed))
    case .lrpEpsilon, .lrpZPlus, .lrpAlpha1Beta0, .lrpAlpha2Beta1, .lrpWSquare, .lrpFlat, .lrpGamma,
      .lrpEpsilonPlusFlat, .lrpEpsilonGammaBox, .lrpEpsilonAlpha2Beta1, .deepTaylor:
      return LayerwiseRelevancePropagation(
        name: name.rawValue, composite: name.lrpComposite(options: options) ?? .uniform(.epsilon(options.lrpEpsilon)))
    }
  }

  /// The method `name`, set up with `options`.
  public static func method(_ name: ExplanationMethodName, options: MethodOptions = MethodOptions())
    -> any ExplanationMethod
  {
    switch name {
    case .cam(let cam): return method(cam, options: options)
    case .attribution(let attribution): return method(attribution, options: options)
    }
  }

  /// The method called `name`, set up with `options`.
  /// - Throws: `KerasVisError.invalidArgument` listing the names for an unknown one.
  public static func method(named name: String, options: MethodOptions = MethodOptions()) throws
    -> any ExplanationMethod
  {
    let lowered = name.lowercased()
    let aliases = [
      "gradcamplusplus": "gradcam++", "saliency": "vanilla", "ig": "integrated-gradients",
      "kernelshap": "kernel-shap", "shap": "kernel-shap",
    ]
    let canonical = aliases[lowered] ?? lowered
    if let cam = CAMMethodName(rawValue: canonical) { return method(cam, options: options) }
    if let gradient = AttributionMethodName(rawValue: canonical) { return method(gradient, options: options) }
    throw KerasVisError.invalidArgument(
      "unknown method '\(name)': use one of \((camMethods + attentionMethods + gradientMethods).joined(separator: ", "))"
    )
  }
}

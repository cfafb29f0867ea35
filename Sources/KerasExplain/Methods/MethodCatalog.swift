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
  /// SmoothGrad: the noise generator's seed.
  public var seed: UInt64 = 0
  /// Integrated Gradients: quadrature points.
  public var steps = 50
  /// Integrated Gradients: the constant baseline.
  public var baseline: Float = 0
  /// Integrated Gradients: the quadrature rule.
  public var rule: IntegratedGradients.Rule = .gaussLegendre

  public init() {}
}

/// The methods by the names `kerasvis cam --method` and `kerasvis saliency --method` accept.
public enum MethodCatalog {
  /// Class activation map methods (they explain through a feature-map layer).
  public static let camMethods = [
    "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "scorecam", "ablationcam", "eigencam", "eigengradcam",
    "guided-gradcam", "guided-gradcam++",
  ]
  /// Input-gradient methods.
  public static let gradientMethods = [
    "vanilla", "smoothgrad", "integrated-gradients", "input-x-gradient", "guided-backprop",
  ]

  /// The method called `name`, set up with `options`.
  /// - Throws: `KerasVisError.invalidArgument` listing the names for an unknown one.
  public static func method(named name: String, options: MethodOptions = MethodOptions()) throws
    -> any ExplanationMethod
  {
    switch name.lowercased() {
    case "gradcam": return GradCAM()
    case "gradcam++", "gradcamplusplus": return GradCAMPlusPlus(variant: options.convention)
    case "hirescam": return HiResCAM()
    case "xgradcam": return XGradCAM()
    case "layercam": return LayerCAM()
    case "scorecam": return ScoreCAM(variant: options.convention, maxN: options.maxN)
    case "ablationcam": return AblationCAM()
    case "eigencam": return EigenCAM()
    case "eigengradcam": return EigenGradCAM()
    case "guided-gradcam": return GuidedCAM(cam: GradCAM())
    case "guided-gradcam++": return GuidedCAM(cam: GradCAMPlusPlus(variant: options.convention))
    case "vanilla", "saliency": return VanillaSaliency()
    case "smoothgrad":
      return SmoothGrad(samples: options.samples, noiseLevel: options.noiseLevel, noise: .seeded(options.seed))
    case "integrated-gradients", "ig":
      return IntegratedGradients(steps: options.steps, baseline: .constant(options.baseline), rule: options.rule)
    case "input-x-gradient": return InputXGradient()
    case "guided-backprop": return GuidedBackpropagation()
    default:
      throw KerasVisError.invalidArgument(
        "unknown method '\(name)': use one of \((camMethods + gradientMethods).joined(separator: ", "))")
    }
  }
}

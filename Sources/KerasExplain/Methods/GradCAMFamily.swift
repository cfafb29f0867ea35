import KerasRuntime

/// Grad-CAM (Selvaraju et al., arXiv 1610.02391): channel weights are the spatial means of the gradient,
/// `w_c = mean_{i,j} dS/dA_{ijc}`, and the map is `relu(sum_c w_c A_c)`. pytorch-grad-cam's `GradCAM`,
/// tf-keras-vis's `Gradcam` (the same formula; they differ in resizing, see `Convention`).
public struct GradCAM: ClassActivationMapping {
  public var name: String { "gradcam" }
  public var usesGradients: Bool { true }

  public init() {}

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    let (activations, gradients) = try activationsAndGradients(pass)
    let shape = FeatureMaps(activations)
    let g = gradients.scalars
    var weights = [Float](repeating: 0, count: shape.count * shape.channels)
    for n in 0..<shape.count {
      for p in 0..<shape.positions {
        for c in 0..<shape.channels { weights[n * shape.channels + c] += g[shape.index(n, p, c)] }
      }
    }
    for i in weights.indices { weights[i] /= Float(shape.positions) }
    return try channelWeighted(activations, weights: weights)
  }
}

/// Grad-CAM++ (Chattopadhyay et al., arXiv 1710.11063): channel weights
/// `w_c = sum_{ij} alpha_{ijc} relu(g_{ijc})` with `alpha_{ijc} = g^2 / (2 g^2 + sum_{ab} A_{abc} g^3)` (the paper's
/// eq. 19 with the exponential score's derivatives, which cancel), and the map `relu(sum_c w_c A_c)`.
///
/// The two libraries differ:
/// - `pytorchGradCAM` (`gradcam++`, pytorch-grad-cam's `GradCAMPlusPlus`): `alpha = g^2 / (2 g^2 + sum A g^3 + 1e-6)`,
///   and 0 where `g == 0`.
/// - `tfKerasVis` (tf-keras-vis's `GradcamPlusPlus`): the denominator gets 1 added where `g^2 == 0` instead of the
///   epsilon, and the alphas are then divided by their sum over positions (per sample and channel; 1 added where
///   that sum is 0) before weighting `relu(g)`. tf-keras-vis also multiplies `g` by `exp(score)`, which the final
///   scaling to 0...1 removes; kerasvis leaves that factor out so that a large logit cannot overflow.
public struct GradCAMPlusPlus: ClassActivationMapping {
  /// Whose formula to follow.
  public var variant: Convention

  public var name: String { "gradcam++" }
  public var usesGradients: Bool { true }

  public init(variant: Convention = .pytorchGradCAM) {
    self.variant = variant
  }

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    let (activations, gradients) = try activationsAndGradients(pass)
    let shape = FeatureMaps(activations)
    let a = activations.scalars
    let g = gradients.scalars
    var weights = [Float](repeating: 0, count: shape.count * shape.channels)
    for n in 0..<shape.count {
      for c in 0..<shape.channels {
        var activationSum: Float = 0
        for p in 0..<shape.positions { activationSum += a[shape.index(n, p, c)] }
        var alphas = [Float](repeating: 0, count: shape.positions)
        for p in 0..<shape.positions {
          let gradient = g[shape.index(n, p, c)]
          let square = gradient * gradient
          let cube = square * gradient
          switch variant {
          case .pytorchGradCAM:
            alphas[p] = gradient != 0 ? square / (2 * square + activationSum * cube + 1e-6) : 0
          case .tfKerasVis:
            alphas[p] = square / (2 * square + cube * activationSum + (square == 0 ? 1 : 0))
          }
        }
        if variant == .tfKerasVis {
          var total: Float = 0
          for alpha in alphas { total += alpha }
          if total == 0 { total = 1 }
          for p in alphas.indices { alphas[p] /= total }
        }
        var weight: Float = 0
        for p in 0..<shape.positions { weight += max(g[shape.index(n, p, c)], 0) * alphas[p] }
        weights[n * shape.channels + c] = weight
      }
    }
    return try channelWeighted(activations, weights: weights)
  }
}

/// HiResCAM (Draelos & Carin, arXiv 2011.08891): the element-wise product of gradient and feature map,
/// `relu(sum_c g_c * A_c)` (pytorch-grad-cam's `HiResCAM`); faithful to the model's computation for models whose
/// head is a global average pooling followed by linear layers.
public struct HiResCAM: ClassActivationMapping {
  public var name: String { "hirescam" }
  public var usesGradients: Bool { true }

  public init() {}

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    try gradientTimesActivation(pass) { $0 }
  }
}

/// XGrad-CAM (Fu et al., arXiv 2008.02312): channel weights normalized by the channel's activation sum,
/// `w_c = sum_{ij} g_{ijc} A_{ijc} / (sum_{ij} A_{ijc} + 1e-7)`, map `relu(sum_c w_c A_c)` (pytorch-grad-cam's
/// `XGradCAM`).
public struct XGradCAM: ClassActivationMapping {
  public var name: String { "xgradcam" }
  public var usesGradients: Bool { true }

  public init() {}

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    let (activations, gradients) = try activationsAndGradients(pass)
    let shape = FeatureMaps(activations)
    let a = activations.scalars
    let g = gradients.scalars
    var weights = [Float](repeating: 0, count: shape.count * shape.channels)
    for n in 0..<shape.count {
      for c in 0..<shape.channels {
        var activationSum: Float = 0
        var product: Float = 0
        for p in 0..<shape.positions {
          let i = shape.index(n, p, c)
          activationSum += a[i]
          product += g[i] * a[i]
        }
        weights[n * shape.channels + c] = product / (activationSum + 1e-7)
      }
    }
    return try channelWeighted(activations, weights: weights)
  }
}

/// LayerCAM (Jiang et al., IEEE TIP 2021, doi:10.1109/TIP.2021.3089943): position-wise weights from the positive
/// gradient, `relu(sum_c relu(g_c) * A_c)` (pytorch-grad-cam's `LayerCAM`, tf-keras-vis's `Layercam`).
public struct LayerCAM: ClassActivationMapping {
  public var name: String { "layercam" }
  public var usesGradients: Bool { true }

  public init() {}

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    try gradientTimesActivation(pass) { max($0, 0) }
  }
}

/// Eigen-CAM (Muhammad & Yeasin, arXiv 2008.00299): the projection of the feature map on its first principal
/// component, `relu(A_centered v_1)` (see `principalComponentProjection`); class-agnostic, no gradients
/// (pytorch-grad-cam's `EigenCAM`).
public struct EigenCAM: ClassActivationMapping {
  public var name: String { "eigencam" }
  public var usesGradients: Bool { false }
  public var alwaysProjects: Bool { true }

  public init() {}

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    guard let activations = pass.activations else {
      throw KerasVisError.invalidArgument("eigencam needs the feature map")
    }
    return activations
  }
}

/// Eigen-Grad-CAM (pytorch-grad-cam's `EigenGradCAM`, after arXiv 2008.00299): the first principal component of
/// the element-wise product `g * A`, `relu((g * A)_centered v_1)`; class-discriminative.
public struct EigenGradCAM: ClassActivationMapping {
  public var name: String { "eigengradcam" }
  public var usesGradients: Bool { true }
  public var alwaysProjects: Bool { true }

  public init() {}

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    try gradientTimesActivation(pass) { $0 }
  }
}

extension ClassActivationMapping {
  /// `f(g) * A` element by element, the map of HiResCAM (`f(g) = g`) and LayerCAM (`f(g) = relu(g)`).
  func gradientTimesActivation(_ pass: TargetedPass, _ transform: (Float) -> Float) throws -> Tensor {
    let (activations, gradients) = try activationsAndGradients(pass)
    let g = gradients.scalars
    let a = activations.scalars
    return try Tensor(shape: activations.shape) { transform(g[$0]) * a[$0] }
  }
}

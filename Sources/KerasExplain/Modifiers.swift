import KerasRuntime

/// keras-vis's backprop modifiers: how the gradient passes through ReLUs (`vis.backprop_modifiers`).
public enum BackpropModifier: String, Sendable, CaseIterable {
  /// Guided backpropagation (Springenberg et al., arXiv 1412.6806): only positive gradients through positive
  /// activations.
  case guided
  /// keras-vis's `rectified` (after Zeiler & Fergus's deconvnet, arXiv 1311.2901): only positive gradients.
  case rectified
  /// keras-vis's alias of `rectified`.
  case relu
  /// keras-vis's alias of `rectified`.
  case deconv

  /// The ReLU gradient rule the engine applies.
  public var rule: ReLUGradientRule {
    switch self {
    case .guided: return .guided
    case .rectified, .relu, .deconv: return .rectified
    }
  }
}

/// keras-vis's gradient modifiers (`vis.grad_modifiers`), applied to the gradient array before it is used.
public enum GradModifier: String, Sendable, CaseIterable {
  /// `|g|` (saliency's default).
  case absolute
  /// `g` with negative values set to 0.
  case relu
  /// `1 / (g + 1e-7)`.
  case invert
  /// `-g`.
  case negate
  /// `|1 / (g + 1e-7)|`.
  case smallValues = "small_values"

  /// Keras's `K.epsilon()`.
  static let epsilon: Float = 1e-7

  /// Applies the modifier to every element.
  public func apply(_ gradient: Tensor) -> Tensor {
    var result = gradient
    result.withUnsafeMutableBufferPointer { values in
      for i in values.indices {
        let g = values[i]
        switch self {
        case .absolute: values[i] = abs(g)
        case .relu: values[i] = g < 0 ? 0 : g
        case .invert: values[i] = 1 / (g + GradModifier.epsilon)
        case .negate: values[i] = -g
        case .smallValues: values[i] = abs(1 / (g + GradModifier.epsilon))
        }
      }
    }
    return result
  }
}

/// An element-wise (or, for softmax-like functions, last-axis) activation, by its Keras name.
///
/// Formulas follow `keras.activations` (Keras 2 and 3); names that are aliases in Keras map to one case
/// (`silu` is `swish`, `hard_swish` is `hard_silu`).
public enum ActivationFunction: String, Sendable, CaseIterable {
  /// `x`
  case linear
  /// `max(x, 0)`
  case relu
  /// `min(max(x, 0), 6)`
  case relu6
  /// `x` for x > 0, `0.2 x` otherwise (Keras 3's default negative slope for the `leaky_relu` function).
  case leakyReLU = "leaky_relu"
  /// `1 / (1 + exp(-x))`
  case sigmoid
  /// Keras 3's `hard_sigmoid`: `relu6(x + 3) / 6 = clip(x / 6 + 0.5, 0, 1)`.
  case hardSigmoid = "hard_sigmoid"
  /// Keras 2's `hard_sigmoid`: `clip(0.2 x + 0.5, 0, 1)` (files written by Keras 2.x decode to this).
  case hardSigmoidKeras2 = "hard_sigmoid_keras2"
  /// `log(sigmoid(x))`
  case logSigmoid = "log_sigmoid"
  /// `tanh(x)`
  case tanh
  /// `clip(x, -1, 1)`
  case hardTanh = "hard_tanh"
  /// `exp(x) / sum(exp(x))` over the last axis.
  case softmax
  /// `x - log(sum(exp(x)))` over the last axis.
  case logSoftmax = "log_softmax"
  /// Sparsemax over the last axis (Martins & Astudillo 2016, arXiv 1602.02068).
  case sparsemax
  /// `log(1 + exp(x))`
  case softplus
  /// `x / (1 + |x|)`
  case softsign
  /// `x` for x > 0, `exp(x) - 1` otherwise.
  case elu
  /// `scale * elu(x, alpha)` with Klambauer et al.'s constants (arXiv 1706.02515).
  case selu
  /// `max(0, x) + min(0, alpha (exp(x / alpha) - 1))` with alpha 1.
  case celu
  /// `exp(x)`
  case exponential
  /// `x * sigmoid(x)` (arXiv 1710.05941); Keras's `silu` is the same function.
  case swish
  /// `x * relu6(x + 3) / 6` (arXiv 1905.02244).
  case hardSilu = "hard_silu"
  /// Gaussian error linear unit, exact erf form (arXiv 1606.08415).
  case gelu
  /// `x * tanh(softplus(x))` (arXiv 1908.08681).
  case mish
  /// Gated linear unit over the last axis: `a * sigmoid(b)` for the two halves `a`, `b`.
  case glu
  /// `0` for x <= -1, `(x + 1)^2 / 4` for -1 < x < 1, `x` otherwise.
  case sparsePlus = "sparse_plus"
  /// `(x + sqrt(x^2 + b)) / 2` with b = 4.
  case squareplus
  /// `x - 0.5` above 0.5, `x + 0.5` below -0.5, else 0.
  case softShrink = "soft_shrink"
  /// `x` where |x| > 0.5, else 0.
  case hardShrink = "hard_shrink"
  /// `x - tanh(x)`
  case tanhShrink = "tanh_shrink"
  /// `0` for x <= -1, `1` for x >= 1, `(x + 1) / 2` between.
  case sparseSigmoid = "sparse_sigmoid"

  /// Decodes Keras's serialized activation: a name, `null` (linear), or a Keras 3 object
  /// `{"class_name": "function", "config": "relu", ...}`. Returns nil for names kerasvis does not know.
  /// `kerasMajorVersion` picks the Keras 2 or Keras 3 meaning of `hard_sigmoid`.
  public init?(keras value: JSONValue?, kerasMajorVersion: Int) {
    guard let value, !value.isNull else {
      self = .linear
      return
    }
    if let name = value.string {
      self.init(kerasName: name, kerasMajorVersion: kerasMajorVersion)
    } else if let name = value["config"]?.string ?? value["config"]?["name"]?.string {
      self.init(kerasName: name, kerasMajorVersion: kerasMajorVersion)
    } else {
      return nil
    }
  }

  /// Decodes a Keras activation name, including aliases (`silu`, `hard_swish`).
  public init?(kerasName name: String, kerasMajorVersion: Int) {
    switch name {
    case "hard_sigmoid": self = kerasMajorVersion >= 3 ? .hardSigmoid : .hardSigmoidKeras2
    case "hard_sigmoid_keras2": return nil
    case "silu": self = .swish
    case "hard_swish": self = .hardSilu
    case "None", "none", "": self = .linear
    default:
      guard let function = ActivationFunction(rawValue: name) else { return nil }
      self = function
    }
  }

  /// Whether the function mixes values along the last axis (it is not element-wise).
  public var actsOnLastAxis: Bool {
    switch self {
    case .softmax, .logSoftmax, .sparsemax, .glu: return true
    default: return false
    }
  }
}

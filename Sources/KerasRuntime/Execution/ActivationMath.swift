import CDNNL
import Foundation
import KerasGraph

/// Keras's element-wise activations as Swift functions (forward value and derivative), following
/// TensorFlow's kernels, and the oneDNN algorithm where one computes the same function.
enum ActivationMath {
  static let seluAlpha: Float = 1.6732632423543772848170429916717
  static let seluScale: Float = 1.0507009873554804934193349852946

  /// The oneDNN algorithm for `function`, when oneDNN has one. `modifiable` marks plain ReLUs for keras-vis's
  /// backprop modifiers.
  static func dnnl(_ function: ActivationFunction, modifiable: Bool = true) -> DNNLActivation? {
    switch function {
    case .relu:
      return DNNLActivation(
        algorithm: dnnl_eltwise_relu, alpha: 0, beta: 0, gradientFromOutput: .relu(negativeSlope: 0),
        isModifiableReLU: modifiable)
    case .relu6:
      return DNNLActivation(
        algorithm: dnnl_eltwise_clip_v2, alpha: 0, beta: 6, gradientFromOutput: .clippedReLU(upper: 6),
        isModifiableReLU: false)
    case .elu:
      return DNNLActivation(
        algorithm: dnnl_eltwise_elu, alpha: 1, beta: 0, gradientFromOutput: .elu(alpha: 1), isModifiableReLU: false)
    case .tanh:
      return DNNLActivation(
        algorithm: dnnl_eltwise_tanh, alpha: 0, beta: 0, gradientFromOutput: .tanh, isModifiableReLU: false)
    case .sigmoid:
      return DNNLActivation(
        algorithm: dnnl_eltwise_logistic, alpha: 0, beta: 0, gradientFromOutput: .sigmoid, isModifiableReLU: false)
    case .exponential:
      return DNNLActivation(
        algorithm: dnnl_eltwise_exp, alpha: 0, beta: 0, gradientFromOutput: .exponential, isModifiableReLU: false)
    case .swish:
      return DNNLActivation(
        algorithm: dnnl_eltwise_swish, alpha: 1, beta: 0, gradientFromOutput: nil, isModifiableReLU: false)
    case .gelu:
      return DNNLActivation(
        algorithm: dnnl_eltwise_gelu_erf, alpha: 0, beta: 0, gradientFromOutput: nil, isModifiableReLU: false)
    default:
      return nil
    }
  }

  /// A leaky ReLU (`x` for x > 0, `slope * x` otherwise) on oneDNN.
  static func leakyReLU(slope: Float) -> DNNLActivation {
    DNNLActivation(
      algorithm: dnnl_eltwise_relu, alpha: slope, beta: 0,
      gradientFromOutput: slope >= 0 ? .relu(negativeSlope: slope) : nil,
      isModifiableReLU: false)
  }

  /// ELU with `alpha` on oneDNN.
  static func elu(alpha: Float) -> DNNLActivation {
    DNNLActivation(
      algorithm: dnnl_eltwise_elu, alpha: alpha, beta: 0, gradientFromOutput: alpha >= 0 ? .elu(alpha: alpha) : nil,
      isModifiableReLU: false)
  }

  /// TensorFlow's numerically stable softplus.
  static func softplus(_ x: Float) -> Float {
    let threshold = Float(log(Double(Float.ulpOfOne))) + 2
    if x > -threshold { return x }
    if x < threshold { return exp(x) }
    return log1p(exp(x))
  }

  static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

  /// Whether `function` is computed element-wise by `value(_:_:)`.
  static func isElementwise(_ function: ActivationFunction) -> Bool {
    switch function {
    case .softmax, .logSoftmax, .sparsemax, .glu: return false
    default: return true
    }
  }

  /// `function(x)`.
  static func value(_ function: ActivationFunction, _ x: Float) -> Float {
    switch function {
    case .linear: return x
    case .relu: return max(x, 0)
    case .relu6: return min(max(x, 0), 6)
    case .leakyReLU: return x > 0 ? x : 0.2 * x
    case .sigmoid: return sigmoid(x)
    case .hardSigmoid: return min(max(x + 3, 0), 6) / 6
    case .hardSigmoidKeras2: return min(max(x * 0.2 + 0.5, 0), 1)
    case .logSigmoid: return -softplus(-x)
    case .tanh: return Foundation.tanh(x)
    case .hardTanh: return min(max(x, -1), 1)
    case .softplus: return softplus(x)
    case .softsign: return x / (1 + abs(x))
    case .elu: return x > 0 ? x : expm1(x)
    case .selu: return seluScale * (x > 0 ? x : seluAlpha * expm1(x))
    case .celu: return max(0, x) + min(0, expm1(x))
    case .exponential: return exp(x)
    case .swish: return x * sigmoid(x)
    case .hardSilu: return x * min(max(x + 3, 0), 6) / 6
    case .gelu: return 0.5 * x * (1 + erf(x / Float(2).squareRoot()))
    case .mish: return x * Foundation.tanh(softplus(x))
    case .sparsePlus: return x <= -1 ? 0 : x >= 1 ? x : (x + 1) * (x + 1) / 4
    case .squareplus: return (x + (x * x + 4).squareRoot()) / 2
    case .softShrink: return x > 0.5 ? x - 0.5 : x < -0.5 ? x + 0.5 : 0
    case .hardShrink: return abs(x) > 0.5 ? x : 0
    case .tanhShrink: return x - Foundation.tanh(x)
    case .sparseSigmoid: return x <= -1 ? 0 : x >= 1 ? 1 : (x + 1) / 2
    case .softmax, .logSoftmax, .sparsemax, .glu: return x
    }
  }

  /// `d function / dx` at `x`.
  static func derivative(_ function: ActivationFunction, _ x: Float) -> Float {
    switch function {
    case .linear: return 1
    case .relu: return x > 0 ? 1 : 0
    case .relu6: return x > 0 && x < 6 ? 1 : 0
    case .leakyReLU: return x > 0 ? 1 : 0.2
    case .sigmoid:
      let s = sigmoid(x)
      return s * (1 - s)
    case .hardSigmoid: return x > -3 && x < 3 ? 1 / 6 : 0
    case .hardSigmoidKeras2: return x > -2.5 && x < 2.5 ? 0.2 : 0
    case .logSigmoid: return sigmoid(-x)
    case .tanh:
      let t = Foundation.tanh(x)
      return 1 - t * t
    case .hardTanh: return x > -1 && x < 1 ? 1 : 0
    case .softplus: return sigmoid(x)
    case .softsign:
      let d = 1 + abs(x)
      return 1 / (d * d)
    case .elu: return x > 0 ? 1 : exp(x)
    case .selu: return seluScale * (x > 0 ? 1 : seluAlpha * exp(x))
    case .celu: return x > 0 ? 1 : exp(x)
    case .exponential: return exp(x)
    case .swish:
      let s = sigmoid(x)
      return s * (1 + x * (1 - s))
    case .hardSilu: return x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6
    case .gelu:
      let cdf = 0.5 * (1 + erf(x / Float(2).squareRoot()))
      let pdf = exp(-0.5 * x * x) / (2 * Float.pi).squareRoot()
      return cdf + x * pdf
    case .mish:
      let sp = softplus(x)
      let t = Foundation.tanh(sp)
      return t + x * (1 - t * t) * sigmoid(x)
    case .sparsePlus: return x <= -1 ? 0 : x >= 1 ? 1 : (x + 1) / 2
    case .squareplus: return (1 + x / (x * x + 4).squareRoot()) / 2
    case .softShrink: return abs(x) > 0.5 ? 1 : 0
    case .hardShrink: return abs(x) > 0.5 ? 1 : 0
    case .tanhShrink:
      let t = Foundation.tanh(x)
      return t * t
    case .sparseSigmoid: return x > -1 && x < 1 ? 0.5 : 0
    case .softmax, .logSoftmax, .sparsemax, .glu: return 1
    }
  }
}

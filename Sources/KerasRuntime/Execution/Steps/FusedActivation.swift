import CDNNL
import CDNNLShim

/// An element-wise activation run by oneDNN, either as its own primitive or fused as a post-op of a
/// convolution or inner product, with what its backward pass needs.
struct DNNLActivation {
  var algorithm: dnnl_alg_kind_t
  var alpha: Float
  var beta: Float
  /// How the gradient is computed from the activation's output `y` alone, if it can be (what a fused post-op
  /// needs, since its input is never stored). Nil when the input is required.
  var gradientFromOutput: OutputGradient?
  /// Whether keras-vis's backprop modifiers replace this activation's gradient (plain ReLU).
  var isModifiableReLU: Bool

  /// The gradient rule of an activation written in terms of its output.
  enum OutputGradient {
    /// `dx = dy * (y > 0)` (or `alpha * dy` where y <= 0, for a leaky ReLU).
    case relu(negativeSlope: Float)
    /// `dx = dy * (0 < y < upper)`.
    case clippedReLU(upper: Float)
    /// `dx = dy * (y > 0 ? 1 : y + alpha)`.
    case elu(alpha: Float)
    /// `dx = dy * (1 - y^2)`.
    case tanh
    /// `dx = dy * y * (1 - y)`.
    case sigmoid
    /// `dx = dy * y`.
    case exponential
  }
}

/// The gradient of an activation computed from its output by oneDNN's element-wise primitives (`*_use_dst_for_bwd`
/// algorithms; vectorized and multithreaded, several times faster than a Swift loop), keras-vis's modified ReLU
/// rules included: guided is the ReLU gradient of `relu(dy)`, rectified is `relu(dy)`.
final class OutputGradientPrimitive {
  private let primitive: DNNLPrimitive
  /// `relu(dy)`, for keras-vis's modifiers.
  private let positivePart: DNNLPrimitive
  private let modifiable: Bool

  /// nil when oneDNN has no output-based algorithm for the activation.
  init?(_ activation: DNNLActivation, desc: MemoryDesc, engine: dnnl_engine_t, label: String) throws {
    guard let gradient = activation.gradientFromOutput else { return nil }
    let algorithm: dnnl_alg_kind_t
    var alpha: Float = 0
    var beta: Float = 0
    switch gradient {
    case .relu(let slope):
      algorithm = dnnl_eltwise_relu_use_dst_for_bwd
      alpha = slope
    case .clippedReLU(let upper):
      algorithm = dnnl_eltwise_clip_v2_use_dst_for_bwd
      beta = upper
    case .elu(let value):
      algorithm = dnnl_eltwise_elu_use_dst_for_bwd
      alpha = value
    case .tanh: algorithm = dnnl_eltwise_tanh_use_dst_for_bwd
    case .sigmoid: algorithm = dnnl_eltwise_logistic_use_dst_for_bwd
    case .exponential: algorithm = dnnl_eltwise_exp_use_dst_for_bwd
    }
    let hint = try DNNLPrimitive(name: label + " (activation)") {
      kvdnnl_eltwise_forward_create($0, engine, dnnl_forward_training, algorithm, desc.handle, alpha, beta, nil)
    }
    primitive = try DNNLPrimitive(name: label + " (activation gradient)") {
      kvdnnl_eltwise_backward_create($0, engine, algorithm, desc.handle, desc.handle, alpha, beta, hint.descriptor, nil)
    }
    positivePart = try DNNLPrimitive(name: label + " (gradient gate)") {
      kvdnnl_eltwise_forward_create($0, engine, dnnl_forward_inference, dnnl_eltwise_relu, desc.handle, 0, 0, nil)
    }
    modifiable = activation.isModifiableReLU
  }

  /// `dx` from the activation's output `y` and `dy` (all in the layout given at creation), following `rule` for a
  /// plain ReLU. `dx` may be `dy`'s memory.
  func run(y: DNNLMemory, dy: DNNLMemory, dx: DNNLMemory, rule: ReLUGradientRule, stream: DNNLStream) throws {
    guard modifiable, rule != .standard else {
      try primitive.execute(stream, [(DNNL_ARG_DST, y), (DNNL_ARG_DIFF_DST, dy), (DNNL_ARG_DIFF_SRC, dx)])
      return
    }
    try positivePart.execute(stream, [(DNNL_ARG_SRC, dy), (DNNL_ARG_DST, dx)])
    if rule == .guided {
      try primitive.execute(stream, [(DNNL_ARG_DST, y), (DNNL_ARG_DIFF_DST, dx), (DNNL_ARG_DIFF_SRC, dx)])
    }
  }
}

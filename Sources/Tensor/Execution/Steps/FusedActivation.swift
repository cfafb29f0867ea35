import CDNNL

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

  /// Applies the output-based gradient rule element-wise: `dx[i]` from `y[i]` and `dy[i]` (any layout, as long as
  /// the three buffers share it). For a modifiable ReLU the rule is `rule`.
  static func backward(
    _ gradient: OutputGradient, rule: ReLUGradientRule, modifiable: Bool, y: UnsafePointer<Float>,
    dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count: Int
  ) {
    Parallel.forRanges(count) { range in
      switch gradient {
      case .relu(let slope):
        if modifiable && slope == 0 {
          switch rule {
          case .standard:
            for i in range { dx[i] = y[i] > 0 ? dy[i] : 0 }
          case .guided:
            for i in range { dx[i] = y[i] > 0 && dy[i] > 0 ? dy[i] : 0 }
          case .rectified:
            for i in range { dx[i] = dy[i] > 0 ? dy[i] : 0 }
          }
        } else {
          for i in range { dx[i] = y[i] > 0 ? dy[i] : slope * dy[i] }
        }
      case .clippedReLU(let upper):
        for i in range { dx[i] = y[i] > 0 && y[i] < upper ? dy[i] : 0 }
      case .elu(let alpha):
        for i in range { dx[i] = y[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha) }
      case .tanh:
        for i in range { dx[i] = dy[i] * (1 - y[i] * y[i]) }
      case .sigmoid:
        for i in range { dx[i] = dy[i] * y[i] * (1 - y[i]) }
      case .exponential:
        for i in range { dx[i] = dy[i] * y[i] }
      }
    }
  }
}

import Foundation
import KerasRuntime

/// The lowest and highest values a layer's input may take, for the z^B (ZBox) rule.
public enum LRPBounds: Sendable, Equatable {
  /// Each sample's own smallest and largest input value (the preprocessed input's range).
  case inputRange
  /// The same bounds for every input value.
  case constant(low: Float, high: Float)
}

/// One rule of Layer-wise Relevance Propagation for a linear layer (Dense, a convolution; BatchNormalization merged
/// into it): how the relevance `R` of the layer's output `z = W x + b` is given back to its input `x`.
///
/// Every rule is zennit's (chr-peters/zennit 0.5) modified gradient: with inputs `x'_t`, weights `W'_t` and biases
/// `b'_t` chosen by the rule (terms `t`), `z'_t = W'_t x'_t + b'_t` and
/// `R_in = sum_t c_t x'_t * W'_t^T (R / stab(zsum))`, `stab(v) = v + eps sign(v)` (sign +1 at 0):
///
/// - `epsilon(e)`: `x' = x`, `W' = W` (LRP-epsilon; `e = 0` is LRP-0), Bach et al. 2015, PLoS ONE 10(7):
///   e0130140.
/// - `zPlus`: the positive part, `x+ W+ (+ b+)` and `x- W-` (the z+ rule of Montavon et al. 2017, alpha1-beta0).
/// - `alphaBeta(alpha:beta:)`: `alpha` times the positive contributions' share minus `beta` times the negative
///   ones' (Bach et al. 2015), with `alpha - beta = 1`.
/// - `wSquare`: `x' = 1`, `W' = W^2` (Montavon et al. 2017, Pattern Recognition 65:211-222, arXiv 1512.02479).
/// - `flat`: `x' = 1`, `W' = 1`, no bias (Lapuschkin et al. 2019).
/// - `gamma(g)`: `W + g W+` for the positive outputs' share, `W + g W-` for the negative ones' (Montavon et al.,
///   "Layer-Wise Relevance Propagation: An Overview", 2019; zennit's generalized form, which allows negative
///   inputs).
/// - `zBox(bounds)`: z^B for bounded inputs `l <= x <= h`: `x W - l W+ - h W-` (Montavon et al. 2017).
public enum LRPRule: Sendable, Equatable {
  /// LRP-epsilon with this epsilon (zennit's `Epsilon`).
  case epsilon(Float)
  /// z+ (zennit's `ZPlus`; alpha1-beta0 with the bias's positive part).
  case zPlus
  /// alpha-beta (zennit's `AlphaBeta`), `alpha - beta = 1`.
  case alphaBeta(alpha: Float, beta: Float)
  /// w^2 (zennit's `WSquare`).
  case wSquare
  /// flat (zennit's `Flat`).
  case flat
  /// gamma with this gamma (zennit's `Gamma`).
  case gamma(Float)
  /// z^B with these input bounds (zennit's `ZBox`).
  case zBox(LRPBounds)

  /// What one term feeds the modified layer.
  enum TermInput: Hashable {
    case input, positive, negative, ones, low, high
  }

  /// How one term changes a parameter.
  enum ParameterChange: Hashable {
    case unchanged, positive, negative, square, ones, zero
    /// `p + gamma * max(p, 0)` (`positive`) or `p + gamma * min(p, 0)`.
    case gamma(Float, positive: Bool)

    func apply(_ value: Float) -> Float {
      switch self {
      case .unchanged: return value
      case .positive: return max(value, 0)
      case .negative: return min(value, 0)
      case .square: return value * value
      case .ones: return 1
      case .zero: return 0
      case .gamma(let gamma, let positive): return value + gamma * (positive ? max(value, 0) : min(value, 0))
      }
    }
  }

  /// One term: its input, its weights, its bias and its sign in the sum (zennit's `input_modifiers`,
  /// `param_modifiers` and `reducer`).
  struct Term: Hashable {
    var input: TermInput
    var weights: ParameterChange
    var bias: ParameterChange
    var coefficient: Float = 1
  }

  /// The rule's terms.
  var terms: [Term] {
    switch self {
    case .epsilon: return [Term(input: .input, weights: .unchanged, bias: .unchanged)]
    case .zPlus:
      return [
        Term(input: .positive, weights: .positive, bias: .positive),
        Term(input: .negative, weights: .negative, bias: .zero),
      ]
    case .alphaBeta(let alpha, let beta):
      return [
        Term(input: .positive, weights: .positive, bias: .positive, coefficient: alpha),
        Term(input: .negative, weights: .negative, bias: .zero, coefficient: alpha),
        Term(input: .positive, weights: .negative, bias: .negative, coefficient: -beta),
        Term(input: .negative, weights: .positive, bias: .zero, coefficient: -beta),
      ]
    case .wSquare: return [Term(input: .ones, weights: .square, bias: .square)]
    case .flat: return [Term(input: .ones, weights: .ones, bias: .zero)]
    case .gamma(let gamma):
      let (up, down) = (ParameterChange.gamma(gamma, positive: true), ParameterChange.gamma(gamma, positive: false))
      return [
        Term(input: .positive, weights: up, bias: up), Term(input: .negative, weights: down, bias: .zero),
        Term(input: .positive, weights: down, bias: down), Term(input: .negative, weights: up, bias: .zero),
      ]
    case .zBox:
      return [
        Term(input: .input, weights: .unchanged, bias: .unchanged),
        Term(input: .low, weights: .positive, bias: .positive, coefficient: -1),
        Term(input: .high, weights: .negative, bias: .negative, coefficient: -1),
      ]
    }
  }

  /// The seed of every term's vector-Jacobian product (zennit's `gradient_mapper`), times the term's coefficient:
  /// from the relevance `r` of the output, the terms' outputs `z` and the layer's own output `original` (read by
  /// gamma only), with `stabilizer` for every rule but epsilon (whose own epsilon stabilizes it). Terms with one
  /// denominator and one coefficient share one tensor.
  /// - Throws: `KerasVisError.invalidInput` when the tensors' element counts differ.
  func seeds(relevance r: Tensor, outputs z: [Tensor], original: () throws -> Tensor, stabilizer: Float) throws
    -> [Tensor]
  {
    /// `r / stab(sum_k sign_k z_k)` where `mask` holds (of `original`), else 0.
    func divided(_ parts: [(term: Int, sign: Float)], epsilon: Float, mask: Bool? = nil) throws -> Tensor {
      let count = r.count
      guard parts.allSatisfy({ z.indices.contains($0.term) && z[$0.term].count == count }) else {
        throw KerasVisError.invalidInput("LRP: a term's output has \(z.map(\.count)) values; the relevance \(count)")
      }
      let kept = try mask.map { _ in try original() }
      if let kept, kept.count != count {
        throw KerasVisError.invalidInput("LRP: the layer's output has \(kept.count) values; the relevance \(count)")
      }
      var result = r
      result.withUnsafeMutableBufferPointer { out in
        for (position, part) in parts.enumerated() {
          z[part.term].withUnsafeBufferPointer { values in
            if position == 0 {
              for i in 0..<count { out[i] = part.sign * values[i] }
            } else {
              for i in 0..<count { out[i] += part.sign * values[i] }
            }
          }
        }
        r.withUnsafeBufferPointer { relevance in
          for i in 0..<count { out[i] = relevance[i] / stabilized(out[i], epsilon) }
        }
        if let kept, let positive = mask {
          kept.withUnsafeBufferPointer { values in
            for i in 0..<count where positive ? !(values[i] > 0) : !(values[i] < 0) { out[i] = 0 }
          }
        }
      }
      return result
    }
    func scaled(_ tensor: Tensor, by coefficient: Float) -> Tensor {
      guard coefficient != 1 else { return tensor }
      var result = tensor
      result.withUnsafeMutableBufferPointer { values in
        for i in values.indices { values[i] *= coefficient }
      }
      return result
    }
    switch self {
    case .epsilon(let epsilon): return [try divided([(0, 1)], epsilon: epsilon)]
    case .wSquare, .flat: return [try divided([(0, 1)], epsilon: stabilizer)]
    case .zPlus:
      let s = try divided([(0, 1), (1, 1)], epsilon: stabilizer)
      return [s, s]
    case .alphaBeta(let alpha, let beta):
      let positive = try divided([(0, 1), (1, 1)], epsilon: stabilizer)
      let negative = try divided([(2, 1), (3, 1)], epsilon: stabilizer)
      let (up, down) = (scaled(positive, by: alpha), scaled(negative, by: -beta))
      return [up, up, down, down]
    case .gamma:
      let positive = try divided([(0, 1), (1, 1)], epsilon: stabilizer, mask: true)
      let negative = try divided([(2, 1), (3, 1)], epsilon: stabilizer, mask: false)
      return [positive, positive, negative, negative]
    case .zBox:
      let s = try divided([(0, 1), (1, -1), (2, -1)], epsilon: stabilizer)
      return [s, scaled(s, by: -1), scaled(s, by: -1)]
    }
  }
}

/// zennit's stabilizer: `v + epsilon` for `v >= 0`, `v - epsilon` below.
func stabilized(_ value: Float, _ epsilon: Float) -> Float {
  value + (value >= 0 ? epsilon : -epsilon)
}

/// Which rule each layer gets: zennit's composites. Element-wise activations (not softmax, which zennit does not
/// count as one) and unmerged BatchNormalization pass relevance on unchanged (zennit's `Pass`), Add and average
/// pooling (global too) redistribute it in proportion to their inputs' contributions (`Norm`:
/// `R_in = x * VJP(R / stab(z))`), every other layer without a rule (max pooling, concatenation, reshapes, padding,
/// softmax, ...) passes it back through its vector-Jacobian product.
public struct LRPComposite: Sendable, Equatable {
  /// The rule of Dense layers (zennit's `torch.nn.Linear`).
  public var dense: LRPRule
  /// The rule of convolutions (every rank, depthwise, separable, transposed).
  public var convolution: LRPRule
  /// The rule of the first linear layer (in execution order) of the kinds `firstAppliesToDense` says, if any.
  public var first: LRPRule?
  /// Whether `first` also takes a Dense layer (zennit's `Linear` first map) or only convolutions.
  public var firstAppliesToDense: Bool
  /// The stabilizer of every rule but epsilon, and of `Norm`.
  public var stabilizer: Float

  /// A composite: `dense` for Dense layers, `convolution` for convolutions, `first` (if any) for the first linear
  /// layer.
  public init(
    dense: LRPRule, convolution: LRPRule, first: LRPRule? = nil, firstAppliesToDense: Bool = true,
    stabilizer: Float = 1e-6
  ) {
    self.dense = dense
    self.convolution = convolution
    self.first = first
    self.firstAppliesToDense = firstAppliesToDense
    self.stabilizer = stabilizer
  }

  /// One rule for every linear layer.
  public static func uniform(_ rule: LRPRule) -> LRPComposite {
    LRPComposite(dense: rule, convolution: rule)
  }

  /// zennit's `EpsilonPlusFlat`: flat for the first linear layer, z+ for convolutions, epsilon for Dense.
  public static func epsilonPlusFlat(epsilon: Float = 1e-6) -> LRPComposite {
    LRPComposite(dense: .epsilon(epsilon), convolution: .zPlus, first: .flat)
  }

  /// zennit's `EpsilonGammaBox`: z^B for the first convolution, gamma for the others, epsilon for Dense.
  public static func epsilonGammaBox(epsilon: Float = 1e-6, gamma: Float = 0.25, bounds: LRPBounds = .inputRange)
    -> LRPComposite
  {
    LRPComposite(dense: .epsilon(epsilon), convolution: .gamma(gamma), first: .zBox(bounds), firstAppliesToDense: false)
  }

  /// zennit's `EpsilonAlpha2Beta1`: alpha2-beta1 for convolutions, epsilon for Dense.
  public static func epsilonAlpha2Beta1(epsilon: Float = 1e-6) -> LRPComposite {
    LRPComposite(dense: .epsilon(epsilon), convolution: .alphaBeta(alpha: 2, beta: 1))
  }

  /// Deep Taylor decomposition (Montavon et al. 2017, Pattern Recognition 65:211-222, arXiv 1512.02479) for ReLU
  /// networks on a bounded input domain: z^B for the first linear layer, z+ for every other (iNNvestigate's
  /// `BoundedDeepTaylor`; in zennit, a `SpecialFirstLayerMapComposite` of `ZBox` and `ZPlus`).
  public static func deepTaylor(bounds: LRPBounds = .inputRange) -> LRPComposite {
    LRPComposite(dense: .zPlus, convolution: .zPlus, first: .zBox(bounds))
  }
}

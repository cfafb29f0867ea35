import Foundation
import KerasRuntime

/// Grad-CAM element-wise (pytorch-grad-cam's `GradCAMElementWise`): the gradient multiplies the activations
/// position by position before the ReLU, `map = sum_c relu(g_c * A_c)` (with eigen smoothing, the first principal
/// component of `relu(g * A)`).
public struct GradCAMElementWise: ClassActivationMapping {
  public var name: String { "gradcam-elementwise" }
  public var usesGradients: Bool { true }

  public init() {}

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    let (activations, gradients) = try activationsAndGradients(pass)
    let (a, g) = (activations.scalars, gradients.scalars)
    return try Tensor(shape: activations.shape) { max(g[$0] * a[$0], 0) }
  }
}

/// FEM, the Feature Explanation Method (Fuad et al., IPTA 2020, hal-02963298; pytorch-grad-cam's `FEM`): no
/// gradients; each channel's weight is the fraction of its positions above `mean + k * std` of the channel (the
/// population standard deviation, NumPy's `np.std`), and `map = sum_c w_c A_c`.
public struct FEM: ClassActivationMapping {
  /// The k of the k-sigma threshold.
  public var k: Float

  public var name: String { "fem" }
  public var usesGradients: Bool { false }

  /// FEM with pytorch-grad-cam's default `k = 2`.
  public init(k: Float = 2) {
    self.k = k
  }

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    guard let activations = pass.activations else { throw KerasVisError.invalidArgument("fem needs the feature map") }
    let shape = FeatureMaps(activations)
    let a = activations.scalars
    var weights = [Float](repeating: 0, count: shape.count * shape.channels)
    for n in 0..<shape.count {
      for c in 0..<shape.channels {
        var mean = 0.0
        for p in 0..<shape.positions { mean += Double(a[shape.index(n, p, c)]) }
        mean /= Double(shape.positions)
        var variance = 0.0
        for p in 0..<shape.positions {
          let d = Double(a[shape.index(n, p, c)]) - mean
          variance += d * d
        }
        let threshold = Float(mean + Double(k) * (variance / Double(shape.positions)).squareRoot())
        var above = 0
        for p in 0..<shape.positions where a[shape.index(n, p, c)] > threshold { above += 1 }
        weights[n * shape.channels + c] = Float(above) / Float(shape.positions)
      }
    }
    return try channelWeighted(activations, weights: weights)
  }
}

/// KPCA-CAM (Karmani et al., arXiv 2410.00267; pytorch-grad-cam's `KPCA_CAM`): the first kernel principal
/// component of the activations, as scikit-learn's `KernelPCA(n_components=1, kernel, gamma).fit_transform` of the
/// `(positions, channels)` matrix centred per channel: the kernel matrix `K` (sigmoid `tanh(gamma x.y + 1)`, rbf
/// `exp(-gamma |x - y|^2)`, polynomial `(gamma x.y + 1)^3`, linear `x.y`; `gamma` defaults to `1 / channels`) is
/// centred (`KernelCenterer`), and the map is `sqrt(lambda_1) v_1` with the sign making v_1's largest-magnitude
/// entry positive (scikit-learn's `svd_flip`). No gradients.
public struct KPCACAM: ClassActivationMapping {
  /// The kernel, by scikit-learn's name.
  public enum Kernel: String, Sendable, CaseIterable {
    case sigmoid, rbf, poly, linear, cosine
  }

  /// The kernel (pytorch-grad-cam's default: sigmoid).
  public var kernel: Kernel
  /// The kernel's gamma (nil: scikit-learn's `1 / channels`).
  public var gamma: Double?

  public var name: String { "kpca-cam" }
  public var usesGradients: Bool { false }

  /// KPCA-CAM with pytorch-grad-cam's defaults.
  public init(kernel: Kernel = .sigmoid, gamma: Double? = nil) {
    self.kernel = kernel
    self.gamma = gamma
  }

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    guard let activations = pass.activations else {
      throw KerasVisError.invalidArgument("kpca-cam needs the feature map")
    }
    return activations
  }

  public func customMap(_ weighted: UnsafeBufferPointer<Float>, positions: Int, channels: Int) -> [Float]? {
    kernelPrincipalComponent(weighted, positions: positions, channels: channels)
  }

  /// scikit-learn's `KernelPCA(n_components=1).fit_transform` of the centred `(positions, channels)` matrix.
  func kernelPrincipalComponent(_ values: UnsafeBufferPointer<Float>, positions: Int, channels: Int) -> [Float] {
    var x = values.map { $0.isNaN ? 0.0 : Double($0) }
    for c in 0..<channels {
      var mean = 0.0
      for p in 0..<positions { mean += x[p * channels + c] }
      mean /= Double(positions)
      for p in 0..<positions { x[p * channels + c] -= mean }
    }
    let g = gamma ?? 1 / Double(channels)
    var k = [Double](repeating: 0, count: positions * positions)
    for i in 0..<positions {
      for j in i..<positions {
        var dot = 0.0
        var distance = 0.0
        var normI = 0.0
        var normJ = 0.0
        for c in 0..<channels {
          let (a, b) = (x[i * channels + c], x[j * channels + c])
          dot += a * b
          distance += (a - b) * (a - b)
          normI += a * a
          normJ += b * b
        }
        let value: Double
        switch kernel {
        case .sigmoid: value = Foundation.tanh(g * dot + 1)
        case .rbf: value = Foundation.exp(-g * distance)
        case .poly: value = Foundation.pow(g * dot + 1, 3)
        case .linear: value = dot
        case .cosine: value = normI > 0 && normJ > 0 ? dot / (normI * normJ).squareRoot() : 0
        }
        k[i * positions + j] = value
        k[j * positions + i] = value
      }
    }
    // KernelCenterer: K - 1K/n - K1/n + 1K1/n^2.
    let n = Double(positions)
    var rowMeans = [Double](repeating: 0, count: positions)
    for i in 0..<positions { rowMeans[i] = k[(i * positions)..<((i + 1) * positions)].reduce(0, +) / n }
    let totalMean = rowMeans.reduce(0, +) / n
    for i in 0..<positions {
      for j in 0..<positions { k[i * positions + j] += totalMean - rowMeans[i] - rowMeans[j] }
    }
    let (value, vector) = topEigenpair(k, size: positions)
    var largest = 0
    for i in vector.indices where abs(vector[i]) > abs(vector[largest]) { largest = i }
    let sign: Double = vector.isEmpty || vector[largest] >= 0 ? 1 : -1
    let scale = max(value, 0).squareRoot() * sign
    return vector.map { Float($0 * scale) }
  }
}

/// Finer-CAM (Zhang et al., arXiv 2501.11309; pytorch-grad-cam's `FinerCAM` over Grad-CAM): the score compares the
/// explained class `m` with the classes whose outputs are closest to its own (pytorch-grad-cam's comparison
/// categories 1, 2, 3 of the classes sorted by `|o_k - o_m|`), weighted by their softmax probabilities `p`:
/// `S = sum_k p_k (o_m - alpha o_k) / (sum_k p_k + 1e-9)`, and the map is Grad-CAM's for `S`. Without targets `m`
/// is each sample's top class (pytorch-grad-cam's default); a class target names `m` (its `target_idx`).
public struct FinerCAM: ExplanationMethod {
  /// How strongly the comparison classes are subtracted.
  public var alpha: Float
  /// Which of the classes sorted by closeness to `m` are compared (0 is `m` itself).
  public var comparisonRanks: [Int]

  public var name: String { "finercam" }
  public var usesLayer: Bool { true }

  /// Finer-CAM with pytorch-grad-cam's defaults (alpha 1, comparison categories 1, 2, 3).
  public init(alpha: Float = 1, comparisonRanks: [Int] = [1, 2, 3]) {
    self.alpha = alpha
    self.comparisonRanks = comparisonRanks
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    let input = try explainer.batched(request.input)
    let count = input.shape[0]
    let given = try explainer.expandedTargets(request.targets, count: count)
    var mains: [Int?] = []
    for sample in 0..<count {
      guard let target = given?[sample] else {
        mains.append(nil)
        continue
      }
      guard let classes = target.classIndices, classes.count == 1 else {
        throw KerasVisError.invalidArgument("finercam explains one class per sample (got \(target))")
      }
      mains.append(classes[0])
    }
    var finer = request
    let score = request.targets?.first?.score ?? request.defaultScore
    let chosen = ChosenClasses(count: count)
    finer.targets = mains.enumerated().map { sample, main in
      .custom("finer(\(main.map(String.init) ?? "top"))", score: score) { [alpha, comparisonRanks] output in
        let (value, gradient, explained) = try FinerCAM.finerScore(
          output, main: main, alpha: alpha, comparisonRanks: comparisonRanks)
        chosen.set(sample, explained)
        return (value, gradient)
      }
    }
    var explanation = try explainer.explain(finer, with: GradCAM())
    explanation.targets = (0..<count).map { .category(chosen.classes[$0], score: score) }
    return explanation
  }

  /// The class each sample's score compared, written by the scores (one pass may call them on several threads).
  private final class ChosenClasses: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int]

    init(count: Int) { values = Array(repeating: 0, count: count) }

    func set(_ sample: Int, _ value: Int) {
      lock.lock()
      values[sample] = value
      lock.unlock()
    }

    var classes: [Int] {
      lock.lock()
      defer { lock.unlock() }
      return values
    }
  }

  /// The classes of `row` sorted by `|o_k - o_main|` (NumPy's stable `argsort`; `main` nil: the largest output), at
  /// `ranks`.
  public static func closest(_ row: [Float], main: Int?, ranks: [Int]) throws -> [Int] {
    guard !row.isEmpty else { return [] }
    let reference = main.map { row[$0] } ?? (row.max() ?? 0)
    let sorted = row.indices.sorted { a, b in
      let (da, db) = (abs(row[a] - reference), abs(row[b] - reference))
      return da != db ? da < db : a < b
    }
    return ranks.filter { $0 < sorted.count }.map { sorted[$0] }
  }

  /// Finer-CAM's score of one sample's `(classes)` output, its gradient, and the explained class.
  public static func finerScore(_ output: Tensor, main: Int?, alpha: Float, comparisonRanks: [Int]) throws
    -> (score: Float, gradient: Tensor, main: Int)
  {
    let o = output.scalars
    guard output.rank == 1, !o.isEmpty else {
      throw KerasVisError.invalidArgument("finercam needs a (N, classes) output; got \(output.shape) per sample")
    }
    if let main, !o.indices.contains(main) {
      throw KerasVisError.invalidArgument("finercam: class \(main) is out of range for \(o.count) classes")
    }
    let m = try main ?? closest(o, main: nil, ranks: [0])[0]
    let comparisons = try closest(o, main: m, ranks: comparisonRanks)
    let largest = o.max() ?? 0
    let e = o.map { Foundation.exp(Double($0 - largest)) }
    let total = e.reduce(0, +)
    let p = e.map { $0 / total }
    var numerator = 0.0
    var denominator = 1e-9
    for k in comparisons {
      numerator += p[k] * (Double(o[m]) - Double(alpha) * Double(o[k]))
      denominator += p[k]
    }
    // dS/do_j = (dN/do_j - S dD/do_j) / D, with dp_k/do_j = p_k (delta_kj - p_j).
    let s = numerator / denominator
    var gradient = [Float](repeating: 0, count: o.count)
    for j in o.indices {
      var dN = 0.0
      var dD = 0.0
      for k in comparisons {
        let dp = p[k] * ((k == j ? 1 : 0) - p[j])
        dN += dp * (Double(o[m]) - Double(alpha) * Double(o[k]))
        dN += p[k] * ((m == j ? 1 : 0) - Double(alpha) * (k == j ? 1 : 0))
        dD += dp
      }
      gradient[j] = Float((dN - s * dD) / denominator)
    }
    return (Float(s), try Tensor(shape: output.shape, values: gradient), m)
  }
}

import Foundation
import KerasRuntime

/// ROAD, RemOve And Debias (Rong et al., arXiv 2202.00449), as pytorch-grad-cam's `ROADMostRelevantFirstAverage`,
/// `ROADLeastRelevantFirstAverage` and `ROADCombined` compute it: for every percentile `p`, the pixels whose map value
/// is at least the map's `p`-th percentile (NumPy's linear interpolation) are removed (most relevant first), or,
/// least relevant first, those whose `1 - map` is; removed pixels are filled by noisy linear imputation (each the
/// weighted mean of its 8 neighbours, 1/6 for the edge neighbours and 1/12 for the diagonal ones, solving the
/// resulting sparse linear system, plus Gaussian noise of standard deviation `noise`); the value is the mean over the
/// percentiles of `S(imputed) - S(x)`.
///
/// Most relevant first: smaller (a larger drop) is better; least relevant first: larger is better; `combined` is
/// `(LeRF - MoRF) / 2`, larger is better.
public struct ROAD: ExplanationMetric {
  public enum Order: String, Sendable, CaseIterable {
    case mostRelevantFirst = "morf"
    case leastRelevantFirst = "lerf"
    case combined
  }

  public var order: Order
  /// The percentiles (pytorch-grad-cam's default: 10, 20, ..., 90).
  public var percentiles: [Double]
  /// The imputation noise's standard deviation (pytorch-grad-cam's 0.01).
  public var noise: Float
  /// The noise generator's seed.
  public var seed: UInt64

  public var name: String { "road-\(order.rawValue)" }
  public var largerIsBetter: Bool { order != .mostRelevantFirst }

  public init(
    _ order: Order, percentiles: [Double] = [10, 20, 30, 40, 50, 60, 70, 80, 90], noise: Float = 0.01, seed: UInt64 = 0
  ) {
    self.order = order
    self.percentiles = percentiles
    self.noise = noise
    self.seed = seed
  }

  public func evaluate(_ inputs: MetricInputs, with explainer: Explainer) throws -> [Float] {
    switch order {
    case .combined:
      let most = try ROAD(.mostRelevantFirst, percentiles: percentiles, noise: noise, seed: seed).evaluate(
        inputs, with: explainer)
      let least = try ROAD(.leastRelevantFirst, percentiles: percentiles, noise: noise, seed: seed).evaluate(
        inputs, with: explainer)
      return zip(least, most).map { ($0 - $1) / 2 }
    case .mostRelevantFirst, .leastRelevantFirst:
      let (count, height, width, channels) = try inputs.dimensions()
      let pixels = height * width
      let before = try explainer.scores(of: inputs.input, targets: inputs.targets)
      let x = inputs.input.scalars
      var generator = GaussianGenerator(seed: seed)
      var totals = [Float](repeating: 0, count: count)
      for percentile in percentiles {
        var imputed: [[Float]] = []
        for n in 0..<count {
          var map = Array(inputs.map(n, pixels: pixels))
          if order == .leastRelevantFirst { map = map.map { 1 - $0 } }
          let threshold = Float(numpyPercentile(map, percentile))
          let keep = map.map { $0 < threshold }
          let image = Array(x[(n * pixels * channels)..<((n + 1) * pixels * channels)])
          imputed.append(
            noisyLinearImputation(image, keep: keep, height: height, width: width, channels: channels) {
              generator.next() * noise
            })
        }
        let after = try explainer.batchedScores(
          count: count, batchSize: 16, sampleShape: [height, width, channels], target: { inputs.targets[$0] }
        ) { n, buffer in
          for i in 0..<buffer.count { buffer[i] = imputed[n][i] }
        }
        for n in 0..<count { totals[n] += after[n] - before[n] }
      }
      return totals.map { $0 / Float(max(percentiles.count, 1)) }
    }
  }
}

/// `np.percentile(values, q)` with NumPy's default linear interpolation between the sorted values.
func numpyPercentile(_ values: [Float], _ q: Double) -> Double {
  let sorted = values.map(Double.init).sorted()
  guard !sorted.isEmpty else { return 0 }
  let position = q / 100 * Double(sorted.count - 1)
  let below = min(Int(position.rounded(.down)), sorted.count - 1)
  let above = min(below + 1, sorted.count - 1)
  return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
}

/// ROAD's noisy linear imputation (Rong et al.'s `NoisyLinearImputer`) of an image `(H, W, C)`: pixels with `keep`
/// false get the solution of `s_i v_i - sum_{j unknown} w_ij v_j = sum_{j known} w_ij x_j` (their 8 neighbours'
/// weighted mean, `s_i` the weight of the neighbours inside the image), solved per channel by conjugate gradients
/// in Float64 to a relative residual of 1e-12, plus `noise()`. Unknown pixels with no path to a known one get 0.
func noisyLinearImputation(
  _ image: [Float], keep: [Bool], height: Int, width: Int, channels: Int, noise: () -> Float
) -> [Float] {
  let neighbours: [(dy: Int, dx: Int, weight: Double)] = [
    (1, 1, 1.0 / 12), (0, 1, 1.0 / 6), (-1, 1, 1.0 / 12), (1, -1, 1.0 / 12), (0, -1, 1.0 / 6), (-1, -1, 1.0 / 12),
    (1, 0, 1.0 / 6), (-1, 0, 1.0 / 6),
  ]
  let unknown = keep.indices.filter { !keep[$0] }
  guard !unknown.isEmpty else { return image }
  var variable = [Int](repeating: -1, count: keep.count)
  for (i, pixel) in unknown.enumerated() { variable[pixel] = i }
  // The system: diagonal s_i, off-diagonal -w_ij between unknowns (symmetric positive definite where every
  // component reaches a known pixel), right-hand side sum of w_ij x_j over known neighbours.
  var diagonal = [Double](repeating: 0, count: unknown.count)
  var links: [[(Int, Double)]] = Array(repeating: [], count: unknown.count)
  var known: [[(Int, Double)]] = Array(repeating: [], count: unknown.count)
  for (i, pixel) in unknown.enumerated() {
    let (y, x) = (pixel / width, pixel % width)
    for neighbour in neighbours {
      let (ny, nx) = (y + neighbour.dy, x + neighbour.dx)
      guard (0..<height).contains(ny), (0..<width).contains(nx) else { continue }
      diagonal[i] += neighbour.weight
      let other = ny * width + nx
      if keep[other] {
        known[i].append((other, neighbour.weight))
      } else {
        links[i].append((variable[other], neighbour.weight))
      }
    }
  }
  func apply(_ v: [Double]) -> [Double] {
    (0..<v.count).map { i in links[i].reduce(diagonal[i] * v[i]) { $0 - $1.1 * v[$1.0] } }
  }
  var result = image
  var solutions: [[Double]] = []
  for c in 0..<channels {
    let b = (0..<unknown.count).map { i in known[i].reduce(0.0) { $0 + $1.1 * Double(image[$1.0 * channels + c]) } }
    solutions.append(conjugateGradient(b, apply: apply, preconditioner: diagonal))
  }
  for (i, pixel) in unknown.enumerated() {
    for c in 0..<channels { result[pixel * channels + c] = Float(solutions[c][i]) + noise() }
  }
  return result
}

/// Jacobi-preconditioned conjugate gradients for `A v = b`, `A` symmetric positive semi-definite given by `apply`.
func conjugateGradient(_ b: [Double], apply: ([Double]) -> [Double], preconditioner: [Double]) -> [Double] {
  let n = b.count
  var v = [Double](repeating: 0, count: n)
  var r = b
  let norm = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
  guard norm > 0 else { return v }
  var z = (0..<n).map { preconditioner[$0] > 0 ? r[$0] / preconditioner[$0] : 0 }
  var p = z
  var rz = zip(r, z).reduce(0) { $0 + $1.0 * $1.1 }
  for _ in 0..<(10 * n + 100) {
    let q = apply(p)
    let pq = zip(p, q).reduce(0) { $0 + $1.0 * $1.1 }
    guard pq > 0 else { break }
    let alpha = rz / pq
    for i in 0..<n {
      v[i] += alpha * p[i]
      r[i] -= alpha * q[i]
    }
    if r.reduce(0, { $0 + $1 * $1 }).squareRoot() <= 1e-12 * norm { break }
    z = (0..<n).map { preconditioner[$0] > 0 ? r[$0] / preconditioner[$0] : 0 }
    let next = zip(r, z).reduce(0) { $0 + $1.0 * $1.1 }
    let beta = next / rz
    rz = next
    for i in 0..<n { p[i] = z[i] + beta * p[i] }
  }
  return v
}

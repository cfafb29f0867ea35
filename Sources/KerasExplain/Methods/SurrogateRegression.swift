import Foundation

/// The weighted linear fits of LIME and Kernel SHAP's interpretable models, in double precision, with scikit-learn's
/// semantics (the models Captum trains): an intercept, sample weights, `design` row-major `(samples, features)`.
enum SurrogateRegression {
  /// The design and targets centred on their weighted means and scaled by `sqrt(w)` (scikit-learn's
  /// `_preprocess_data` and `_rescale_data`), with the means.
  static func centred(design: [Double], targets: [Double], weights: [Double], features: Int) -> (
    x: [Double], y: [Double], xMean: [Double], yMean: Double
  ) {
    let samples = targets.count
    let total = weights.reduce(0, +)
    var xMean = [Double](repeating: 0, count: features)
    var yMean = 0.0
    for i in 0..<samples {
      yMean += weights[i] * targets[i]
      for j in 0..<features { xMean[j] += weights[i] * design[i * features + j] }
    }
    yMean /= total
    for j in 0..<features { xMean[j] /= total }
    var x = [Double](repeating: 0, count: samples * features)
    var y = [Double](repeating: 0, count: samples)
    for i in 0..<samples {
      let root = weights[i].squareRoot()
      y[i] = root * (targets[i] - yMean)
      for j in 0..<features { x[i * features + j] = root * (design[i * features + j] - xMean[j]) }
    }
    return (x, y, xMean, yMean)
  }

  /// Weighted least squares with an intercept, `min sum_i w_i (y_i - b - x_i . c)^2`, the minimum-norm `c` where it
  /// is not unique (scikit-learn's `LinearRegression().fit(X, y, sample_weight=w)`, whose `lstsq` drops singular
  /// values below `max(samples, features) * eps(float32)` times the largest, as on Captum's float32 data): the
  /// normal equations of the centred problem solved through their eigendecomposition (Jacobi rotations).
  static func leastSquares(design: [Double], targets: [Double], weights: [Double], features: Int) -> (
    coefficients: [Double], intercept: Double
  ) {
    let samples = targets.count
    let (x, y, xMean, yMean) = centred(design: design, targets: targets, weights: weights, features: features)
    var normal = [Double](repeating: 0, count: features * features)
    var right = [Double](repeating: 0, count: features)
    for i in 0..<samples {
      for j in 0..<features {
        let xij = x[i * features + j]
        if xij == 0 { continue }
        right[j] += xij * y[i]
        for k in j..<features { normal[j * features + k] += xij * x[i * features + k] }
      }
    }
    for j in 0..<features { for k in 0..<j { normal[j * features + k] = normal[k * features + j] } }
    let (values, vectors) = symmetricEigen(normal, size: features)
    let largest = values.map(abs).max() ?? 0
    let cutoff = Double(max(samples, features)) * Double(Float.ulpOfOne)
    var coefficients = [Double](repeating: 0, count: features)
    for e in 0..<features where values[e] > cutoff * cutoff * largest && values[e] > 0 {
      var projection = 0.0
      for j in 0..<features { projection += vectors[j * features + e] * right[j] }
      projection /= values[e]
      for j in 0..<features { coefficients[j] += projection * vectors[j * features + e] }
    }
    let intercept = yMean - zip(xMean, coefficients).map { $0 * $1 }.reduce(0, +)
    return (coefficients, intercept)
  }

  /// The Lasso with an intercept and sample weights, `min 1/(2 sum w) sum_i w_i (y_i - b - x_i . c)^2 + alpha |c|_1`
  /// (scikit-learn's `Lasso(alpha).fit(X, y, sample_weight=w)`), by scikit-learn's cyclic coordinate descent
  /// (Friedman et al. 2010) on the centred, `sqrt(w)`-scaled data with weights rescaled to sum to the sample
  /// count: coordinates in order, and after a sweep whose largest update is at most `tolerance` times the largest
  /// coefficient, a stop once the duality gap is at most `tolerance * |y|^2`, or after `maxIterations` sweeps.
  static func lasso(
    design: [Double], targets: [Double], weights: [Double], features: Int, alpha: Double,
    tolerance: Double = 1e-4, maxIterations: Int = 1000
  ) -> (coefficients: [Double], intercept: Double) {
    let samples = targets.count
    let total = weights.reduce(0, +)
    let rescaled = weights.map { $0 * Double(samples) / total }
    let (x, y, xMean, yMean) = centred(design: design, targets: targets, weights: rescaled, features: features)
    let penalty = alpha * Double(samples)
    var columnNorms = [Double](repeating: 0, count: features)
    for i in 0..<samples { for j in 0..<features { columnNorms[j] += x[i * features + j] * x[i * features + j] } }
    var w = [Double](repeating: 0, count: features)
    var residual = y
    let gapTolerance = tolerance * y.reduce(0) { $0 + $1 * $1 }

    func dualityGap() -> Double {
      var correlation = [Double](repeating: 0, count: features)
      for i in 0..<samples { for j in 0..<features { correlation[j] += x[i * features + j] * residual[i] } }
      let dualNorm = correlation.map(abs).max() ?? 0
      let residualNorm = residual.reduce(0) { $0 + $1 * $1 }
      let residualDotY = zip(residual, y).map { $0 * $1 }.reduce(0, +)
      let primal = 0.5 * residualNorm + penalty * w.map(abs).reduce(0, +)
      let scale = dualNorm > penalty ? penalty / dualNorm : 1
      let dual = -0.5 * scale * scale * residualNorm + scale * residualDotY
      return primal - dual
    }

    if dualityGap() > gapTolerance {
      for iteration in 0..<maxIterations {
        var largest = 0.0
        var largestUpdate = 0.0
        for j in 0..<features where columnNorms[j] != 0 {
          let previous = w[j]
          var dot = 0.0
          for i in 0..<samples { dot += x[i * features + j] * residual[i] }
          let rho = dot + previous * columnNorms[j]
          w[j] = (rho < 0 ? -1 : 1) * max(abs(rho) - penalty, 0) / columnNorms[j]
          if w[j] != previous {
            let change = previous - w[j]
            for i in 0..<samples { residual[i] += change * x[i * features + j] }
          }
          largestUpdate = max(largestUpdate, abs(w[j] - previous))
          largest = max(largest, abs(w[j]))
        }
        if largest == 0 || largestUpdate / largest <= tolerance || iteration == maxIterations - 1 {
          if dualityGap() <= gapTolerance { break }
        }
      }
    }
    let intercept = yMean - zip(xMean, w).map { $0 * $1 }.reduce(0, +)
    return (w, intercept)
  }

  /// The eigenvalues and eigenvectors of a symmetric matrix (see `symmetricEigenDecomposition`).
  static func symmetricEigen(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [Double]) {
    symmetricEigenDecomposition(matrix, size: n)
  }
}

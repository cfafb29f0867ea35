import Foundation

/// pytorch-grad-cam's `get_2d_projection` of one sample (Eigen-CAM, Muhammad & Yeasin, arXiv 2008.00299): the
/// `(positions, channels)` matrix `X` (NaN read as 0) centred per channel, projected on its first right singular
/// vector, `X v_1` (`= sigma_1 u_1`), one value per position.
///
/// A singular vector's sign is arbitrary: NumPy returns whatever LAPACK's `gesdd` produces. kerasvis fixes it so
/// that `sum(v_1) >= 0`, i.e. the projection is positive where the channels are jointly above their means. The
/// decomposition runs in Float64 (Jacobi's method on the smaller Gram matrix, `X X^T` or `X^T X`, for up to 400
/// rows; subspace iteration beyond).
/// - Shapes: `values` is `positions * channels`, row-major; the result has `positions` values.
public func principalComponentProjection(
  _ values: UnsafeBufferPointer<Float>, positions: Int, channels: Int
) -> [Float] {
  guard positions > 0, channels > 0, values.count == positions * channels else {
    return [Float](repeating: 0, count: max(positions, 0))
  }
  var x = values.map { $0.isNaN ? 0 : Double($0) }
  for c in 0..<channels {
    var mean = 0.0
    for p in 0..<positions { mean += x[p * channels + c] }
    mean /= Double(positions)
    for p in 0..<positions { x[p * channels + c] -= mean }
  }
  let usePositions = positions <= channels
  let n = usePositions ? positions : channels
  // The Gram matrix of the smaller side.
  var gram = [Double](repeating: 0, count: n * n)
  if usePositions {
    for i in 0..<positions {
      for j in i..<positions {
        var total = 0.0
        for c in 0..<channels { total += x[i * channels + c] * x[j * channels + c] }
        gram[i * n + j] = total
        gram[j * n + i] = total
      }
    }
  } else {
    for p in 0..<positions {
      for i in 0..<channels {
        let xi = x[p * channels + i]
        if xi == 0 { continue }
        for j in i..<channels { gram[i * n + j] += xi * x[p * channels + j] }
      }
    }
    for i in 0..<channels { for j in 0..<i { gram[i * n + j] = gram[j * n + i] } }
  }
  let (value, vector) = topEigenpair(gram, size: n)
  guard value > 0, value.isFinite else { return [Float](repeating: 0, count: positions) }
  var projection = [Double](repeating: 0, count: positions)
  var vectorSum = 0.0
  if usePositions {
    // X v = sigma u with v = X^T u / sigma.
    let sigma = value.squareRoot()
    for p in 0..<positions { projection[p] = sigma * vector[p] }
    for c in 0..<channels {
      var total = 0.0
      for p in 0..<positions { total += x[p * channels + c] * vector[p] }
      vectorSum += total / sigma
    }
  } else {
    for p in 0..<positions {
      var total = 0.0
      for c in 0..<channels { total += x[p * channels + c] * vector[c] }
      projection[p] = total
    }
    vectorSum = vector.reduce(0, +)
  }
  let sign: Double = vectorSum < 0 ? -1 : 1
  return projection.map { Float(sign * $0) }
}

/// The largest eigenvalue of a symmetric `size x size` matrix and a unit eigenvector for it.
func topEigenpair(_ matrix: [Double], size n: Int) -> (value: Double, vector: [Double]) {
  if n == 0 { return (0, []) }
  if n <= 400 { return jacobiTopEigenpair(matrix, size: n) }
  return subspaceTopEigenpair(matrix, size: n)
}

/// The largest eigenvalue and its eigenvector by Jacobi's method (`symmetricEigenDecomposition`).
func jacobiTopEigenpair(_ matrix: [Double], size n: Int) -> (value: Double, vector: [Double]) {
  let (values, vectors) = symmetricEigenDecomposition(matrix, size: n)
  var best = 0
  for i in 1..<max(n, 1) where values[i] > values[best] { best = i }
  return (values[best], (0..<n).map { vectors[$0 * n + best] })
}

/// Block power iteration with Rayleigh-Ritz (8 vectors) for large matrices.
func subspaceTopEigenpair(_ matrix: [Double], size n: Int) -> (value: Double, vector: [Double]) {
  let k = min(8, n)
  var q = [Double](repeating: 0, count: n * k)  // column-major: column j at j * n
  for j in 0..<k { for i in 0..<n { q[j * n + i] = cos(Double(i * (j + 1)) * 0.7 + Double(j)) + (i == j ? 1 : 0) } }
  func orthonormalize(_ basis: inout [Double]) {
    for j in 0..<k {
      for previous in 0..<j {
        var dot = 0.0
        for i in 0..<n { dot += basis[j * n + i] * basis[previous * n + i] }
        for i in 0..<n { basis[j * n + i] -= dot * basis[previous * n + i] }
      }
      var length = 0.0
      for i in 0..<n { length += basis[j * n + i] * basis[j * n + i] }
      length = length.squareRoot()
      for i in 0..<n { basis[j * n + i] = length > 0 ? basis[j * n + i] / length : 0 }
    }
  }
  func multiply(_ basis: [Double]) -> [Double] {
    var result = [Double](repeating: 0, count: n * k)
    for j in 0..<k {
      for row in 0..<n {
        var total = 0.0
        for i in 0..<n { total += matrix[row * n + i] * basis[j * n + i] }
        result[j * n + row] = total
      }
    }
    return result
  }
  orthonormalize(&q)
  var value = 0.0
  var vector = [Double](repeating: 0, count: n)
  for _ in 0..<2000 {
    let z = multiply(q)
    // Rayleigh-Ritz: H = Q^T G Q, rotate Q to H's eigenvectors.
    var h = [Double](repeating: 0, count: k * k)
    for a in 0..<k {
      for b in 0..<k {
        var total = 0.0
        for i in 0..<n { total += q[a * n + i] * z[b * n + i] }
        h[a * k + b] = total
      }
    }
    for a in 0..<k {
      for b in 0..<a {
        let mean = (h[a * k + b] + h[b * k + a]) / 2
        h[a * k + b] = mean
        h[b * k + a] = mean
      }
    }
    let (ritzValue, ritz) = jacobiTopEigenpair(h, size: k)
    var top = [Double](repeating: 0, count: n)
    var image = [Double](repeating: 0, count: n)
    for j in 0..<k {
      for i in 0..<n {
        top[i] += q[j * n + i] * ritz[j]
        image[i] += z[j * n + i] * ritz[j]
      }
    }
    var residual = 0.0
    for i in 0..<n { residual += (image[i] - ritzValue * top[i]) * (image[i] - ritzValue * top[i]) }
    value = ritzValue
    vector = top
    if residual.squareRoot() <= 1e-12 * max(abs(ritzValue), 1e-300) { break }
    q = z
    orthonormalize(&q)
  }
  let length = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
  return (value, length > 0 ? vector.map { $0 / length } : vector)
}

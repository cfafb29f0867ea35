/// The eigenvalues and eigenvectors (columns of the row-major `size x size` result) of a symmetric matrix, by
/// cyclic Jacobi rotations (Golub & Van Loan, Matrix Computations, 8.5) until the off-diagonal part is negligible.
func symmetricEigenDecomposition(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [Double]) {
  var a = matrix
  var v = [Double](repeating: 0, count: n * n)
  for i in 0..<n { v[i * n + i] = 1 }
  let scale = a.reduce(0) { $0 + $1 * $1 }
  for _ in 0..<100 {
    var off = 0.0
    for p in 0..<n { for q in (p + 1)..<max(n, p + 1) { off += a[p * n + q] * a[p * n + q] } }
    if off <= 1e-30 * scale || off == 0 { break }
    for p in 0..<n {
      for q in (p + 1)..<max(n, p + 1) {
        let apq = a[p * n + q]
        if apq == 0 { continue }
        let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
        let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot()
        let s = t * c
        for k in 0..<n {
          let akp = a[k * n + p]
          let akq = a[k * n + q]
          a[k * n + p] = c * akp - s * akq
          a[k * n + q] = s * akp + c * akq
        }
        for k in 0..<n {
          let apk = a[p * n + k]
          let aqk = a[q * n + k]
          a[p * n + k] = c * apk - s * aqk
          a[q * n + k] = s * apk + c * aqk
        }
        for k in 0..<n {
          let vkp = v[k * n + p]
          let vkq = v[k * n + q]
          v[k * n + p] = c * vkp - s * vkq
          v[k * n + q] = s * vkp + c * vkq
        }
      }
    }
  }
  return ((0..<n).map { a[$0 * n + $0] }, v)
}

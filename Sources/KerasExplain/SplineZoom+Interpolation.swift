import Foundation

// Interpolation half of the `scipy.ndimage.zoom` port (see SplineZoom.swift): per-axis sampling plans and the
// evaluation of the tensor-product B-spline, beta_n(u - i) * beta_n(v - j), at every output point. The B-spline
// weights are the piecewise polynomials of Unser, "Splines: a perfect fit for signal and image processing" (1999),
// evaluated with scipy's expressions (`ni_splines.c`) so that the Float64 weights agree bit for bit.

/// Where each output index along one axis reads the coefficient array, and with which weights.
struct ZoomAxis {
  /// Number of taps per output index, `order + 1`.
  let taps: Int
  /// Length of the coefficient array along this axis (padding included).
  let inputLength: Int
  /// Output indices whose coordinate fell outside the input in 'constant' mode: their rows/columns are cval.
  var isOutside: [Bool]
  /// `outputLength * taps` coefficient indices along the axis; `inputLength` marks a 'grid-constant' tap outside
  /// the array, whose coefficient is cval.
  var indices: [Int]
  /// `outputLength * taps` B-spline weights (all 1 for order 0, which scipy does not weight).
  var weights: [Double]

  /// Plans one axis of scipy's `NI_ZoomShift` for `outputLength` outputs reading an axis of `inputLength`
  /// coefficients (`originalLength` input samples plus `padding` on each side).
  init(
    outputLength: Int, inputLength: Int, originalLength: Int, padding: Int, order: Int, rule: CoordinateRule,
    gridMode: Bool
  ) {
    taps = order + 1
    self.inputLength = inputLength
    isOutside = [Bool](repeating: false, count: outputLength)
    indices = [Int](repeating: 0, count: outputLength * taps)
    weights = [Double](repeating: order == 0 ? 1 : 0, count: outputLength * taps)
    // scipy divides the integer lengths as Float64; where the divisor is 0 (an output length of 1 without
    // gridMode) it uses a ratio of 1 instead.
    let numerator = gridMode ? originalLength : originalLength - 1
    let denominator = gridMode ? outputLength : outputLength - 1
    let zoom = denominator != 0 ? Double(numerator) / Double(denominator) : 1.0
    let footprintRule = rule.footprintRule
    for k in 0..<outputLength {
      var cc = Double(k)
      if gridMode {
        cc += 0.5
        cc *= zoom
        cc -= 0.5
      } else {
        cc *= zoom
      }
      cc += Double(padding)
      if rule != .gridConstant && rule != .nearest {
        cc = rule.map(cc, length: inputLength)
      }
      guard cc > -1.0 || rule == .gridConstant || rule == .nearest else {
        isOutside[k] = true
        continue
      }
      let start = (order % 2 == 1 ? Int(floor(cc)) : Int(floor(cc + 0.5))) - order / 2
      let crossesEdge = start < 0 || start + order >= inputLength
      for m in 0...order {
        var index = start + m
        if crossesEdge {
          if rule == .gridConstant {
            if index < 0 || index >= inputLength { index = inputLength }
          } else {
            index = Int(footprintRule.map(Double(index), length: inputLength))
            // scipy's mapping always lands inside; the clamp only guards memory safety.
            index = min(max(index, 0), inputLength - 1)
          }
        }
        indices[k * taps + m] = index
      }
      if order > 0 {
        splineWeights(at: cc, order: order, into: &weights, at: k * taps)
      }
    }
  }
}

/// The `order + 1` B-spline weights beta_n(x - i) for the taps around `x`, written at `weights[offset...]`, with
/// scipy's piecewise polynomials and its order of operations; the last weight is 1 minus the others.
func splineWeights(at x: Double, order: Int, into weights: inout [Double], at offset: Int) {
  // Distance to the central knot: in [0, 1) for odd orders, in (-0.5, 0.5] for even ones.
  let t: Double = x - floor(order % 2 == 1 ? x : x + 0.5)
  let u: Double = 1.0 - t
  switch order {
  case 1:
    weights[offset] = 1.0 - t
  case 2:
    weights[offset + 1] = 0.75 - t * t
    let a: Double = 0.5 - t
    weights[offset] = 0.5 * a * a
  case 3:
    let p: Double = t * t * (t - 2.0) * 3.0
    weights[offset + 1] = (p + 4.0) / 6.0
    let q: Double = u * u * (u - 2.0) * 3.0
    weights[offset + 2] = (q + 4.0) / 6.0
    weights[offset] = u * u * u / 6.0
  case 4:
    let tt: Double = t * t
    weights[offset + 2] = tt * (tt * 0.25 - 0.625) + 115.0 / 192.0
    weights[offset + 1] = quarticSide(1.0 + t)
    weights[offset + 3] = quarticSide(u)
    let a: Double = 0.5 - t
    let aa: Double = a * a
    weights[offset] = aa * aa / 24.0
  case 5:
    weights[offset + 2] = quinticCentre(t)
    weights[offset + 3] = quinticCentre(u)
    weights[offset + 1] = quinticSide(t + 1.0)
    weights[offset + 4] = quinticSide(u + 1.0)
    let a: Double = 1.0 - t
    let aa: Double = a * a
    weights[offset] = a * aa * aa / 120.0
  default:
    return
  }
  var last = 1.0
  for i in 0..<order {
    last -= weights[offset + i]
  }
  weights[offset + order] = last
}

/// The quartic B-spline for 0.5 <= |y| <= 1.5.
private func quarticSide(_ y: Double) -> Double {
  let inner: Double = y * (5.0 - y) / 6.0 - 1.25
  return y * (y * inner + 5.0 / 24.0) + 55.0 / 96.0
}

/// The quintic B-spline for |y| <= 1.
private func quinticCentre(_ y: Double) -> Double {
  let yy: Double = y * y
  return yy * (yy * (0.25 - y / 12.0) - 0.5) + 0.55
}

/// The quintic B-spline for 1 <= |y| <= 2.
private func quinticSide(_ y: Double) -> Double {
  let inner: Double = y * (y / 24.0 - 0.375) + 1.25
  return y * (y * (y * inner - 1.75) + 0.625) + 0.425
}

// MARK: - Interpolation

/// Evaluates the separable spline at every (row, column) pair of the two axis plans, into a row-major Float32 array.
///
/// Each output is accumulated exactly as scipy's `NI_ZoomShift` does: from t = 0, `t += (c[i][j] * wRow[i]) *
/// wColumn[j]` over row taps i (outer) and column taps j (inner), in Float64, then rounded once to Float32. The
/// speed-ups keep every operation and its order: `c[i][j] * wRow[i]` is computed once per output row and
/// coefficient column, and four outputs are accumulated side by side.
func interpolate(
  _ coefficients: [Double], width: Int, rows: ZoomAxis, columns: ZoomAxis, cval: Double
) -> [Float] {
  let taps = rows.taps
  let outputHeight = rows.isOutside.count
  let outputWidth = columns.isOutside.count
  let stride = width + 1  // column `width` holds cval * wRow, read by 'grid-constant' taps outside the array
  let cvalFloat = Float(cval)
  // Blocks of four output columns whose taps are all consecutive coefficient columns (all but those near an edge).
  var isConsecutiveBlock = [Bool](repeating: false, count: outputWidth / 4)
  for block in isConsecutiveBlock.indices {
    isConsecutiveBlock[block] = (4 * block..<4 * block + 4).allSatisfy { x in
      (0..<taps).allSatisfy { j in columns.indices[x * taps + j] == columns.indices[x * taps] + j }
    }
  }
  let products = UnsafeMutableBufferPointer<Double>.allocate(capacity: taps * stride)
  let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: outputWidth)
  defer {
    products.deallocate()
    sums.deallocate()
  }
  return [Float](unsafeUninitializedCapacity: outputHeight * outputWidth) { output, initializedCount in
    output.initialize(repeating: cvalFloat)
    initializedCount = outputHeight * outputWidth
    coefficients.withUnsafeBufferPointer { c in
      columns.indices.withUnsafeBufferPointer { ci in
        columns.weights.withUnsafeBufferPointer { cw in
          for y in 0..<outputHeight where !rows.isOutside[y] {
            for i in 0..<taps {
              let weight = rows.weights[y * taps + i]
              let row = rows.indices[y * taps + i]
              let base = i * stride
              if row < rows.inputLength {
                let source = row * width
                for x in 0..<width {
                  products[base + x] = c[source + x] * weight
                }
              } else {
                for x in 0..<width {
                  products[base + x] = cval * weight
                }
              }
              products[base + width] = cval * weight
            }
            accumulateRow(
              products: UnsafeBufferPointer(products), stride: stride, taps: taps, indices: ci, weights: cw,
              isConsecutiveBlock: isConsecutiveBlock, into: sums)
            let start = y * outputWidth
            for x in 0..<outputWidth where !columns.isOutside[x] {
              output[start + x] = Float(sums[x])
            }
          }
        }
      }
    }
  }
}

/// One output row: `sums[x] = sum_i sum_j products[i][indices[x][j]] * weights[x][j]`, summed in that order.
@inline(__always)
private func accumulateRow(
  products: UnsafeBufferPointer<Double>, stride: Int, taps: Int, indices: UnsafeBufferPointer<Int>,
  weights: UnsafeBufferPointer<Double>, isConsecutiveBlock: [Bool], into sums: UnsafeMutableBufferPointer<Double>
) {
  guard let p = products.baseAddress, let ci = indices.baseAddress, let cw = weights.baseAddress else { return }
  let count = sums.count
  var x = 0
  while x < count {
    if x + 4 <= count, isConsecutiveBlock[x / 4] {
      // Four independent sums; each reads `taps` consecutive products per row tap.
      let i0 = ci + x * taps
      let i1 = i0 + taps
      let i2 = i1 + taps
      let i3 = i2 + taps
      let w0 = cw + x * taps
      let w1 = w0 + taps
      let w2 = w1 + taps
      let w3 = w2 + taps
      var t0 = 0.0
      var t1 = 0.0
      var t2 = 0.0
      var t3 = 0.0
      for i in 0..<taps {
        let row = p + i * stride
        let r0 = row + i0[0]
        let r1 = row + i1[0]
        let r2 = row + i2[0]
        let r3 = row + i3[0]
        for j in 0..<taps {
          t0 += r0[j] * w0[j]
          t1 += r1[j] * w1[j]
          t2 += r2[j] * w2[j]
          t3 += r3[j] * w3[j]
        }
      }
      sums[x] = t0
      sums[x + 1] = t1
      sums[x + 2] = t2
      sums[x + 3] = t3
      x += 4
    } else {
      let ix = ci + x * taps
      let wx = cw + x * taps
      var t = 0.0
      for i in 0..<taps {
        let row = p + i * stride
        for j in 0..<taps {
          t += row[ix[j]] * wx[j]
        }
      }
      sums[x] = t
      x += 1
    }
  }
}

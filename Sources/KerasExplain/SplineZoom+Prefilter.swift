import Foundation

// The B-spline prefilter: turns samples into interpolation coefficients, so that the spline of order n through the
// coefficients passes through the samples (Unser, Aldroubi & Eden, "Fast B-spline transforms for continuous image
// representation and interpolation", IEEE TPAMI 13(3), 1991, and "B-spline signal processing: Part II", IEEE Trans.
// Signal Processing 41(2), 1993). The inverse of the sampled B-spline kernel factors into one causal and one
// anti-causal first-order recursive filter per pole z; only the start value of each recursion depends on how the
// signal is extended past its ends. The start values below follow scipy.ndimage (`ni_splines.c`, scipy 1.17),
// operation by operation, so that the Float64 coefficients agree to the last bit wherever libm's `pow` agrees.

/// How the recursive prefilter starts each pass: which infinite extension of the line it assumes.
enum SplineFilterExtension {
  /// Whole-sample symmetric extension (`d c b | a b c d | c b a`), scipy's `mirror`.
  case mirror
  /// Half-sample symmetric extension (`c b a | a b c d | d c b`), scipy's `reflect`.
  case reflect
  /// Periodic extension with period n (`b c d | a b c d | a b c`), scipy's `grid-wrap`.
  case periodic

  /// The extension scipy's `spline_filter` uses for an interpolation boundary mode.
  ///
  /// `constant`, `grid-constant` and `wrap` have no exact prefilter in scipy and use the mirror one ('grid-constant'
  /// and 'nearest' are first padded by 12 samples, see ``SplineBoundaryMode``).
  init(_ mode: SplineBoundaryMode) {
    switch mode {
    case .constant, .gridConstant, .mirror, .wrap: self = .mirror
    case .nearest, .reflect, .gridMirror: self = .reflect
    case .gridWrap: self = .periodic
    }
  }
}

/// The poles of the direct B-spline filter of `order` (roots inside the unit circle of the sampled B-spline's
/// z-transform), as Float64. Orders 0 and 1 have none: their coefficients are the samples.
///
/// Values (closed forms from Unser et al. 1993 and Thevenaz, Blu & Unser, "Interpolation revisited", IEEE TMI 2000):
/// order 2: sqrt(8) - 3; order 3: sqrt(3) - 2; order 4: sqrt(664 -/+ sqrt(438976)) +/- sqrt(304) - 19;
/// order 5: sqrt(67.5 -/+ sqrt(4436.25)) +/- sqrt(26.25) - 6.5; each the Float64 nearest to the exact value.
func splinePoles(order: Int) -> [Double] {
  switch order {
  case 2: return [-0x1.5f619980c4337p-3]
  case 3: return [-0x1.126145e9ecd56p-2]
  case 4: return [-0x1.72036f2fc0817p-2, -0x1.c1c13efa52247p-7]
  case 5: return [-0x1.b8e8be69086f0p-2, -0x1.610b778d2f346p-5]
  default: return []
  }
}

/// Replaces the samples in `line` by B-spline coefficients for the given poles and extension, in place.
///
/// First every sample is scaled by the filter gain, the product over poles of (1 - z)(1 - 1/z); then, pole by pole,
/// a causal pass c[i] += z c[i-1] and an anti-causal pass c[i] = z (c[i+1] - c[i]), each started from the value the
/// infinite extended signal would give. Lines shorter than 2 samples are left as they are (as scipy does).
func applySplineFilter(
  _ line: UnsafeMutableBufferPointer<Double>, poles: [Double], extension ext: SplineFilterExtension
) {
  let n = line.count
  guard n > 1, !poles.isEmpty else { return }
  var gain = 1.0
  for z in poles {
    gain *= (1.0 - z) * (1.0 - 1.0 / z)
  }
  for i in 0..<n {
    line[i] *= gain
  }
  for z in poles {
    switch ext {
    case .mirror: startCausalMirror(line, z)
    case .reflect: startCausalReflect(line, z)
    case .periodic: startCausalPeriodic(line, z)
    }
    for i in 1..<n {
      line[i] += z * line[i - 1]
    }
    switch ext {
    case .mirror: startAntiCausalMirror(line, z)
    case .reflect: startAntiCausalReflect(line, z)
    case .periodic: startAntiCausalPeriodic(line, z)
    }
    for i in stride(from: n - 2, through: 0, by: -1) {
      line[i] = z * (line[i + 1] - line[i])
    }
  }
}

/// Causal start for the whole-sample symmetric extension: the full sum over one period 2n - 2 of the extended
/// signal, c0 = (sum_k z^k x_k + z^(n-1) sum_k z^k x_(n-1-k)) / (1 - z^(2n-2)), with both sums taken together.
private func startCausalMirror(_ c: UnsafeMutableBufferPointer<Double>, _ z: Double) {
  let n = c.count
  let zLast = pow(z, Double(n - 1))
  var zk = z
  var sum = c[0] + zLast * c[n - 1]
  for k in stride(from: 1, to: n - 1, by: 1) {
    sum += zk * (c[k] + zLast * c[n - 1 - k])
    zk *= z
  }
  c[0] = sum / (1 - zLast * zLast)
}

/// Anti-causal start for the whole-sample symmetric extension (closed form, Unser et al. 1991).
private func startAntiCausalMirror(_ c: UnsafeMutableBufferPointer<Double>, _ z: Double) {
  let n = c.count
  c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1)
}

/// Causal start for the half-sample symmetric extension, summing over one period 2n.
///
/// The sum is accumulated in c[0] itself, so its last term (k = n - 1) reads the partial sum where the exact formula
/// has the first sample; scipy 1.17 does exactly this and the port keeps it to reproduce scipy's numbers.
private func startCausalReflect(_ c: UnsafeMutableBufferPointer<Double>, _ z: Double) {
  let n = c.count
  let zN = pow(z, Double(n))
  let first = c[0]
  var zk = z
  c[0] = c[0] + zN * c[n - 1]
  for k in 1..<n {
    c[0] += zk * (c[k] + zN * c[n - 1 - k])
    zk *= z
  }
  c[0] *= z / (1 - zN * zN)
  c[0] += first
}

/// Anti-causal start for the half-sample symmetric extension.
private func startAntiCausalReflect(_ c: UnsafeMutableBufferPointer<Double>, _ z: Double) {
  let n = c.count
  c[n - 1] *= z / (z - 1)
}

/// Causal start for the periodic extension: sum over one period n, divided by 1 - z^n.
private func startCausalPeriodic(_ c: UnsafeMutableBufferPointer<Double>, _ z: Double) {
  let n = c.count
  var zk = z
  var sum = c[0]
  for k in 1..<n {
    sum += zk * c[n - k]
    zk *= z
  }
  c[0] = sum / (1 - zk)
}

/// Anti-causal start for the periodic extension.
private func startAntiCausalPeriodic(_ c: UnsafeMutableBufferPointer<Double>, _ z: Double) {
  let n = c.count
  var zk = z
  var sum = c[n - 1]
  for k in 0..<(n - 1) {
    sum += zk * c[k]
    zk *= z
  }
  c[n - 1] = sum * (z / (zk - 1))
}

/// Float64 spline coefficients of a row-major `height` x `width` array, as scipy's `spline_filter` computes them:
/// first along axis 0 (every column), then along axis 1 (every row), each line filtered on its own.
func splineCoefficients(
  _ samples: [Double], height: Int, width: Int, order: Int, extension ext: SplineFilterExtension
) -> [Double] {
  var coefficients = samples
  let poles = splinePoles(order: order)
  guard !poles.isEmpty else { return coefficients }
  coefficients.withUnsafeMutableBufferPointer { data in
    if height > 1 {
      var column = [Double](repeating: 0, count: height)
      column.withUnsafeMutableBufferPointer { line in
        for x in 0..<width {
          for y in 0..<height {
            line[y] = data[y * width + x]
          }
          applySplineFilter(line, poles: poles, extension: ext)
          for y in 0..<height {
            data[y * width + x] = line[y]
          }
        }
      }
    }
    if width > 1, let base = data.baseAddress {
      for y in 0..<height {
        let row = UnsafeMutableBufferPointer(start: base + y * width, count: width)
        applySplineFilter(row, poles: poles, extension: ext)
      }
    }
  }
  return coefficients
}

/// The array scipy prefilters for 'nearest' and 'grid-constant': the input padded by `padding` samples on every
/// side, repeating the edge samples ('nearest', numpy's `edge` padding) or filled with `fill` ('grid-constant').
/// The input is Float32 and so is numpy's padded copy, so a fill value is rounded to Float32 first.
func padded(
  _ input: [Float], height: Int, width: Int, padding: Int, fill: Float?
) -> (values: [Double], height: Int, width: Int) {
  let paddedHeight = height + 2 * padding
  let paddedWidth = width + 2 * padding
  var values = [Double](repeating: Double(fill ?? 0), count: paddedHeight * paddedWidth)
  for y in 0..<paddedHeight {
    let sourceY = min(max(y - padding, 0), height - 1)
    let rowInside = y >= padding && y < padding + height
    for x in 0..<paddedWidth {
      let sourceX = min(max(x - padding, 0), width - 1)
      let inside = rowInside && x >= padding && x < padding + width
      if inside || fill == nil {
        values[y * paddedWidth + x] = Double(input[sourceY * width + sourceX])
      }
    }
  }
  return (values, paddedHeight, paddedWidth)
}

import Foundation

/// lucent's `param.fft_image` followed by `param.color.to_valid_rgb(decorrelate: true)` (Olah et al., "Feature
/// Visualization", Distill 2017): images `(N, C, H, W)` in 0...1 from Fourier coefficients, with the adjoint of
/// every step for backpropagation.
///
/// `spectrum` has lucent's layout `(N, C, H, Wf, 2)` (real, imaginary), `Wf = W / 2 + 1` (`W / 2 + 2` for odd `W`,
/// whose last column is unused). The image is `sigmoid(D · irfft2(s ⊙ spectrum, norm: ortho) / 4)` with the 1/f
/// scale `s = 1 / max(|f|, 1 / max(W, H))^decayPower` and `D` lucent's `color_correlation_svd_sqrt / max_norm_svd_sqrt`
/// acting on each pixel's channels (3-channel images only).
public struct FourierImage: Sendable {
  /// Batch, channels, height, width.
  public let count: Int, channels: Int, height: Int, width: Int
  /// Whether colours are decorrelated (lucent's `decorrelate=True`; only with 3 channels).
  public let decorrelate: Bool
  /// `H`, `Wf`: the spectrum's frequency rows and columns.
  public var frequencyColumns: Int { width % 2 == 1 ? width / 2 + 2 : width / 2 + 1 }
  /// The number of spectrum values: `N * C * H * Wf * 2`.
  public var spectrumCount: Int { count * channels * height * frequencyColumns * 2 }
  /// The 1/f scale per frequency `(H, Wf)`.
  let scale: [Float]
  let cosRows: [Double], sinRows: [Double], cosColumns: [Double], sinColumns: [Double]

  /// lucent's `color_correlation_svd_sqrt / max_norm_svd_sqrt` (row = output channel).
  public static let colorCorrelation: [[Float]] = {
    let m: [[Float]] = [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]]
    let norms = (0..<3).map { j in (0..<3).map { m[$0][j] * m[$0][j] }.reduce(0, +).squareRoot() }
    let maximum = norms.max() ?? 1
    return m.map { row in row.map { $0 / maximum } }
  }()

  /// An image parameterization of `(count, channels, height, width)` with lucent's `decay_power`.
  public init(count: Int, channels: Int, height: Int, width: Int, decayPower: Double = 1, decorrelate: Bool = true)
    throws
  {
    guard count > 0, channels > 0, height > 0, width > 0 else {
      throw KerasVisError.invalidArgument("image size \(count)x\(channels)x\(height)x\(width) must be positive")
    }
    (self.count, self.channels, self.height, self.width) = (count, channels, height, width)
    self.decorrelate = decorrelate && channels == 3
    let columns = width % 2 == 1 ? width / 2 + 2 : width / 2 + 1
    // numpy's fftfreq: k / n for k < ceil(n / 2), then (k - n) / n.
    func frequency(_ k: Int, _ n: Int) -> Double { Double(k < (n + 1) / 2 ? k : k - n) / Double(n) }
    let floor = 1 / Double(max(width, height))
    var scale: [Float] = []
    for y in 0..<height {
      for x in 0..<columns {
        let (fy, fx) = (frequency(y, height), frequency(x, width))
        // fftfreq(w)[: w // 2 + 2] for odd w takes the first negative frequency as the extra column.
        scale.append(Float(1 / pow(max((fx * fx + fy * fy).squareRoot(), floor), decayPower)))
      }
    }
    self.scale = scale
    var (cr, sr, cc, sc) = ([Double](), [Double](), [Double](), [Double]())
    for k in 0..<height {
      for m in 0..<height {
        let angle = 2 * Double.pi * Double((k * m) % height) / Double(height)
        cr.append(cos(angle))
        sr.append(sin(angle))
      }
    }
    for k in 0..<columns {
      for n in 0..<width {
        let angle = 2 * Double.pi * Double((k * n) % width) / Double(width)
        cc.append(cos(angle))
        sc.append(sin(angle))
      }
    }
    (cosRows, sinRows, cosColumns, sinColumns) = (cr, sr, cc, sc)
  }

  /// The weight of column `k` in a real inverse FFT of length `width` (1 for DC and Nyquist, 2 otherwise, 0 unused).
  private func columnWeight(_ k: Int) -> Double {
    if k == 0 { return 1 }
    if k > (width - 1) / 2 { return width % 2 == 0 && k == width / 2 ? 1 : 0 }
    return 2
  }

  /// lucent's `fft_image` output `(N, C, H, W)` before colour: `irfftn(scale * spectrum, s: (H, W), norm: ortho) / 4`.
  public func spatial(_ spectrum: [Float]) -> [Float] {
    let columns = frequencyColumns
    var image = [Float](repeating: 0, count: count * channels * height * width)
    let norm = 1 / (Double(height) * Double(width)).squareRoot() / 4
    var re = [Double](repeating: 0, count: height * columns), im = re
    for plane in 0..<(count * channels) {
      // Inverse complex DFT over rows: Y[m, k] = sum_ky X[ky, k] e^{2 pi i ky m / H}.
      for i in re.indices { (re[i], im[i]) = (0, 0) }
      for ky in 0..<height {
        for k in 0..<columns {
          let at = (plane * height + ky) * columns + k
          let s = Double(scale[ky * columns + k])
          let (xr, xi) = (Double(spectrum[2 * at]) * s, Double(spectrum[2 * at + 1]) * s)
          for m in 0..<height {
            let (c, sn) = (cosRows[ky * height + m], sinRows[ky * height + m])
            re[m * columns + k] += xr * c - xi * sn
            im[m * columns + k] += xr * sn + xi * c
          }
        }
      }
      // Real inverse DFT over columns: x[m, n] = sum_k w_k Re(Y[m, k] e^{2 pi i k n / W}).
      for m in 0..<height {
        for n in 0..<width {
          var sum = 0.0
          for k in 0..<columns where columnWeight(k) > 0 {
            sum +=
              columnWeight(k)
              * (re[m * columns + k] * cosColumns[k * width + n] - im[m * columns + k] * sinColumns[k * width + n])
          }
          image[(plane * height + m) * width + n] = Float(sum * norm)
        }
      }
    }
    return image
  }

  /// The adjoint of ``spatial(_:)``: the gradient with respect to the spectrum from one with respect to the image.
  public func spatialAdjoint(_ gradient: [Float]) -> [Float] {
    let columns = frequencyColumns
    var result = [Float](repeating: 0, count: spectrumCount)
    let norm = 1 / (Double(height) * Double(width)).squareRoot() / 4
    var re = [Double](repeating: 0, count: height * columns), im = re
    for plane in 0..<(count * channels) {
      for m in 0..<height {
        for k in 0..<columns {
          let weight = columnWeight(k) * norm
          var (r, i) = (0.0, 0.0)
          if weight > 0 {
            for n in 0..<width {
              let g = Double(gradient[(plane * height + m) * width + n])
              r += g * cosColumns[k * width + n]
              i -= g * sinColumns[k * width + n]
            }
          }
          (re[m * columns + k], im[m * columns + k]) = (r * weight, i * weight)
        }
      }
      for ky in 0..<height {
        for k in 0..<columns {
          var (gr, gi) = (0.0, 0.0)
          for m in 0..<height {
            let (c, sn) = (cosRows[ky * height + m], sinRows[ky * height + m])
            let (yr, yi) = (re[m * columns + k], im[m * columns + k])
            gr += yr * c + yi * sn
            gi += -yr * sn + yi * c
          }
          let at = (plane * height + ky) * columns + k
          let s = Double(scale[ky * columns + k])
          result[2 * at] = Float(gr * s)
          result[2 * at + 1] = Float(gi * s)
        }
      }
    }
    return result
  }

  /// lucent's `_linear_decorrelate_color` on `(N, 3, H, W)`: every pixel's channels multiplied by the matrix
  /// (`transposed` applies its transpose, the adjoint).
  public static func decorrelated(_ image: [Float], count: Int, height: Int, width: Int, transposed: Bool = false)
    -> [Float]
  {
    var result = image
    let plane = height * width
    let m = colorCorrelation
    for n in 0..<count {
      for p in 0..<plane {
        let base = n * 3 * plane + p
        let v = (0..<3).map { image[base + $0 * plane] }
        for c in 0..<3 {
          result[base + c * plane] = (0..<3).reduce(Float(0)) { $0 + (transposed ? m[$1][c] : m[c][$1]) * v[$1] }
        }
      }
    }
    return result
  }

  /// The images `(N, C, H, W)` in 0...1 (lucent's `to_valid_rgb(fft_image(...), decorrelate=True)()`).
  public func image(_ spectrum: [Float]) -> [Float] {
    var x = spatial(spectrum)
    if decorrelate { x = Self.decorrelated(x, count: count, height: height, width: width) }
    return x.map { 1 / (1 + exp(-$0)) }
  }

  /// The gradient with respect to the spectrum, given the images ``image(_:)`` made and the gradient with respect
  /// to them.
  public func imageAdjoint(_ gradient: [Float], image: [Float]) -> [Float] {
    var g = zip(gradient, image).map { $0 * $1 * (1 - $1) }
    if decorrelate { g = Self.decorrelated(g, count: count, height: height, width: width, transposed: true) }
    return spatialAdjoint(g)
  }
}

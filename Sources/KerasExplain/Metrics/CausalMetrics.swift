import Foundation
import KerasRuntime

/// The deletion and insertion metrics of RISE (Petsiuk et al., arXiv 1806.07421), as its `CausalMetric` computes
/// them: pixels are ranked by the map (largest first), and `step` of them at a time are moved from a start image to
/// a finish image; the target's score after each move (and before the first) forms a curve whose area,
/// `(sum(s) - s_0 / 2 - s_n / 2) / n` over `n = ceil(H W / step)` moves, is the metric.
///
/// - `deletion`: from the input to the substrate (zeros); a good map makes the score fall fast, so smaller is
///   better.
/// - `insertion`: from the input blurred by RISE's kernel (an 11x11 window of a Gaussian of sigma 5, as
///   `scipy.ndimage.gaussian_filter` makes it from a unit impulse, applied with zero padding per channel) to the
///   input; larger is better.
///
/// RISE scores the softmax probability: use targets with `score: .probability`. Ties in the map are ranked by
/// position (row-major, earlier first).
public struct CausalMetric: ExplanationMetric {
  public enum Kind: String, Sendable, CaseIterable {
    case deletion, insertion
  }

  public var kind: Kind
  /// Pixels moved per step; nil for the input's width (RISE used 224 at 224x224).
  public var step: Int?
  /// Forward passes per batch.
  public var batchSize: Int

  public var name: String { kind.rawValue }
  public var largerIsBetter: Bool { kind == .insertion }

  public init(_ kind: Kind, step: Int? = nil, batchSize: Int = 16) {
    self.kind = kind
    self.step = step
    self.batchSize = batchSize
  }

  public func evaluate(_ inputs: MetricInputs, with explainer: Explainer) throws -> [Float] {
    try curves(inputs, with: explainer).map(Self.area)
  }

  /// The score curve of every input: `n + 1` scores.
  public func curves(_ inputs: MetricInputs, with explainer: Explainer) throws -> [[Float]] {
    let (count, height, width, channels) = try inputs.dimensions()
    let pixels = height * width
    let step = self.step ?? width
    guard step > 0 else {
      throw KerasVisError.invalidArgument("the deletion/insertion step must be positive (got \(step))")
    }
    let moves = (pixels + step - 1) / step
    let x = inputs.input.scalars
    var curves: [[Float]] = []
    for n in 0..<count {
      let image = Array(x[(n * pixels * channels)..<((n + 1) * pixels * channels)])
      let blurred = kind == .insertion ? riseBlur(image, height: height, width: width, channels: channels) : []
      let start = kind == .deletion ? image : blurred
      let finish = kind == .deletion ? [Float](repeating: 0, count: image.count) : image
      let map = inputs.map(n, pixels: pixels)
      let order = map.indices.sorted { map[$0] > map[$1] || (map[$0] == map[$1] && $0 < $1) }.map {
        $0 - map.startIndex
      }
      // rank[p]: the move at which pixel p changes.
      var rank = [Int](repeating: 0, count: pixels)
      for (position, pixel) in order.enumerated() { rank[pixel] = position / step }
      let target = inputs.targets[n]
      let curve = try explainer.batchedScores(
        count: moves + 1, batchSize: batchSize, sampleShape: [height, width, channels], target: { _ in target }
      ) { move, buffer in
        for p in 0..<pixels {
          let source = rank[p] < move ? finish : start
          for c in 0..<channels { buffer[p * channels + c] = source[p * channels + c] }
        }
      }
      curves.append(curve)
    }
    return curves
  }

  /// RISE's `auc`: the trapezoid area under a curve of equally spaced scores, over a unit interval.
  public static func area(_ curve: [Float]) -> Float {
    guard curve.count > 1, let first = curve.first, let last = curve.last else { return curve.first ?? 0 }
    return (curve.reduce(0, +) - first / 2 - last / 2) / Float(curve.count - 1)
  }
}

/// RISE's `gkern(11, 5)`: `scipy.ndimage.gaussian_filter` (sigma 5, truncate 4, mode 'reflect') of an 11x11 unit
/// impulse, as one axis (the 2-D kernel is its outer product).
func riseKernel(size: Int = 11, sigma: Double = 5) -> [Double] {
  let radius = Int(4 * sigma + 0.5)
  var weights = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
  let total = weights.reduce(0, +)
  weights = weights.map { $0 / total }
  // The impulse at the centre, reflected ('d c b a | a b c d | d c b a') as far as the filter reaches.
  func reflected(_ index: Int) -> Int {
    let period = 2 * size
    var i = ((index % period) + period) % period
    if i >= size { i = period - 1 - i }
    return i
  }
  let centre = size / 2
  return (0..<size).map { output in
    var value = 0.0
    for (k, offset) in (-radius...radius).enumerated() where reflected(output + offset) == centre {
      value += weights[k]
    }
    return value
  }
}

/// An image `(H, W, C)` blurred with RISE's kernel, channel by channel, with zero padding (PyTorch's `conv2d` with
/// `padding = 5`).
func riseBlur(_ image: [Float], height: Int, width: Int, channels: Int) -> [Float] {
  let kernel = riseKernel()
  let half = kernel.count / 2
  let weights = kernel.map { a in kernel.map { b in Float(a * b) } }
  var result = [Float](repeating: 0, count: image.count)
  for y in 0..<height {
    for x in 0..<width {
      for c in 0..<channels {
        var total: Float = 0
        for dy in -half...half where (0..<height).contains(y + dy) {
          for dx in -half...half where (0..<width).contains(x + dx) {
            total += weights[dy + half][dx + half] * image[((y + dy) * width + x + dx) * channels + c]
          }
        }
        result[(y * width + x) * channels + c] = total
      }
    }
  }
  return result
}

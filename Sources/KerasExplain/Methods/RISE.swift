import Foundation
import KerasRuntime

/// RISE, Randomized Input Sampling for Explanation (Petsiuk et al., arXiv 1806.07421), as eclique/RISE's
/// `explanations.py` computes it: `masks` random binary `s x s` grids (`s = gridSize`), each cell kept with
/// probability `p = keepProbability`, upsampled bilinearly to `(s + 1) * cell` with `cell = ceil(H / s)` (and the
/// same along W) and cropped to `H x W` at a random offset in `0 ..< cell`; the saliency of a sample is
/// `sum_i S(x * M_i) M_i / (N p)`, the score-weighted mean of the masks (one mask over all channels).
///
/// The masks come from kerasvis's seeded generator (`masks(height:width:)`): the grids first (row-major
/// `(N, s, s)`, a cell kept when a uniform draw in [0, 1) is below `p`), then the offsets `(row, column)` of every
/// mask; the upsampling is `skimage.transform.resize(order=1, mode='reflect', anti_aliasing=False)` (pixel centres
/// aligned, mirrored at the edges), as in `generate_masks`. Every sample of a batch uses the same masks. One
/// forward pass per mask and sample, `request.batchSize` at a time.
///
/// `Explanation.attributions` is the saliency `(N, H, W, 1)`; `maps` is it scaled to 0...1 by
/// `(s - min) / (max - min + 1e-7)`.
public struct RISE: ExplanationMethod {
  /// The number of masks `N`.
  public var masks: Int
  /// The grid's cells per side `s`.
  public var gridSize: Int
  /// The probability `p` that a grid cell is kept.
  public var keepProbability: Float
  /// The mask generator's seed.
  public var seed: UInt64

  public var name: String { "rise" }
  public var usesLayer: Bool { false }

  public init(masks: Int = 1000, gridSize: Int = 8, keepProbability: Float = 0.5, seed: UInt64 = 0) {
    self.masks = masks
    self.gridSize = gridSize
    self.keepProbability = keepProbability
    self.seed = seed
  }

  /// The masks for `height x width` samples, `(N, height, width)` with values in 0...1.
  /// - Throws: `KerasVisError.invalidArgument` for a non-positive count or grid, or a probability outside (0, 1].
  public func masks(height: Int, width: Int) throws -> Tensor {
    let generator = try RISEMasks(self, height: height, width: width)
    return try Tensor(shape: [masks, height, width], values: Array((0..<masks).map(generator.mask).joined()))
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.requireChannelsLastInput(name)
    let (input, targets, scores) = try explainer.resolvedTargets(request)
    let count = input.shape[0]
    let sampleShape = Array(input.shape.dropFirst())
    let (height, width, channels) = try explainer.imageSampleShape(input, method: "RISE")
    let pixels = height * width
    // The masks are made where they are used (1000 masks of 224x224 would take 200 MB).
    let generator = try RISEMasks(self, height: height, width: width)
    let x = input.scalars
    // Run i * count + n is sample n under mask i.
    let maskedScores = try explainer.batchedScores(
      count: masks * count, batchSize: request.batchSize, sampleShape: sampleShape, target: { targets[$0 % count] }
    ) { run, buffer in
      let (i, n) = (run / count, run % count)
      let mask = generator.mask(i)
      for p in 0..<pixels {
        for c in 0..<channels { buffer[p * channels + c] = x[(n * pixels + p) * channels + c] * mask[p] }
      }
    }
    var saliency = [Float](repeating: 0, count: count * pixels)
    for i in 0..<masks {
      let mask = generator.mask(i)
      for n in 0..<count {
        let score = maskedScores[i * count + n]
        for p in 0..<pixels { saliency[n * pixels + p] += score * mask[p] }
      }
    }
    let scale = 1 / (Float(masks) * keepProbability)
    for i in saliency.indices { saliency[i] *= scale }
    var maps: [Float] = []
    for n in 0..<count { maps += minMaxNormalized(Array(saliency[(n * pixels)..<((n + 1) * pixels)])) }
    return Explanation(
      maps: try Tensor(shape: [count, height, width], values: maps),
      attributions: try Tensor(shape: [count, height, width, 1], values: saliency), targets: targets, scores: scores)
  }
}

/// RISE's random grids and offsets, drawn once; each mask upsampled when asked for.
struct RISEMasks {
  let gridSize: Int
  let height: Int
  let width: Int
  /// `(N, s, s)` row-major, 0 or 1.
  let grids: [Float]
  /// Each mask's crop offset `(row, column)` in the upsampled grid.
  let shifts: [(row: Int, column: Int)]
  let rows: [(index0: Int, index1: Int, weight0: Double, weight1: Double)]
  let columns: [(index0: Int, index1: Int, weight0: Double, weight1: Double)]

  /// The grids and offsets of `method` for `height x width` samples, from its seed.
  /// - Throws: `KerasVisError.invalidArgument` for a non-positive count or grid, or a probability outside (0, 1].
  init(_ method: RISE, height: Int, width: Int) throws {
    guard method.masks > 0 else {
      throw KerasVisError.invalidArgument("RISE needs at least one mask (got \(method.masks))")
    }
    guard method.gridSize > 0 else {
      throw KerasVisError.invalidArgument("the RISE grid needs at least one cell per side (got \(method.gridSize))")
    }
    guard method.keepProbability > 0, method.keepProbability <= 1 else {
      throw KerasVisError.invalidArgument(
        "the RISE keep probability must be in (0, 1] (got \(method.keepProbability))")
    }
    let s = method.gridSize
    var generator = SeededGenerator(state: method.seed)
    let p = Double(method.keepProbability)
    grids = (0..<(method.masks * s * s)).map { _ in Double(generator.next() >> 11) / Double(1 << 53) < p ? 1 : 0 }
    let cellHeight = (height + s - 1) / s
    let cellWidth = (width + s - 1) / s
    shifts = (0..<method.masks).map { _ in
      (Int(generator.next() % UInt64(cellHeight)), Int(generator.next() % UInt64(cellWidth)))
    }
    rows = mirroredLinearWeights(from: s, to: (s + 1) * cellHeight)
    columns = mirroredLinearWeights(from: s, to: (s + 1) * cellWidth)
    (gridSize, self.height, self.width) = (s, height, width)
  }

  /// Mask `i`, row-major `(height, width)`: its grid upsampled and cropped at its offset.
  func mask(_ i: Int) -> [Float] {
    let s = gridSize
    let grid = i * s * s
    let (top, left) = shifts[i]
    var values = [Float](repeating: 0, count: height * width)
    for y in 0..<height {
      let row = rows[top + y]
      let upper = grid + row.index0 * s
      let lower = grid + row.index1 * s
      for x in 0..<width {
        let column = columns[left + x]
        let above =
          column.weight0 * Double(grids[upper + column.index0]) + column.weight1
          * Double(grids[upper + column.index1])
        let below =
          column.weight0 * Double(grids[lower + column.index0]) + column.weight1
          * Double(grids[lower + column.index1])
        values[y * width + x] = Float(row.weight0 * above + row.weight1 * below)
      }
    }
    return values
  }
}

/// The two source samples and weights of every output sample when `from` samples are resized linearly to `to`
/// with pixel centres aligned (`(o + 0.5) * from / to - 0.5`) and mirrored at the edges (`-t -> t`,
/// `from - 1 + t -> from - 1 - t`), as `scipy.ndimage.zoom(order=1, mode='mirror', grid_mode=True)`, which
/// `skimage.transform.resize(order=1, mode='reflect')` calls.
func mirroredLinearWeights(from: Int, to: Int) -> [(index0: Int, index1: Int, weight0: Double, weight1: Double)] {
  (0..<to).map { o in
    var t = (Double(o) + 0.5) * Double(from) / Double(to) - 0.5
    let last = Double(from - 1)
    if from == 1 { return (0, 0, 1, 0) }
    if t < 0 { t = -t }
    if t > last { t = 2 * last - t }
    let low = min(Int(t.rounded(.down)), from - 2)
    let fraction = t - Double(low)
    return (low, low + 1, 1 - fraction, fraction)
  }
}

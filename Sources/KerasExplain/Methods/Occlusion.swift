import Foundation
import KerasRuntime

/// A box over an `(H, W, C)` sample: an occlusion window or its strides (`channels` nil: every channel).
public struct PatchShape: Sendable, Equatable {
  /// The extent along H.
  public var height: Int
  /// The extent along W.
  public var width: Int
  /// The channel extent; nil for all of the sample's channels (a window) or 1 (a stride).
  public var channels: Int?

  public init(height: Int, width: Int, channels: Int? = nil) {
    self.height = height
    self.width = width
    self.channels = channels
  }

  /// The extents along `(H, W, C)` of a sample with `channelCount` channels (`fullChannels`: nil channels means all,
  /// else 1).
  func extents(channelCount: Int, fullChannels: Bool) -> [Int] {
    [height, width, channels ?? (fullChannels ? channelCount : 1)]
  }
}

/// Occlusion (Zeiler & Fergus, arXiv 1311.2901) as Captum's `Occlusion.attribute(inputs, sliding_window_shapes,
/// strides, baselines, target)` computes it: a window slides over the sample's height, width and channels; each
/// position is replaced by `baseline` and the model run; every element receives the mean of
/// `S(x) - S(x with the window at p occluded)` over the window positions `p` covering it.
///
/// Along an axis of size `D` with window `k` and stride `s` the window starts at `j * s` for
/// `j = 0 ... ceil((D - k) / s)`, the last position cut at the edge (as Captum's negative padding cuts it), so every
/// element is covered. Captum's window `(C, h, w)` on an NCHW tensor is `PatchShape(height: h, width: w,
/// channels: C)` here. One forward pass per position and sample, `request.batchSize` at a time.
///
/// `Explanation.attributions` are `(N, H, W, C)`, `maps` `normalize(max_c |a|)` as for the gradient methods.
public struct Occlusion: ExplanationMethod {
  /// The occluded window (Captum's `sliding_window_shapes`).
  public var window: PatchShape
  /// The window's steps (Captum's `strides`; nil channels: 1).
  public var strides: PatchShape
  /// The value the window is filled with (Captum's `baselines`).
  public var baseline: Float

  public var name: String { "occlusion" }
  public var usesLayer: Bool { false }

  public init(
    window: PatchShape = PatchShape(height: 8, width: 8), strides: PatchShape = PatchShape(height: 4, width: 4),
    baseline: Float = 0
  ) {
    self.window = window
    self.strides = strides
    self.baseline = baseline
  }

  /// The window's start offsets along each of `(H, W, C)` for a sample of `shape`.
  /// - Throws: `KerasVisError.invalidArgument` for a window larger than the sample, a non-positive extent, or a
  ///   stride larger than the window (which Captum refuses as it would leave elements uncovered).
  public func offsets(sampleShape shape: [Int]) throws -> [[Int]] {
    guard shape.count == 3 else {
      throw KerasVisError.invalidInput("occlusion needs (N, H, W, C) inputs; got a sample of shape \(shape)")
    }
    let sizes = window.extents(channelCount: shape[2], fullChannels: true)
    let steps = strides.extents(channelCount: shape[2], fullChannels: false)
    let axes = ["height", "width", "channels"]
    return try (0..<3).map { axis in
      let (size, k, s) = (shape[axis], sizes[axis], steps[axis])
      guard k > 0, s > 0 else {
        throw KerasVisError.invalidArgument("the occlusion window and strides must be positive (\(axes[axis]))")
      }
      guard k <= size else {
        throw KerasVisError.invalidArgument(
          "the occlusion window's \(axes[axis]) \(k) exceeds the input's \(size)")
      }
      guard s <= k || k == size else {
        throw KerasVisError.invalidArgument(
          "the occlusion stride's \(axes[axis]) \(s) is larger than the window's \(k)")
      }
      let count = (size - k + s - 1) / s + 1
      return (0..<count).map { $0 * s }
    }
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.requireChannelsLastInput(name)
    let (input, targets, scores) = try explainer.resolvedTargets(request)
    let count = input.shape[0]
    let sampleShape = Array(input.shape.dropFirst())
    let (height, width, channels) = try explainer.imageSampleShape(input, method: "occlusion")
    let size = sampleShape.reduce(1, *)
    let starts = try offsets(sampleShape: sampleShape)
    let sizes = window.extents(channelCount: channels, fullChannels: true)
    // Every window position as ranges along (H, W, C).
    var boxes: [(Range<Int>, Range<Int>, Range<Int>)] = []
    for y in starts[0] {
      for x in starts[1] {
        for c in starts[2] {
          boxes.append(
            (y..<min(y + sizes[0], height), x..<min(x + sizes[1], width), c..<min(c + sizes[2], channels)))
        }
      }
    }
    let x = input.scalars
    let occluded = try explainer.batchedScores(
      count: count * boxes.count, batchSize: request.batchSize, sampleShape: sampleShape,
      target: { targets[$0 / boxes.count] }
    ) { run, buffer in
      let (n, box) = (run / boxes.count, boxes[run % boxes.count])
      for i in 0..<size { buffer[i] = x[n * size + i] }
      for row in box.0 {
        for column in box.1 {
          for channel in box.2 { buffer[(row * width + column) * channels + channel] = baseline }
        }
      }
    }
    var covering = [Float](repeating: 0, count: size)
    var total = [Float](repeating: 0, count: count * size)
    for (position, box) in boxes.enumerated() {
      for row in box.0 {
        for column in box.1 {
          for channel in box.2 {
            let i = (row * width + column) * channels + channel
            covering[i] += 1
            for n in 0..<count { total[n * size + i] += scores[n] - occluded[n * boxes.count + position] }
          }
        }
      }
    }
    for i in total.indices { total[i] /= covering[i % size] }
    let attributions = try Tensor(shape: input.shape, values: total)
    return Explanation(
      maps: try attributionMaps(attributions), attributions: attributions, targets: targets, scores: scores)
  }
}

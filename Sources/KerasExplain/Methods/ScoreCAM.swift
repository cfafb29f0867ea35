import Foundation
import KerasRuntime

/// Score-CAM (Wang et al., arXiv 1910.01279): gradient-free channel weights from the model's score on the input
/// masked by each channel's upsampled, min-max-normalized activation map, `M_k = norm(up(A_k))`,
/// `s_k = S(x * M_k)`, map `relu(sum_k w_k A_k)`. One forward pass per channel, `request.batchSize` at a time.
///
/// The two libraries differ:
/// - `pytorchGradCAM` (pytorch-grad-cam's `ScoreCAM`): `up` is PyTorch's bilinear `UpsamplingBilinear2d` (corners
///   aligned), `norm(u) = (u - min) / (max - min + 1e-8)`, the target reads the output as the model computes it,
///   and `w = softmax_k(s_k)` over the channels.
/// - `tfKerasVis` (tf-keras-vis's `Scorecam`): `up` is `scipy.ndimage.zoom(order=1, mode='nearest')`, the epsilon
///   is 1e-7, the target reads `softmax(o)` with `o` the model output (a second softmax on a model that ends in
///   one, as tf-keras-vis computes it; `.logit` targets give `o` the pre-activation, and `.probability` targets
///   read it as `.output` ones), and `w_k = s_k`.
///
/// Feature maps over one, two or three spatial axes, `(N, L, C)`, `(N, H, W, C)` or `(N, D, H, W, C)` (an input of
/// the same rank), are upsampled to the input's length, size or volume. tf-keras-vis zooms any rank. pytorch-grad-cam
/// 1.5.7 has no 1-D or 3-D Score-CAM (its `UpsamplingBilinear2d` takes `(N, C, H, W)` only: a 3-D map fails with
/// "Input and output must have the same number of spatial dimensions", and its `BaseCAM` refuses a 1-D input), so
/// `pytorchGradCAM` upsamples those ranks as `tfKerasVis` does; `zoom(order=1)` aligns the corners as
/// `UpsamplingBilinear2d` does, so this is that resize on another rank. Its epsilon, target and softmax stay.
///
/// `maxN` is tf-keras-vis's Faster Score-CAM (after tabayashi0117/Score-CAM): only the `maxN` channels with the
/// largest spatial standard deviation of every sample are used (the union over the batch, in order of first
/// appearance), the others weigh 0. Channels whose map is constant get an all-zero mask; the model runs once for
/// all of them.
public struct ScoreCAM: ClassActivationMapping {
  /// Whose formula to follow.
  public var variant: Convention
  /// Faster Score-CAM's channel count; nil for every channel.
  public var maxN: Int?

  public var name: String { "scorecam" }
  public var usesGradients: Bool { false }

  public init(variant: Convention = .pytorchGradCAM, maxN: Int? = nil) {
    self.variant = variant
    self.maxN = maxN
  }

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    guard let activations = pass.activations else {
      throw KerasVisError.invalidArgument("scorecam needs the feature map")
    }
    try explainer.requireOneInput(name)
    let shape = FeatureMaps(activations)
    let input = pass.input
    // A channels_first input (N, C, ...) is masked per position the same way, its channels planes apart.
    let channelsFirst = explainer.graph.channelLayout(ofInput: 0) == .channelsFirst
    let inputSpatial = Array(input.shape.dropFirst(channelsFirst ? 2 : 1).dropLast(channelsFirst ? 0 : 1))
    guard (1...3).contains(shape.spatial.count), inputSpatial.count == shape.spatial.count else {
      throw KerasVisError.unsuitableLayer(
        layer: try explainer.layerLocation(pass.layer ?? []),
        detail:
          "scorecam masks the input with feature maps over as many axes as the input's: its output is "
          + "\(activations.shape), the input \(input.shape)")
    }
    let inputChannels = input.shape[channelsFirst ? 1 : input.rank - 1]
    let pixels = inputSpatial.reduce(1, *)
    let channels = try selectedChannels(activations)
    let a = activations.scalars
    let x = input.scalars
    var weights = [Float](repeating: 0, count: shape.count * shape.channels)
    for sample in 0..<shape.count {
      // Every selected channel's map; a constant one gives an all-zero mask, which runs once for all of them. The
      // upsampled, normalized masks are made as the batches are filled (2048 of them at 299x299 would take 730 MB).
      let maps = channels.map { channel in (0..<shape.positions).map { a[shape.index(sample, $0, channel)] } }
      let constant = maps.map { ($0.max() ?? 0) == ($0.min() ?? 0) }
      let zeroMasked = constant.contains(true)
      let runs = channels.indices.filter { !constant[$0] } + (zeroMasked ? [-1] : [])
      let target = pass.targets[sample]
      let sampleOffset = sample * pixels * inputChannels
      let scores = try explainer.batchedScores(
        count: runs.count, batchSize: request.batchSize, sampleShape: Array(input.shape.dropFirst()),
        target: { _ in target }, softmaxOnTop: variant == .tfKerasVis
      ) { run, buffer in
        // The zero mask (and a map that upsamples to a constant) leaves the input zeros.
        guard runs[run] >= 0,
          let mask = try normalizedMask(maps[runs[run]], shape: shape.spatial, to: inputSpatial)
        else { return }
        for p in 0..<pixels {
          for c in 0..<inputChannels {
            let i = channelsFirst ? c * pixels + p : p * inputChannels + c
            buffer[i] = x[sampleOffset + i] * mask[p]
          }
        }
      }
      var channelScores = [Float](repeating: 0, count: channels.count)
      for (run, score) in zip(runs, scores) where run >= 0 { channelScores[run] = score }
      if zeroMasked, let zeroScore = scores.last {
        for position in channels.indices where constant[position] { channelScores[position] = zeroScore }
      }
      let channelWeights = variant == .pytorchGradCAM ? softmax(channelScores) : channelScores
      for (channel, weight) in zip(channels, channelWeights) { weights[sample * shape.channels + channel] = weight }
    }
    return try channelWeighted(activations, weights: weights)
  }

  /// The channels used: all, or Faster Score-CAM's top `maxN` by spatial standard deviation per sample (the union
  /// over the batch in order of first appearance, as `tf.unique` of the flattened `tf.math.top_k` indices).
  /// - Throws: `KerasVisError.invalidArgument` when `maxN` is outside 1...channels.
  func selectedChannels(_ activations: Tensor) throws -> [Int] {
    let shape = FeatureMaps(activations)
    guard let maxN else { return Array(0..<shape.channels) }
    guard (1...shape.channels).contains(maxN) else {
      throw KerasVisError.invalidArgument(
        "maxN must be between 1 and \(shape.channels) (the channel count); got \(maxN)")
    }
    let a = activations.scalars
    var order: [Int] = []
    var seen = Set<Int>()
    for sample in 0..<shape.count {
      let deviations = (0..<shape.channels).map { channel -> Float in
        var mean: Float = 0
        for p in 0..<shape.positions { mean += a[shape.index(sample, p, channel)] }
        mean /= Float(shape.positions)
        var variance: Float = 0
        for p in 0..<shape.positions {
          let d = a[shape.index(sample, p, channel)] - mean
          variance += d * d
        }
        return (variance / Float(shape.positions)).squareRoot()
      }
      let top = deviations.indices.sorted {
        deviations[$0] > deviations[$1] || (deviations[$0] == deviations[$1] && $0 < $1)
      }
      for channel in top.prefix(maxN) where seen.insert(channel).inserted { order.append(channel) }
    }
    return order
  }

  /// A channel's map upsampled to the input's length, size or volume and scaled to 0...1; nil when it is constant
  /// (an all-zero mask).
  /// - Throws: `KerasVisError.invalidArgument` when the zoom cannot produce the input's size.
  func normalizedMask(_ map: [Float], shape: [Int], to target: [Int]) throws -> [Float]? {
    let upsampled: [Float]
    if variant == .pytorchGradCAM, shape.count == 2 {
      upsampled = alignedCornersLinearResize(
        map, height: shape[0], width: shape[1], toHeight: target[0], toWidth: target[1])
    } else {
      upsampled = try nearestEdgeLinearZoom(map, shape: shape, to: target)
    }
    let epsilon: Float = variant == .pytorchGradCAM ? 1e-8 : GradModifier.epsilon
    let low = upsampled.min() ?? 0
    let high = upsampled.max() ?? 0
    if high == low { return nil }
    return upsampled.map { ($0 - low) / (high - low + epsilon) }
  }

  /// tf-keras-vis's resize of the maps, `scipy.ndimage.zoom(map, factors, order=1, mode='nearest')` over the
  /// spatial axes (a length is the 2-D zoom of one row, a volume `splineZoom(volume:)`).
  /// - Throws: `KerasVisError.invalidArgument` when the zoom cannot produce `target`.
  func nearestEdgeLinearZoom(_ map: [Float], shape: [Int], to target: [Int]) throws -> [Float] {
    let factors = zip(shape, target).map { Double($1) / Double($0) }
    let zoomed: [Float]
    do {
      switch shape.count {
      case 1:
        zoomed = try splineZoom(
          map, height: 1, width: shape[0], factors: (1, factors[0]), order: 1, mode: .nearest
        ).values
      case 2:
        zoomed = try splineZoom(
          map, height: shape[0], width: shape[1], factors: (factors[0], factors[1]), order: 1, mode: .nearest
        ).values
      default:
        zoomed = try splineZoom(
          volume: map, depth: shape[0], height: shape[1], width: shape[2],
          factors: (factors[0], factors[1], factors[2]),
          order: 1, mode: .nearest
        ).values
      }
    } catch {
      throw KerasVisError.invalidArgument("cannot resize the \(shape) map to \(target): \(error)")
    }
    guard zoomed.count == target.reduce(1, *) else {
      throw KerasVisError.invalidArgument("the \(shape) map does not resize to \(target)")
    }
    return zoomed
  }
}

/// `softmax` of a vector.
func softmax(_ values: [Float]) -> [Float] {
  let largest = values.max() ?? 0
  let exponentials = values.map { exp($0 - largest) }
  let total = exponentials.reduce(0, +)
  return exponentials.map { $0 / total }
}

import KerasGraph
import KerasRuntime

/// A class activation map method: it weights a feature map `A` `(N, h, w, C)` (channel weights, or position-wise
/// weights), and the map is `relu(sum_c (w * A)[..., c])` (or, with eigen smoothing, the first principal component
/// of `w * A`), resized to the input and scaled to 0...1 as the request's `Convention` says.
///
/// Conforming types implement `weightedActivations`; `explain` runs the shared pipeline (target resolution, the
/// automatic layer, batches, test-time augmentation, eigen smoothing, resizing).
public protocol ClassActivationMapping: ExplanationMethod {
  /// Whether `weightedActivations` needs `d score / d A` in the pass.
  var usesGradients: Bool { get }
  /// Whether the map is always the first principal component of the weighted activations (Eigen-CAM), whatever
  /// the request's `eigenSmooth`.
  var alwaysProjects: Bool { get }
  /// `w * A`, `(N, h, w, C)`, from a pass holding `A` (and `d score / d A` when `usesGradients`).
  func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor
}

extension ClassActivationMapping {
  public var usesLayer: Bool { true }
  public var alwaysProjects: Bool { false }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.classActivationMaps(self, request)
  }
}

extension Explainer {
  /// The shared CAM pipeline (pytorch-grad-cam's `BaseCAM.forward` and `forward_augmentation_smoothing`, or
  /// tf-keras-vis's `Gradcam.__call__` after the weights).
  func classActivationMaps(_ method: some ClassActivationMapping, _ request: ExplanationRequest) throws -> Explanation {
    let input = try batched(request.input)
    let layer = try request.layer ?? automaticCAMLayer()
    guard request.augmentationSmoothing else { return try singleCAM(method, request, input: input, layer: layer) }
    // ttach's Compose([HorizontalFlip(), Multiply([0.9, 1, 1.1])]): every (flip, factor) pair, in that order.
    var total: [Float]?
    var plain: Explanation?
    for flip in [false, true] {
      for factor: Float in [0.9, 1, 1.1] {
        var augmented = flip ? try horizontallyFlipped(input) : input
        augmented.withUnsafeMutableBufferPointer { values in
          for i in values.indices { values[i] *= factor }
        }
        var explanation = try singleCAM(method, request, input: augmented, layer: layer)
        if flip { explanation.maps = try horizontallyFlipped(explanation.maps) }
        if !flip && factor == 1 { plain = explanation }
        let maps = explanation.maps.scalars
        total = total.map { zip($0, maps).map { $0 + $1 } } ?? maps
      }
    }
    guard var result = plain, let total else { throw KerasVisError.invalidInput("no augmentation ran") }
    result.maps = try Tensor(shape: result.maps.shape, values: total.map { $0 / 6 })
    return result
  }

  /// One CAM computation on `input` (no augmentation).
  private func singleCAM(
    _ method: some ClassActivationMapping, _ request: ExplanationRequest, input: Tensor, layer: [Int]
  ) throws -> Explanation {
    let pass = try targetedPass(
      input: input, targets: request.targets, defaultScore: request.defaultScore, layer: layer,
      gradient: method.usesGradients ? .layer : .none)
    guard let activations = pass.activations, activations.rank == 4 else {
      throw KerasVisError.unsuitableLayer(
        layer: try layerLocation(layer),
        detail: "class activation maps need a feature map (N, H, W, C); its output is \(pass.activations?.shape ?? [])")
    }
    let weighted = try method.weightedActivations(pass, request: request, explainer: self)
    let (count, height, width, channels) = (weighted.shape[0], weighted.shape[1], weighted.shape[2], weighted.shape[3])
    let (inputHeight, inputWidth) = (input.shape[1], input.shape[2])
    let project = method.alwaysProjects || request.eigenSmooth
    var low: [Float] = []
    var maps: [Float] = []
    try weighted.withUnsafeBufferPointer { values in
      for sample in 0..<count {
        let start = sample * height * width * channels
        let slice = UnsafeBufferPointer(rebasing: values[start..<(start + height * width * channels)])
        let map =
          (project
          ? principalComponentProjection(slice, positions: height * width, channels: channels)
          : channelSums(slice, channels: channels)).map { max($0, 0) }
        low += map
        maps += try request.convention.scaledMap(
          map, height: height, width: width, toHeight: inputHeight, toWidth: inputWidth)
      }
    }
    return Explanation(
      maps: try Tensor(shape: [count, inputHeight, inputWidth], values: maps),
      lowResolutionMaps: try Tensor(shape: [count, height, width], values: low), layer: layer,
      targets: pass.targets, scores: pass.scores)
  }
}

/// `sum_c x[p, c]` for every position `p` of a row-major `(positions, channels)` buffer.
func channelSums(_ values: UnsafeBufferPointer<Float>, channels: Int) -> [Float] {
  let positions = values.count / max(channels, 1)
  return (0..<positions).map { p in
    var total: Float = 0
    for c in 0..<channels { total += values[p * channels + c] }
    return total
  }
}

/// The batch flipped left to right (the width axis of `(N, H, W, ...)`).
func horizontallyFlipped(_ tensor: Tensor) throws -> Tensor {
  guard tensor.rank >= 3 else { return tensor }
  let (count, height, width) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
  let inner = tensor.count / max(count * height * width, 1)
  let values = tensor.scalars
  return try Tensor(shape: tensor.shape) { index in
    let rest = index % inner
    let x = (index / inner) % width
    let row = index / (inner * width)
    return values[(row * width + (width - 1 - x)) * inner + rest]
  }
}

/// Per-channel view helpers for `(N, h, w, C)` feature maps.
struct FeatureMaps {
  let count: Int
  let height: Int
  let width: Int
  let channels: Int
  var positions: Int { height * width }

  init(_ tensor: Tensor) {
    count = tensor.shape[0]
    height = tensor.shape[1]
    width = tensor.shape[2]
    channels = tensor.shape[3]
  }

  /// The flat index of (sample, position, channel).
  @inline(__always) func index(_ sample: Int, _ position: Int, _ channel: Int) -> Int {
    (sample * positions + position) * channels + channel
  }
}

extension ClassActivationMapping {
  /// `weights[n, c] * A[n, ..., c]` for channel weights `(N, C)`.
  func channelWeighted(_ activations: Tensor, weights: [Float]) throws -> Tensor {
    let shape = FeatureMaps(activations)
    let a = activations.scalars
    return try Tensor(shape: activations.shape) { index in
      let channel = index % shape.channels
      let sample = index / (shape.positions * shape.channels)
      return weights[sample * shape.channels + channel] * a[index]
    }
  }

  /// The pass's activations and gradients, checked.
  func activationsAndGradients(_ pass: TargetedPass) throws -> (Tensor, Tensor) {
    guard let activations = pass.activations, let gradients = pass.gradients, activations.shape == gradients.shape
    else { throw KerasVisError.invalidArgument("\(name) needs the feature map and its gradient") }
    return (activations, gradients)
  }
}

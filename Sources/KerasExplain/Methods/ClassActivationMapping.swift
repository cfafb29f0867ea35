import KerasGraph
import KerasRuntime

/// A class activation map method: it weights a feature map `A` `(N, h, w, C)` (channel weights, or position-wise
/// weights), and the map is `relu(sum_c (w * A)[..., c])` (or, with eigen smoothing, the first principal component
/// of `w * A`), resized to the input and scaled to 0...1 as the request's `Convention` says. A 1-D model's feature
/// map is `(N, steps, C)` and its map is resized to the input length; a 3-D model's is `(N, d, h, w, C)` and its
/// map is a volume.
///
/// Conforming types implement `weightedActivations`; `explain` runs the shared pipeline (target resolution, the
/// automatic layer, batches, test-time augmentation, eigen smoothing, resizing).
public protocol ClassActivationMapping: ExplanationMethod {
  /// Whether `weightedActivations` needs `d score / d A` in the pass.
  var usesGradients: Bool { get }
  /// Whether the map is always the first principal component of the weighted activations (Eigen-CAM), whatever
  /// the request's `eigenSmooth`.
  var alwaysProjects: Bool { get }
  /// `w * A`, shaped as `A` (`(N, h, w, C)` for an image model), from a pass holding `A` (and `d score / d A` when `usesGradients`).
  func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor
  /// The map of one sample's weighted activations `(positions, channels)` (before the ReLU), when the method
  /// computes it otherwise than by a channel sum or the first principal component (KPCA-CAM's kernel PCA); nil
  /// for those.
  func customMap(_ weighted: UnsafeBufferPointer<Float>, positions: Int, channels: Int) -> [Float]?
}

extension ClassActivationMapping {
  public var usesLayer: Bool { true }
  public var alwaysProjects: Bool { false }
  public func customMap(_ weighted: UnsafeBufferPointer<Float>, positions: Int, channels: Int) -> [Float]? { nil }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.classActivationMaps(self, request)
  }
}

extension Explainer {
  /// The shared CAM pipeline (pytorch-grad-cam's `BaseCAM.forward` and `forward_augmentation_smoothing`, or
  /// tf-keras-vis's `Gradcam.__call__` after the weights).
  func classActivationMaps(_ method: some ClassActivationMapping, _ request: ExplanationRequest) throws -> Explanation {
    let input = try batched(request.input)
    let layers = request.layers.count > 1 ? request.layers : [try request.layer ?? automaticCAMLayer()]
    if layers.count > 1 && request.convention != .pytorchGradCAM {
      throw KerasVisError.invalidArgument(
        "several feature-map layers are pytorch-grad-cam's multi-layer CAM; tf-keras-vis explains one layer")
    }
    guard request.augmentationSmoothing else { return try singleCAM(method, request, input: input, layers: layers) }
    return try augmentationSmoothed(input) { try singleCAM(method, request, input: $0, layers: layers) }
  }

  /// pytorch-grad-cam's `forward_augmentation_smoothing` around `explain`: the mean of the maps `(N, H, W)` of
  /// `explain` on six test-time augmentations of `input` (ttach's `Compose([HorizontalFlip(), Multiply([0.9, 1,
  /// 1.1])])`: every (flip, factor) pair, in that order), each flipped map flipped back. The other fields are those
  /// of the unaugmented input's explanation.
  func augmentationSmoothed(_ input: Tensor, _ explain: (Tensor) throws -> Explanation) throws -> Explanation {
    var total: [Float]?
    var plain: Explanation?
    for flip in [false, true] {
      for factor: Float in [0.9, 1, 1.1] {
        var augmented = flip ? try flipped(input, axis: input.rank - 2) : input
        augmented.withUnsafeMutableBufferPointer { values in
          for i in values.indices { values[i] *= factor }
        }
        var explanation = try explain(augmented)
        if flip { explanation.maps = try flipped(explanation.maps, axis: explanation.maps.rank - 1) }
        if !flip && factor == 1 { plain = explanation }
        let maps = explanation.maps.scalars
        total = total.map { zip($0, maps).map { $0 + $1 } } ?? maps
      }
    }
    guard var result = plain, let total else { throw KerasVisError.invalidInput("no augmentation ran") }
    result.maps = try Tensor(shape: result.maps.shape, values: total.map { $0 / 6 })
    return result
  }

  /// One CAM computation on `input` (no augmentation), through one feature-map layer or several (their resized
  /// maps ReLU'd and averaged before the final scaling, pytorch-grad-cam's `aggregate_multi_layers`). The
  /// explanation's `layer` and `lowResolutionMaps` are the first layer's.
  private func singleCAM(
    _ method: some ClassActivationMapping, _ request: ExplanationRequest, input: Tensor, layers: [[Int]]
  ) throws -> Explanation {
    let inputSpatial = Array(input.shape.dropFirst().dropLast())
    var first: (pass: TargetedPass, low: Tensor)?
    var total: [Float] = []
    for layer in layers {
      let (pass, low, resized) = try resizedCAM(method, request, input: input, layer: layer)
      if first == nil { first = (pass, low) }
      total = total.isEmpty ? resized.map { max($0, 0) } : zip(total, resized).map { $0 + max($1, 0) }
    }
    guard let first else { throw KerasVisError.invalidArgument("no feature-map layer to explain through") }
    let count = input.shape[0]
    let size = inputSpatial.reduce(1, *)
    var maps: [Float] = []
    maps.reserveCapacity(total.count)
    for sample in 0..<count {
      let mean = total[(sample * size)..<((sample + 1) * size)].map { $0 / Float(layers.count) }
      maps += request.convention.finalScaling(mean)
    }
    return Explanation(
      maps: try Tensor(shape: [count] + inputSpatial, values: maps), lowResolutionMaps: first.low,
      layer: layers[0], targets: first.pass.targets, scores: first.pass.scores)
  }

  /// One layer's maps: the pass, the ReLU'd low-resolution maps, and the maps resized to the input before the final
  /// scaling (`Convention.resizedMap`), `(N * input positions)`.
  private func resizedCAM(
    _ method: some ClassActivationMapping, _ request: ExplanationRequest, input: Tensor, layer: [Int]
  ) throws -> (pass: TargetedPass, low: Tensor, resized: [Float]) {
    var pass = try targetedPass(
      input: input, targets: request.targets, defaultScore: request.defaultScore, defaultOutput: request.defaultOutput,
      layer: layer,
      gradient: method.usesGradients ? .layer : .none)
    let rank = input.rank
    if rank == 4, let activations = pass.activations, let grid = try tokenGrid(activations) {
      pass.activations = grid
      pass.gradients = try pass.gradients.flatMap(tokenGrid)
    }
    guard let activations = pass.activations, activations.rank == rank, (3...5).contains(rank) else {
      throw KerasVisError.unsuitableLayer(
        layer: try layerLocation(layer),
        detail:
          "class activation maps need a feature map with the input's spatial axes (\(FeatureMaps.axesDescription(rank: rank))); its output is \(pass.activations?.shape ?? [])"
      )
    }
    let weighted = try method.weightedActivations(pass, request: request, explainer: self)
    let shape = FeatureMaps(weighted)
    let (count, channels, positions) = (shape.count, shape.channels, shape.positions)
    let inputSpatial = Array(input.shape.dropFirst().dropLast())
    let project = method.alwaysProjects || request.eigenSmooth
    var low: [Float] = []
    var resized: [Float] = []
    try weighted.withUnsafeBufferPointer { values in
      for sample in 0..<count {
        let start = sample * positions * channels
        let slice = UnsafeBufferPointer(rebasing: values[start..<(start + positions * channels)])
        let map =
          (method.customMap(slice, positions: positions, channels: channels)
          ?? (project
            ? principalComponentProjection(slice, positions: positions, channels: channels)
            : channelSums(slice, channels: channels)))
          .map { max($0, 0) }
        low += map
        resized += try request.convention.resizedMap(map, shape: shape.spatial, to: inputSpatial)
      }
    }
    return (pass, try Tensor(shape: [count] + shape.spatial, values: low), resized)
  }
}

/// pytorch-grad-cam's `vit_reshape_transform` for an image model's token outputs: `(N, 1 + s^2, C)` (a class
/// token, then a square grid of patch tokens) becomes the feature map `(N, s, s, C)` of the patch tokens (the
/// class token dropped), nil for other shapes. CAM methods apply it to a layer's output and gradient by
/// themselves.
func tokenGrid(_ tokens: Tensor) throws -> Tensor? {
  guard tokens.rank == 3, tokens.shape[1] >= 2, let side = Explainer.squareSide(tokens.shape[1] - 1) else {
    return nil
  }
  let (count, steps, channels) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
  let values = tokens.scalars
  let perSample = (steps - 1) * channels
  return try Tensor(shape: [count, side, side, channels]) { index in
    let sample = index / perSample
    return values[sample * steps * channels + channels + index % perSample]
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

/// The batch flipped along `axis` (left to right: the width axis, the last spatial one, of an `(N, ..., W, C)`
/// input or an `(N, ..., W)` map).
func flipped(_ tensor: Tensor, axis: Int) throws -> Tensor {
  guard tensor.shape.indices.contains(axis), axis > 0 else { return tensor }
  let size = tensor.shape[axis]
  let inner = tensor.shape[(axis + 1)...].reduce(1, *)
  let values = tensor.scalars
  return try Tensor(shape: tensor.shape) { index in
    let rest = index % inner
    let position = (index / inner) % size
    let outer = index / (inner * size)
    return values[(outer * size + (size - 1 - position)) * inner + rest]
  }
}

/// Per-channel view helpers for channels-last feature maps `(N, spatial..., C)`.
struct FeatureMaps {
  let count: Int
  /// The sizes of the spatial axes (steps; height and width; depth, height and width).
  let spatial: [Int]
  let channels: Int
  var positions: Int { spatial.reduce(1, *) }

  init(_ tensor: Tensor) {
    count = tensor.shape[0]
    spatial = Array(tensor.shape.dropFirst().dropLast())
    channels = tensor.shape.last ?? 1
  }

  /// The axes of a feature map of `rank`, for messages: `N, H, W, C` (and the 1-D and 3-D forms).
  static func axesDescription(rank: Int) -> String {
    switch rank {
    case 3: return "N, L, C"
    case 5: return "N, D, H, W, C"
    default: return "N, H, W, C"
    }
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

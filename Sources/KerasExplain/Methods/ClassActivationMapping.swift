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
  ///
  /// A model with several inputs (`ExplanationRequest(inputs:)`) gets one map per input, as tf-keras-vis's CAMs
  /// return them: the map resized to each input's spatial size (`Explanation.inputMaps`; nil for an input with
  /// another number of spatial axes, such as a vector, which tf-keras-vis cannot zoom to). A channels_first feature
  /// map `(N, C, h, w)` is read with its channel axis 1, and a channels_first input's spatial axes are its last ones.
  func classActivationMaps(_ method: some ClassActivationMapping, _ request: ExplanationRequest) throws -> Explanation {
    let inputs = try batchedInputs(request.inputs)
    let layers = request.layers.count > 1 ? request.layers : [try request.layer ?? automaticCAMLayer()]
    if layers.count > 1 && request.convention != .pytorchGradCAM {
      throw KerasVisError.invalidArgument(
        "several feature-map layers are pytorch-grad-cam's multi-layer CAM; tf-keras-vis explains one layer")
    }
    guard request.augmentationSmoothing else { return try singleCAM(method, request, inputs: inputs, layers: layers) }
    guard inputs.count == 1, let input = inputs.first else {
      throw KerasVisError.invalidArgument(
        "augmentation smoothing (pytorch-grad-cam's aug_smooth) explains a model with one input; model "
          + "'\(graph.name)' has \(inputs.count)")
    }
    return try augmentationSmoothed(input, channelsFirst: graph.channelLayout(ofInput: 0) == .channelsFirst) {
      try singleCAM(method, request, inputs: [$0], layers: layers)
    }
  }

  /// pytorch-grad-cam's `forward_augmentation_smoothing` around `explain`: the mean of the maps `(N, H, W)` of
  /// `explain` on six test-time augmentations of `input` (ttach's `Compose([HorizontalFlip(), Multiply([0.9, 1,
  /// 1.1])])`: every (flip, factor) pair, in that order), each flipped map flipped back. The other fields are those
  /// of the unaugmented input's explanation. The flipped axis is the width, the last spatial one (before the
  /// channels of a channels-last input, the last of a `channelsFirst` one).
  func augmentationSmoothed(
    _ input: Tensor, channelsFirst: Bool = false, _ explain: (Tensor) throws -> Explanation
  ) throws -> Explanation {
    let widthAxis = channelsFirst ? input.rank - 1 : input.rank - 2
    var total: [Float]?
    var plain: Explanation?
    for flip in [false, true] {
      for factor: Float in [0.9, 1, 1.1] {
        var augmented = flip ? try flipped(input, axis: widthAxis) : input
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

  /// One CAM computation on `inputs` (no augmentation), through one feature-map layer or several (their resized
  /// maps ReLU'd and averaged before the final scaling, pytorch-grad-cam's `aggregate_multi_layers`), resized to
  /// every input with the feature map's number of spatial axes. The explanation's `maps` are the first such
  /// input's; its `layer` and `lowResolutionMaps` are the first layer's.
  private func singleCAM(
    _ method: some ClassActivationMapping, _ request: ExplanationRequest, inputs: [Tensor], layers: [[Int]]
  ) throws -> Explanation {
    let spatials = inputs.indices.map { graph.channelLayout(ofInput: $0).spatialShape(inputs[$0].shape) }
    var first: (pass: TargetedPass, low: Tensor)?
    var totals = [[Float]?](repeating: nil, count: inputs.count)
    for layer in layers {
      let (pass, low) = try lowResolutionCAM(method, request, inputs: inputs, layer: layer)
      if first == nil { first = (pass, low) }
      let lowSpatial = Array(low.shape.dropFirst())
      let positions = lowSpatial.reduce(1, *)
      let values = low.scalars
      for (k, spatial) in spatials.enumerated() where spatial.count == lowSpatial.count {
        var resized: [Float] = []
        for sample in 0..<low.shape[0] {
          let map = Array(values[(sample * positions)..<((sample + 1) * positions)])
          resized += try request.convention.resizedMap(map, shape: lowSpatial, to: spatial).map { max($0, 0) }
        }
        totals[k] = totals[k].map { zip($0, resized).map(+) } ?? resized
      }
    }
    guard let first else { throw KerasVisError.invalidArgument("no feature-map layer to explain through") }
    let count = inputs[0].shape[0]
    let maps = try spatials.indices.map { k -> Tensor? in
      guard let total = totals[k] else { return nil }
      let size = spatials[k].reduce(1, *)
      var scaled: [Float] = []
      scaled.reserveCapacity(total.count)
      for sample in 0..<count {
        let mean = total[(sample * size)..<((sample + 1) * size)].map { $0 / Float(layers.count) }
        scaled += request.convention.finalScaling(mean)
      }
      return try Tensor(shape: [count] + spatials[k], values: scaled)
    }
    guard let primary = maps.compactMap({ $0 }).first else {
      throw KerasVisError.unsuitableLayer(
        layer: try layerLocation(layers[0]),
        detail: "its feature map \(first.low.shape) has no input with as many spatial axes to be resized to")
    }
    var explanation = Explanation(
      maps: primary, lowResolutionMaps: first.low, layer: layers[0], targets: first.pass.targets,
      scores: first.pass.scores)
    if inputs.count > 1 { explanation.inputMaps = maps }
    return explanation
  }

  /// One layer's maps: the pass and the ReLU'd low-resolution maps `(N, h, w)` (before resizing to the inputs,
  /// `Convention.resizedMap`). A channels_first feature map and its gradient are read channels-last.
  private func lowResolutionCAM(
    _ method: some ClassActivationMapping, _ request: ExplanationRequest, inputs: [Tensor], layer: [Int]
  ) throws -> (pass: TargetedPass, low: Tensor) {
    var pass = try targetedPass(
      inputs: inputs, targets: request.targets, defaultScore: request.defaultScore,
      defaultOutput: request.defaultOutput, layer: layer, gradient: method.usesGradients ? .layer : .none)
    if graph.channelLayout(ofLayerAt: layer) == .channelsFirst {
      pass.activations = try pass.activations.map(channelsLastCopy)
      pass.gradients = try pass.gradients.map(channelsLastCopy)
    }
    let ranks = Set(inputs.indices.map { graph.channelLayout(ofInput: $0).spatialShape(inputs[$0].shape).count + 2 })
    if ranks.contains(4), let activations = pass.activations, let grid = try tokenGrid(activations) {
      pass.tokens = activations
      pass.activations = grid
      pass.gradients = try pass.gradients.flatMap(tokenGrid)
    }
    guard let activations = pass.activations, ranks.contains(activations.rank), (3...5).contains(activations.rank)
    else {
      let rank = ranks.filter { (3...5).contains($0) }.min() ?? 4
      throw KerasVisError.unsuitableLayer(
        layer: try layerLocation(layer),
        detail:
          "class activation maps need a feature map with the input's spatial axes (\(FeatureMaps.axesDescription(rank: rank))); its output is \(pass.activations?.shape ?? [])"
      )
    }
    let weighted = try method.weightedActivations(pass, request: request, explainer: self)
    let shape = FeatureMaps(weighted)
    let (count, channels, positions) = (shape.count, shape.channels, shape.positions)
    let project = method.alwaysProjects || request.eigenSmooth
    var low: [Float] = []
    weighted.withUnsafeBufferPointer { values in
      for sample in 0..<count {
        let start = sample * positions * channels
        let slice = UnsafeBufferPointer(rebasing: values[start..<(start + positions * channels)])
        low +=
          (method.customMap(slice, positions: positions, channels: channels)
          ?? (project
            ? principalComponentProjection(slice, positions: positions, channels: channels)
            : channelSums(slice, channels: channels)))
          .map { max($0, 0) }
      }
    }
    return (pass, try Tensor(shape: [count] + shape.spatial, values: low))
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

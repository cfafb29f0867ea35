import KerasGraph
import KerasRuntime

extension Explainer {
  /// keras-vis's `visualize_saliency` (Simonyan et al., arXiv 1312.6034): the gradient of the activation of
  /// `filterIndices` in layer `layerIdx` with respect to the input, through `backpropModifier`'s ReLU rule, then
  /// `gradModifier`, the maximum over channels (unless `keepdims`), and keras-vis's `normalize` over the batch.
  /// - Parameters:
  ///   - layerIdx: the index in `model.layers` (negative counts from the end).
  ///   - filterIndices: classes or channels whose mean output is maximized; nil for the whole output.
  ///   - seedInput: `(H, W, C)` or a batch `(N, H, W, C)` (the map of the first sample is returned).
  ///   - linear: swap the layer's softmax to linear first (keras-vis's `apply_modifications` advice).
  /// - Returns: `(H, W)` values in 0...1, or `(H, W, C)` with `keepdims`.
  /// - Throws: `KerasVisError` for a bad index or input; `TensorError` from the engine.
  public func visualizeSaliency(
    layerIdx: Int, filterIndices: [Int]?, seedInput: Tensor, backpropModifier: BackpropModifier? = nil,
    gradModifier: GradModifier? = .absolute, keepdims: Bool = false, linear: Bool = false
  ) throws -> Tensor {
    try saliencyMap(
      layerIdx: layerIdx, filterIndices: filterIndices, seedInput: seedInput, backpropModifier: backpropModifier,
      gradModifier: gradModifier, keepdims: keepdims, linear: linear, topClass: false, chosen: nil)
  }

  /// `visualizeSaliency` of the top class of the first sample (the largest output at `layerIdx`), found in the
  /// same forward pass as the gradient, so one compiled model serves both.
  public func visualizeSaliencyOfTopClass(
    layerIdx: Int, seedInput: Tensor, backpropModifier: BackpropModifier? = nil,
    gradModifier: GradModifier? = .absolute, keepdims: Bool = false, linear: Bool = false
  ) throws -> TopClassMap {
    let top = ChosenClass()
    let map = try saliencyMap(
      layerIdx: layerIdx, filterIndices: nil, seedInput: seedInput, backpropModifier: backpropModifier,
      gradModifier: gradModifier, keepdims: keepdims, linear: linear, topClass: true, chosen: top)
    return TopClassMap(map: map, topClass: top.index)
  }

  func saliencyMap(
    layerIdx: Int, filterIndices: [Int]?, seedInput: Tensor, backpropModifier: BackpropModifier?,
    gradModifier: GradModifier?, keepdims: Bool, linear: Bool, topClass: Bool, chosen: ChosenClass?
  ) throws -> Tensor {
    try saliencyMaps(
      layerIdx: layerIdx, filterIndices: filterIndices, seedInputs: [try batched(seedInput)],
      backpropModifier: backpropModifier, gradModifier: gradModifier, keepdims: keepdims, linear: linear,
      topClass: topClass, chosen: chosen)[0]
  }

  /// `saliencyMap` of every model input (`seedInputs`, one per model input): each input's gradient through the
  /// modifiers, the maximum over its channel axis (axis 1 of a channels_first input; none for an input without
  /// spatial axes, whose map is per feature), and keras-vis's `normalize`, of the first sample.
  func saliencyMaps(
    layerIdx: Int, filterIndices: [Int]?, seedInputs: [Tensor], backpropModifier: BackpropModifier?,
    gradModifier: GradModifier?, keepdims: Bool, linear: Bool, topClass: Bool, chosen: ChosenClass?
  ) throws -> [Tensor] {
    let layer = try LayerSearch.normalizedIndex(layerIdx, in: graph)
    let gradients = try objectiveGradients(
      seedInputs: seedInputs, layerIdx: layer, filterIndices: filterIndices, wrtLayer: nil, linear: linear,
      rule: backpropModifier?.rule ?? .standard, topClass: topClass, chosen: chosen
    ).gradients
    return try gradients.enumerated().map { index, raw in
      var gradient = raw
      if let gradModifier { gradient = gradModifier.apply(gradient) }
      if !keepdims, let axis = graph.channelLayout(ofInput: index).channelAxis(rank: gradient.rank) {
        gradient = try maximum(gradient, overAxis: axis)
      }
      return try firstSample(normalize(gradient))
    }
  }

  /// `np.max(tensor, axis=axis)`.
  private func maximum(_ tensor: Tensor, overAxis axis: Int) throws -> Tensor {
    let channels = tensor.shape[axis]
    let inner = tensor.shape[(axis + 1)...].reduce(1, *)
    let values = tensor.scalars
    var shape = tensor.shape
    shape.remove(at: axis)
    return try Tensor(shape: shape) { position in
      let (outer, rest) = (position / inner, position % inner)
      var best = -Float.infinity
      for c in 0..<channels { best = max(best, values[(outer * channels + c) * inner + rest]) }
      return best
    }
  }
}

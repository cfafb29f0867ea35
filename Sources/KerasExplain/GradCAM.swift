import KerasGraph
import KerasRuntime

extension Explainer {
  /// keras-vis's `visualize_cam` (Grad-CAM, Selvaraju et al., arXiv 1610.02391): with `A` the output of the
  /// penultimate layer and `g` the gradient of the activation of `filterIndices` in `layerIdx` with respect to
  /// it (through `backpropModifier`, then `gradModifier`), `g /= max(g) + 1e-7`, `w_c = mean(g[..., c])` over
  /// the batch and spatial axes, `heatmap = relu(sum_c w_c A[0, :, :, c])`, resized to the input size with
  /// `scipy.ndimage.zoom` (cubic spline) and normalized to 0...1. A 1-D model's heatmap `(L)` is resized to the
  /// input length, a 3-D model's `(D, H, W)` to the input volume (keras-vis zooms over the feature map's axes).
  /// - Parameters:
  ///   - penultimateLayerIdx: the feature-map layer; nil for keras-vis's automatic search (see
  ///     `LayerSearch.penultimateLayerIdx`, which for InceptionV3 picks `conv2d_94`, not `mixed10`).
  ///   - linear: swap the layer's softmax to linear first.
  /// - Returns: `(H, W)` of the model input (`(L)`, `(D, H, W)` for 1-D and 3-D models), values in 0...1.
  /// - Throws: `KerasVisError` for a bad index, a penultimate layer after `layerIdx`, or a non-spatial one.
  public func visualizeCam(
    layerIdx: Int, filterIndices: [Int]?, seedInput: Tensor, penultimateLayerIdx: Int? = nil,
    backpropModifier: BackpropModifier? = nil, gradModifier: GradModifier? = nil, linear: Bool = false
  ) throws -> Tensor {
    try camMap(
      layerIdx: layerIdx, filterIndices: filterIndices, seedInput: seedInput, penultimateLayerIdx: penultimateLayerIdx,
      backpropModifier: backpropModifier, gradModifier: gradModifier, linear: linear, topClass: false, chosen: nil)
  }

  /// `visualizeCam` of the top class of the first sample (the largest output at `layerIdx`), found in the same
  /// forward pass as the gradient, so one compiled model serves both (what the command line does without
  /// `--filter`).
  public func visualizeCamOfTopClass(
    layerIdx: Int, seedInput: Tensor, penultimateLayerIdx: Int? = nil, backpropModifier: BackpropModifier? = nil,
    gradModifier: GradModifier? = nil, linear: Bool = false
  ) throws -> TopClassMap {
    let top = ChosenClass()
    let map = try camMap(
      layerIdx: layerIdx, filterIndices: nil, seedInput: seedInput, penultimateLayerIdx: penultimateLayerIdx,
      backpropModifier: backpropModifier, gradModifier: gradModifier, linear: linear, topClass: true, chosen: top)
    return TopClassMap(map: map, topClass: top.index)
  }

  func camMap(
    layerIdx: Int, filterIndices: [Int]?, seedInput: Tensor, penultimateLayerIdx: Int?,
    backpropModifier: BackpropModifier?, gradModifier: GradModifier?, linear: Bool, topClass: Bool,
    chosen: ChosenClass?
  ) throws -> Tensor {
    let layer = try LayerSearch.normalizedIndex(layerIdx, in: graph)
    let penultimate = try LayerSearch.penultimateLayerIdx(
      graph, layerIdx: layerIdx, penultimateLayerIdx: penultimateLayerIdx)
    let input = try batched(seedInput)
    var (gradient, forward) = try objectiveGradient(
      seedInput: input, layerIdx: layer, filterIndices: filterIndices, wrtLayer: penultimate, linear: linear,
      rule: backpropModifier?.rule ?? .standard, topClass: topClass, chosen: chosen)
    var features = try forward.layer([penultimate])
    if graph.channelLayout(ofLayerAt: [penultimate]) == .channelsFirst {
      features = try channelsLastCopy(features)
      gradient = try channelsLastCopy(gradient)
    }
    let rank = input.rank
    guard features.rank == rank, (3...5).contains(rank) else {
      throw KerasVisError.unsuitableLayer(
        layer: LayerSearch.location(graph, penultimate),
        detail:
          "Grad-CAM needs a feature map with the input's spatial axes (\(FeatureMaps.axesDescription(rank: rank))); its output is \(features.shape)"
      )
    }
    if let gradModifier { gradient = gradModifier.apply(gradient) }
    let heatmap = camHeatmap(gradient: gradient, features: features)
    let spatial = Array(features.shape.dropFirst().dropLast())
    let target = graph.channelLayout(ofInput: 0).spatialShape(input.shape)
    let factors = zip(spatial, target).map { Double($1) / Double($0) }
    let zoomed: [Float]
    do {
      switch rank {
      case 3:
        zoomed = try splineZoom(heatmap, height: 1, width: spatial[0], factors: (1, factors[0])).values
      case 4:
        zoomed = try splineZoom(heatmap, height: spatial[0], width: spatial[1], factors: (factors[0], factors[1]))
          .values
      default:
        zoomed = try splineZoom(
          volume: heatmap, depth: spatial[0], height: spatial[1], width: spatial[2],
          factors: (factors[0], factors[1], factors[2])
        ).values
      }
    } catch {
      throw KerasVisError.invalidArgument("cannot resize the \(spatial) map to \(target): \(error)")
    }
    let shape = zoomed.count == target.reduce(1, *) ? target : [zoomed.count]
    return normalize(try Tensor(shape: shape, values: zoomed))
  }

  /// keras-vis's heatmap: `relu(sum_c mean(g / (max(g) + eps))[c] * A[0, ..., c])`, on the first sample.
  func camHeatmap(gradient: Tensor, features: Tensor) -> [Float] {
    let channels = features.shape.last ?? 1
    let g = gradient.scalars
    let largest = g.max() ?? 0
    let scale = largest + GradModifier.epsilon
    let positions = g.count / channels
    var weights = [Float](repeating: 0, count: channels)
    for position in 0..<positions {
      for c in 0..<channels { weights[c] += g[position * channels + c] / scale }
    }
    for c in 0..<channels { weights[c] /= Float(positions) }
    let a = features.scalars
    let pixels = FeatureMaps(features).positions
    var heatmap = [Float](repeating: 0, count: pixels)
    for c in 0..<channels {
      let w = weights[c]
      for p in 0..<pixels { heatmap[p] += w * a[p * channels + c] }
    }
    return heatmap.map { max($0, 0) }
  }
}

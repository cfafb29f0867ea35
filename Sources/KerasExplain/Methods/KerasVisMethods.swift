import Foundation
import KerasGraph
import KerasRuntime

/// keras-vis's `visualize_cam` (Selvaraju et al., "Grad-CAM", arXiv 1610.02391, as keras-vis 0.4 computes it) as an
/// explanation method, so that the command line and library users run keras-vis and the later methods through one
/// `Explainer.explain(_:with:)` call.
///
/// Each sample is explained as `visualizeCam` explains its seed input: the map is `(N, H, W)` in 0...1 at the model's
/// input size (cubic-spline zoom, keras-vis's `normalize`). The request's `layer` is the penultimate (feature-map)
/// layer, a top-level address (`[310]`); nil uses keras-vis's search (the nearest convolution or pooling layer
/// before `layerIdx`, skipping the one right before it). Targets are classes or channels of `layerIdx` (several
/// indices: their summed objective, keras-vis's `filter_indices`); nil explains each sample's largest output, found
/// in the explanation's own forward pass.
public struct KerasVisGradCAM: ExplanationMethod {
  /// keras-vis's `layer_idx`: the explained layer (negative counts from the end of `model.layers`).
  public var layerIdx: Int
  /// keras-vis's `backprop_modifier`.
  public var backpropModifier: BackpropModifier?
  /// keras-vis's `grad_modifier` (nil: none, `visualize_cam`'s default).
  public var gradModifier: GradModifier?
  /// Swap `layerIdx`'s softmax (or other activation) to linear first, as keras-vis's docs advise for a final Dense.
  public var linear: Bool

  public var name: String { "Grad-CAM (keras-vis)" }
  public var usesLayer: Bool { true }

  /// keras-vis's Grad-CAM of layer `layerIdx` with its modifiers.
  public init(
    layerIdx: Int = -1, backpropModifier: BackpropModifier? = nil, gradModifier: GradModifier? = nil,
    linear: Bool = false
  ) {
    self.layerIdx = layerIdx
    self.backpropModifier = backpropModifier
    self.gradModifier = gradModifier
    self.linear = linear
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    var penultimate: Int?
    if let address = request.layer {
      guard address.count == 1 else {
        throw KerasVisError.invalidArgument(
          "keras-vis's Grad-CAM takes a top-level penultimate layer; got the nested address \(address)")
      }
      penultimate = address[0]
    }
    let usedLayer = try LayerSearch.penultimateLayerIdx(
      explainer.graph, layerIdx: layerIdx, penultimateLayerIdx: penultimate)
    return try explainer.kerasVisExplanation(
      request, layerIdx: layerIdx, linear: linear, usedLayer: [usedLayer], methodName: "Grad-CAM"
    ) { sample, filters, chosen in
      try explainer.camMap(
        layerIdx: layerIdx, filterIndices: filters, seedInput: sample, penultimateLayerIdx: penultimate,
        backpropModifier: backpropModifier, gradModifier: gradModifier, linear: linear, topClass: filters == nil,
        chosen: chosen)
    }
  }
}

/// keras-vis's `visualize_saliency` (Simonyan et al., "Deep Inside Convolutional Networks", arXiv 1312.6034, as
/// keras-vis 0.4 computes it) as an explanation method.
///
/// Each sample's map is `normalize(max over channels of grad_modifier(d objective / d input))`, `(N, H, W)`, or
/// `(N, H, W, C)` with `keepdims`. Targets as for `KerasVisGradCAM`; the request's `layer` is not used. A model with
/// several inputs (`ExplanationRequest(inputs:)`) gets one map per input (`Explanation.inputMaps`), each input's
/// gradient treated as keras-vis treats its one input (keras-vis itself takes one input); an input without spatial
/// axes keeps its features.
public struct KerasVisSaliency: ExplanationMethod {
  /// keras-vis's `layer_idx`: the explained layer (negative counts from the end of `model.layers`).
  public var layerIdx: Int
  /// keras-vis's `backprop_modifier`.
  public var backpropModifier: BackpropModifier?
  /// keras-vis's `grad_modifier` (`absolute`, `visualize_saliency`'s default; nil: none).
  public var gradModifier: GradModifier?
  /// Keep the channel axis instead of the maximum over channels.
  public var keepdims: Bool
  /// Swap `layerIdx`'s activation to linear first.
  public var linear: Bool

  public var name: String { "saliency (keras-vis)" }
  public var usesLayer: Bool { false }

  /// keras-vis's saliency of layer `layerIdx` with its modifiers.
  public init(
    layerIdx: Int = -1, backpropModifier: BackpropModifier? = nil, gradModifier: GradModifier? = .absolute,
    keepdims: Bool = false, linear: Bool = false
  ) {
    self.layerIdx = layerIdx
    self.backpropModifier = backpropModifier
    self.gradModifier = gradModifier
    self.keepdims = keepdims
    self.linear = linear
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.kerasVisExplanations(
      request, layerIdx: layerIdx, linear: linear, usedLayer: nil, methodName: "saliency"
    ) { samples, filters, chosen in
      try explainer.saliencyMaps(
        layerIdx: layerIdx, filterIndices: filters, seedInputs: samples, backpropModifier: backpropModifier,
        gradModifier: gradModifier, keepdims: keepdims, linear: linear, topClass: filters == nil, chosen: chosen)
    }
  }
}

extension Explainer {
  /// Runs a keras-vis map function on every sample of `request`, collecting the maps into one `(N, ...)` tensor
  /// with the resolved targets and their scores (read from each map's own forward pass).
  func kerasVisExplanation(
    _ request: ExplanationRequest, layerIdx: Int, linear: Bool, usedLayer: [Int]?, methodName: String,
    map: (_ sample: Tensor, _ filters: [Int]?, _ chosen: ChosenClass) throws -> Tensor
  ) throws -> Explanation {
    _ = try batched(request.input)
    return try kerasVisExplanations(
      request, layerIdx: layerIdx, linear: linear, usedLayer: usedLayer, methodName: methodName
    ) { samples, filters, chosen in [try map(samples[0], filters, chosen)] }
  }

  /// `kerasVisExplanation` for a model with one input or several: `maps` takes one sample of every model input and
  /// returns a map per input; the explanation's `maps` are the first input's and, for several inputs, `inputMaps`
  /// hold them all.
  func kerasVisExplanations(
    _ request: ExplanationRequest, layerIdx: Int, linear: Bool, usedLayer: [Int]?, methodName: String,
    maps map: (_ samples: [Tensor], _ filters: [Int]?, _ chosen: ChosenClass) throws -> [Tensor]
  ) throws -> Explanation {
    let layer = try LayerSearch.normalizedIndex(layerIdx, in: graph)
    let inputs = try batchedInputs(request.inputs)
    let count = inputs[0].shape[0]
    let targets = try expandedTargets(request.targets, count: count)
    var maps: [[Tensor]] = Array(repeating: [], count: inputs.count)
    var resolved: [ExplanationTarget] = []
    var scores: [Float] = []
    for n in 0..<count {
      var filters: [Int]?
      if let target = targets?[n] {
        guard let indices = target.classIndices, !indices.isEmpty else {
          throw KerasVisError.invalidArgument(
            "keras-vis's \(methodName) explains classes or channels (filter indices); the target \(target) is not one")
        }
        filters = indices
      }
      let chosen = ChosenClass()
      let sampleMaps = try map(try inputs.map { try $0.sample(n) }, filters, chosen)
      for (k, sampleMap) in sampleMaps.enumerated() where k < maps.count {
        maps[k].append(try sampleMap.reshaped([1] + sampleMap.shape))
      }
      let classes = filters ?? [chosen.index]
      resolved.append(classes.count == 1 ? .category(classes[0]) : .categories(classes))
      let row = linear ? try squashed(chosen.firstOutput, layer: layer) : chosen.firstOutput
      let width = row.count
      scores.append(
        classes.reduce(0) { sum, index in
          let column = index < 0 ? index + width : index
          return (0..<width).contains(column) ? sum + row[column] : .nan
        })
    }
    let stacked = try maps.map { try Tensor.concatenatingBatches($0) }
    var explanation = Explanation(maps: stacked[0], layer: usedLayer, targets: resolved, scores: scores)
    if stacked.count > 1 { explanation.inputMaps = stacked }
    return explanation
  }

  /// A `(classes)` row computed with `layer`'s activation swapped to linear, with that activation applied again
  /// when it is a softmax or sigmoid, so that scores are what the unmodified model outputs.
  private func squashed(_ row: [Float], layer: Int) throws -> [Float] {
    switch graph.activation(ofLayerAt: [layer]) {
    case .softmax?:
      return try softmaxOverLastAxis(try Tensor(shape: [row.count], values: row)).scalars
    case .sigmoid?:
      return row.map { 1 / (1 + Foundation.exp(-$0)) }
    default:
      return row
    }
  }
}

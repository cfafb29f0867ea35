import KerasGraph
import KerasRuntime

/// Ablation-CAM (Desai & Ramaswamy, WACV 2020, doi:10.1109/WACV45572.2020.9093360): channel weights from the drop
/// of the score when the channel is ablated, `w_k = (S - S_{A_k := v}) / S`, map `relu(sum_k w_k A_k)`
/// (pytorch-grad-cam's `AblationCAM` with every channel ablated). One forward pass per channel and sample,
/// `request.batchSize` at a time.
///
/// The ablated value `v` is 0 when the sample's feature map has minimum 0 (after a ReLU), else below it, as
/// pytorch-grad-cam's `AblationLayer` and `AblationLayerVit` ablate, quirks included: each ablated copy in its batch
/// of `batch_size` (32 by default, `request.batchSize` here) sets its channel to the minimum of the whole batch so
/// far minus 1e7, so channel `k` gets `v_j` with `j = k mod batchSize`, `v_0 = fl(min - 1e7)`,
/// `v_j = fl(v_{j-1} - 1e7)` (Float32). On a ViT's token output the minimum is over every token, the class token
/// included (the layer output before `vit_reshape_transform`). When `S` is 0 the weights are the plain
/// differences `S - S_{A_k := v}`.
///
/// The feature map is ablated by running a copy of the model whose layer output is replaced by
/// `A * mask + offset`, with `mask` and `offset` two extra `(N, 1, 1, C)` inputs (threaded into nested models).
public struct AblationCAM: ClassActivationMapping {
  public var name: String { "ablationcam" }
  public var usesGradients: Bool { false }

  public init() {}

  public func weightedActivations(
    _ pass: TargetedPass, request: ExplanationRequest, explainer: Explainer
  ) throws -> Tensor {
    guard let activations = pass.activations, let layer = pass.layer else {
      throw KerasVisError.invalidArgument("ablationcam needs the feature map")
    }
    try explainer.requireOneInput(name)
    let shape = FeatureMaps(activations)
    let (reading, _) = try explainer.outputReading(for: pass.targets)
    // A ViT's token output (reshaped to its patch grid for the weights) is ablated on every token, the class token
    // included, as pytorch-grad-cam's AblationLayerVit does.
    let layerRank = explainer.graph.layer(atAddress: layer)?.outputShape?.rank ?? (shape.spatial.count + 2)
    let spatialRank = layerRank - 2
    // A channels_first map (N, C, h, w) is masked with (N, C, 1, 1): the same values in the same order.
    let channelsFirst = explainer.graph.channelLayout(ofLayerAt: layer) == .channelsFirst
    let model = try explainer.ablationModel(
      layer: layer, channels: shape.channels, spatialRank: spatialRank, linearLayer: reading.linearLayer,
      channelsFirst: channelsFirst)
    let ones = [Int](repeating: 1, count: spatialRank)
    let maskShape = channelsFirst ? [shape.channels] + ones : ones + [shape.channels]
    let input = pass.input
    let sampleShape = Array(input.shape.dropFirst())
    let size = sampleShape.reduce(1, *)
    let x = input.scalars
    var weights = [Float](repeating: 0, count: shape.count * shape.channels)
    let outputs = (pass.tokens ?? activations).scalars
    let perSample = outputs.count / max(shape.count, 1)
    for sample in 0..<shape.count {
      let low = outputs[(sample * perSample)..<((sample + 1) * perSample)].min() ?? 0
      let ablated = ablatedValues(minimum: low, count: min(request.batchSize, shape.channels))
      let target = pass.targets[sample]
      let scores = try explainer.batchedScores(
        count: shape.channels, batchSize: request.batchSize, sampleShape: sampleShape, target: { _ in target },
        model: model,
        extraInputs: { range, chunk in
          var mask = [Float](repeating: 1, count: chunk * shape.channels)
          var offset = [Float](repeating: 0, count: chunk * shape.channels)
          for (slot, channel) in range.enumerated() {
            mask[slot * shape.channels + channel] = 0
            offset[slot * shape.channels + channel] = ablated[channel % ablated.count]
          }
          return [
            try Tensor(shape: [chunk] + maskShape, values: mask),
            try Tensor(shape: [chunk] + maskShape, values: offset),
          ]
        }
      ) { _, buffer in
        for i in 0..<size { buffer[i] = x[sample * size + i] }
      }
      let original = pass.scores[sample]
      for (channel, score) in scores.enumerated() {
        weights[sample * shape.channels + channel] = original == 0 ? original - score : (original - score) / original
      }
    }
    return try channelWeighted(activations, weights: weights)
  }

  /// The values pytorch-grad-cam's ablation layers give the ablated channel of the `count` copies in one batch:
  /// all 0 when `minimum` is 0, else `v_0 = minimum - 1e7` and `v_j = v_{j-1} - 1e7` (each copy lowers the batch's
  /// minimum the next one reads), rounded to Float32 at every step as PyTorch computes them.
  func ablatedValues(minimum: Float, count: Int) -> [Float] {
    guard minimum != 0 else { return [Float](repeating: 0, count: max(count, 1)) }
    var values: [Float] = []
    var lowest = minimum
    for _ in 0..<max(count, 1) {
      lowest -= 1e7
      values.append(lowest)
    }
    return values
  }
}

extension Explainer {
  /// The model with the output of the layer at `layer` replaced by `A * mask + offset` (two extra inputs of shape
  /// `(N, 1, 1, channels)`, one 1 per spatial axis; `(N, channels, 1, 1)` with `channelsFirst`), compiled
  /// forward-only once per layer and output reading.
  func ablationModel(
    layer: [Int], channels: Int, spatialRank: Int, linearLayer: [Int]?, channelsFirst: Bool = false
  ) throws -> CompiledModel {
    let key =
      "ablation \(layer) \(channels) \(spatialRank) \(linearLayer.map { "\($0)" } ?? "-")\(channelsFirst ? " first" : "")"
    return try cachedModel(key: key) {
      var target = graph
      if let linearLayer { target = try target.replacingActivation(ofLayerAt: linearLayer, with: .linear) }
      let masked = try maskingLayerOutput(
        of: target, at: layer, channels: channels, spatialRank: spatialRank, location: try layerLocation(layer),
        channelsFirst: channelsFirst)
      return CompiledModel(graph: masked, gradients: false, precision: precision)
    }
  }
}

/// `graph` with the first output of the layer at `address` (through nested models) replaced by
/// `output * mask + offset`, where `mask` and `offset` are two new model inputs of shape `(N, 1, 1, channels)` (one
/// 1 per of the `spatialRank` spatial axes; `(N, channels, 1, 1)` with `channelsFirst`),
/// appended after the model's inputs (and after a nested model's, which its callers pass along).
/// - Throws: `KerasVisError.unsuitableLayer` when the address does not lead to a layer.
func maskingLayerOutput(
  of graph: Graph, at address: [Int], channels: Int, spatialRank: Int, location: LayerLocation,
  channelsFirst: Bool = false
) throws -> Graph {
  guard let first = address.first, graph.layers.indices.contains(first) else {
    throw KerasVisError.unsuitableLayer(layer: location, detail: "it cannot be ablated: no such layer")
  }
  var result = graph
  let maskInput = graph.inputs.count
  let offsetInput = maskInput + 1
  let ones = [Int?](repeating: 1, count: spatialRank)
  let shape = TensorShape([nil] + (channelsFirst ? [channels] + ones : ones + [channels]))
  result.inputs.append(GraphInput(name: "kerasvis_ablation_mask", shape: shape, layerIndex: nil))
  result.inputs.append(GraphInput(name: "kerasvis_ablation_offset", shape: shape, layerIndex: nil))
  if address.count > 1 {
    guard let inner = graph.layers[first].nestedGraph else {
      throw KerasVisError.unsuitableLayer(
        layer: location, detail: "it cannot be ablated: \(address) is not inside a model")
    }
    result.layers[first].nestedGraph =
      (try maskingLayerOutput(
        of: inner, at: Array(address.dropFirst()), channels: channels, spatialRank: spatialRank, location: location,
        channelsFirst: channelsFirst))
    for node in result.layers[first].nodes.indices {
      result.layers[first].nodes[node].inputs += [.graphInput(maskInput), .graphInput(offsetInput)]
    }
    return result
  }
  let source = TensorSource.layerOutput(layer: first, node: 0, tensor: 0)
  let multiply = graph.layers.count
  let replacement = TensorSource.layerOutput(layer: multiply + 1, node: 0, tensor: 0)
  result.redirectReaders(of: source, to: replacement)
  let outputShapes = graph.layers[first].outputShape.map { [$0] } ?? []
  result.layers.append(
    Layer(
      index: multiply, name: "kerasvis_ablation_multiply", className: "Multiply", config: .object([:]),
      kind: Merge(.multiply),
      nodes: [Node(inputs: [source, .graphInput(maskInput)], outputShapes: outputShapes)]))
  result.layers.append(
    Layer(
      index: multiply + 1, name: "kerasvis_ablation_add", className: "Add", config: .object([:]),
      kind: Merge(.add),
      nodes: [
        Node(
          inputs: [.layerOutput(layer: multiply, node: 0, tensor: 0), .graphInput(offsetInput)],
          outputShapes: outputShapes)
      ]))
  return result
}

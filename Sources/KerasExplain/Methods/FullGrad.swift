import KerasGraph
import KerasRuntime

/// FullGrad (Srinivas & Fleuret, arXiv 1905.00780), as pytorch-grad-cam 1.5.7's `FullGrad` computes it: the
/// input-gradient term plus one bias-gradient term per 2-D convolution and 2-D BatchNormalization of the model
/// (through nested models), each post-processed on its own, summed, and scaled to 0...1. No feature-map layer:
/// like pytorch-grad-cam, which ignores `target_layers`, the request's `layer` is not used.
///
/// For a `(N, H, W, C)` input `x`, score `S` and every bias layer `l` with output `y_l` `(N, h, w, K)` and bias `b_l`:
/// - input term: `sum_c norm(|x_c * dS/dx_c|)`;
/// - bias term of `l`: `sum_k resize(norm(|b_k * dS/dy_k|))`;
/// - map: `norm(input term + sum_l bias term of l)`;
///
/// where `norm(m) = (m - min m) / (1e-7 + max(m - min m))` over one `(h, w)` map of one sample (pytorch-grad-cam's
/// `scale_cam_image`, per sample and channel in `scale_accross_batch_and_channels`) and `resize` is OpenCV's
/// bilinear `cv2.resize` to `(H, W)` (resizing is linear, so each layer's channel sum is resized once).
///
/// pytorch-grad-cam's layers, in Keras terms: its layers are the `torch.nn.Conv2d` and `torch.nn.BatchNorm2d`
/// modules with a bias, so here Conv2D, DepthwiseConv2D and SeparableConv2D with `use_bias` (bias `b`; a
/// SeparableConv2D is two `Conv2d` of which only the pointwise one has the bias) and BatchNormalization of a 4-D
/// tensor over its last axis (its effective bias `beta - mean * gamma / sqrt(variance + epsilon)`, `get_bias_data`,
/// with gamma 1 and beta 0 where Keras has none). Dense, 1-D/3-D and transposed convolutions and other
/// normalizations have no term (pytorch-grad-cam's `Linear`, `Conv1d`, `ConvTranspose2d`, ... are not in its list),
/// although the paper sums every bias. `dS/dy` is taken at the convolution's output before its `activation=`
/// (where a PyTorch port's `Conv2d` module ends and the bias is added), and a BatchNormalization is its own layer
/// (a convolution without a bias followed by one has only the BatchNormalization's term). Each bias layer must
/// be called once (pytorch-grad-cam's hooks would record two gradients for one bias). A bias layer whose output the
/// targets read (`ExplanationTarget.layer`) keeps its activation, and its term takes the gradient after it.
///
/// `eigenSmooth` follows pytorch-grad-cam: the input's channel maps and the layers' terms (each already scaled and
/// resized) are scaled and resized again to `(H // 8, W // 8)`, reduced to their first principal component (see
/// `principalComponentProjection`, kerasvis's sign), which is scaled and resized back to `(H, W)` and scaled.
/// `augmentationSmoothing` averages six test-time augmentations as for the CAM methods. A 1-D or 3-D model (which
/// pytorch-grad-cam's FullGrad does not take, or takes without bias layers) gets the input term alone. The
/// request's `convention` does not apply (tf-keras-vis has no FullGrad): the scaling is always pytorch-grad-cam's.
public struct FullGrad: ExplanationMethod {
  public var name: String { "fullgrad" }
  public var usesLayer: Bool { false }

  public init() {}

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.requireChannelsLastInput(name, work: "explains one channels-last input")
    let input = try explainer.batched(request.input)
    guard (3...5).contains(input.rank) else {
      throw KerasVisError.invalidInput(
        "fullgrad explains models with 1 to 3 spatial axes (N, ..., C), got an input of shape \(input.shape)")
    }
    if request.eigenSmooth && input.rank != 4 {
      throw KerasVisError.invalidArgument("fullgrad's eigen smoothing takes images (N, H, W, C), not \(input.shape)")
    }
    guard request.augmentationSmoothing else { return try explainer.fullGradients(request, input: input) }
    return try explainer.augmentationSmoothed(input) { try explainer.fullGradients(request, input: $0) }
  }
}

/// A layer whose bias FullGrad weights: its address (through nested models) and its (effective) bias per channel.
struct BiasLayer: Sendable {
  var address: [Int]
  var bias: [Float]
}

extension Explainer {
  /// FullGrad's maps of `input` `(N, H, W, C)` (see `FullGrad`); for a 1-D or 3-D model's input, whose model has no
  /// 2-D bias layer, the input term alone.
  func fullGradients(_ request: ExplanationRequest, input: Tensor) throws -> Explanation {
    let inputShape = FeatureMaps(input)
    let (count, channels, size) = (inputShape.count, inputShape.channels, inputShape.positions)
    var scoring = try TargetScoring(request, count: count, explainer: self)
    let biasLayers = try fullGradBiasLayers(graph, prefix: [])
    let keys = biasLayers.map { LayerOutputKey(address: $0.address) }
    let linear = scoring.reading.linearLayer
    let read = scoring.source.keptLayer
    let model = try cachedModel(key: "fullgrad:\(linear.map { "\($0)" } ?? "-"):\(scoring.source)") {
      // The output's softmax is swapped first, so that a convolution ending the model keeps it after the split; a
      // layer the targets read keeps its activation.
      var target = graph
      if let linear { target = try target.replacingActivation(ofLayerAt: linear, with: .linear) }
      target = try splittingActivations(
        of: target, at: biasLayers.map(\.address).filter { $0 != read?.address })
      return CompiledModel(
        graph: target, keeping: Array(Set(keys + (read.map { [$0] } ?? []))), gradients: true,
        inputGradients: true, precision: precision)
    }
    let (_, gradients) = try model.gradients(
      [input], targets: [.input(0)] + keys.map { .layer($0) }
    ) { forward in
      [scoring.source.tensor: try scoring.seeds(for: forward)]
    }
    // Per sample, the terms at (H, W): the input's channels, then one per bias layer.
    var terms = [[[Float]]](repeating: [], count: count)
    let x = input.scalars
    let inputGradient = gradients[0].scalars
    for n in 0..<count {
      for c in 0..<channels {
        let map = (0..<size).map { p in
          let i = (n * size + p) * channels + c
          return abs(x[i] * inputGradient[i])
        }
        terms[n].append(shiftedToUnitRange(map))
      }
    }
    for (layer, gradient) in zip(biasLayers, gradients.dropFirst()) {
      let shape = FeatureMaps(gradient)
      guard shape.spatial.count == 2, inputShape.spatial.count == 2, shape.channels == layer.bias.count,
        shape.count == count
      else {
        throw KerasVisError.unsuitableLayer(
          layer: try layerLocation(layer.address),
          detail:
            "fullgrad needs a (N, h, w, \(layer.bias.count)) output in an image model (input \(input.shape)); its gradient is \(gradient.shape)"
        )
      }
      let g = gradient.scalars
      for n in 0..<count {
        // sum_k norm(|b_k g_k|), channels in the inner loop (the gradient is channels-last); norm as
        // `shiftedToUnitRange`, with the same arithmetic.
        var low = [Float](repeating: .infinity, count: shape.channels)
        var high = [Float](repeating: -.infinity, count: shape.channels)
        for p in 0..<shape.positions {
          for k in 0..<shape.channels {
            let value = abs(layer.bias[k] * g[shape.index(n, p, k)])
            low[k] = min(low[k], value)
            high[k] = max(high[k], value)
          }
        }
        let scale = (0..<shape.channels).map { 1e-7 + (high[$0] - low[$0]) }
        var total = [Float](repeating: 0, count: shape.positions)
        for p in 0..<shape.positions {
          for k in 0..<shape.channels {
            total[p] += (abs(layer.bias[k] * g[shape.index(n, p, k)]) - low[k]) / scale[k]
          }
        }
        terms[n].append(
          openCVLinearResize(
            total, height: shape.spatial[0], width: shape.spatial[1], toHeight: inputShape.spatial[0],
            toWidth: inputShape.spatial[1]))
      }
    }
    var maps: [Float] = []
    maps.reserveCapacity(count * size)
    for n in 0..<count {
      let sum: [Float]
      if request.eigenSmooth {
        sum = fullGradProjection(terms[n], height: inputShape.spatial[0], width: inputShape.spatial[1])
      } else {
        sum = terms[n].reduce(into: [Float](repeating: 0, count: size)) { total, term in
          for p in 0..<size { total[p] += term[p] }
        }
      }
      maps += shiftedToUnitRange(sum)
    }
    return Explanation(
      maps: try Tensor(shape: [count] + inputShape.spatial, values: maps), targets: scoring.resolved,
      scores: scoring.scores)
  }

  /// pytorch-grad-cam's FullGrad eigen smoothing of one sample's terms `(H * W)` each: each scaled and resized to
  /// `(H // 8, W // 8)`, the first principal component over the terms, scaled and resized back.
  private func fullGradProjection(_ terms: [[Float]], height: Int, width: Int) -> [Float] {
    let (smallHeight, smallWidth) = (max(height / 8, 1), max(width / 8, 1))
    let small = terms.map {
      openCVLinearResize(
        shiftedToUnitRange($0), height: height, width: width, toHeight: smallHeight, toWidth: smallWidth)
    }
    let positions = smallHeight * smallWidth
    var matrix = [Float](repeating: 0, count: positions * small.count)
    for (c, term) in small.enumerated() {
      for p in 0..<positions { matrix[p * small.count + c] = term[p] }
    }
    let projection = matrix.withUnsafeBufferPointer {
      principalComponentProjection($0, positions: positions, channels: small.count)
    }
    return openCVLinearResize(
      shiftedToUnitRange(projection), height: smallHeight, width: smallWidth, toHeight: height, toWidth: width)
  }

  /// The layers FullGrad weights, in call order through nested models (see `FullGrad`).
  /// - Throws: `KerasVisError.unsuitableLayer` for a bias layer called more than once, or whose statistics do
  ///   not fit its channels.
  func fullGradBiasLayers(_ graph: Graph, prefix: [Int]) throws -> [BiasLayer] {
    var result: [BiasLayer] = []
    for call in try graph.callOrder() {
      guard case .layer(let index, let node) = call, node == 0 else { continue }
      let layer = graph.layers[index]
      let address = prefix + [index]
      if let inner = layer.nestedGraph {
        result += try fullGradBiasLayers(inner, prefix: address)
        continue
      }
      guard let bias = try fullGradBias(of: layer, address: address) else { continue }
      guard layer.nodes.count == 1 else {
        throw KerasVisError.unsuitableLayer(
          layer: try layerLocation(address),
          detail: "fullgrad weights each bias once; this layer is called \(layer.nodes.count) times")
      }
      result.append(BiasLayer(address: address, bias: bias))
    }
    return result
  }

  /// The bias FullGrad weights for `layer`, or nil when pytorch-grad-cam would not count it.
  private func fullGradBias(of layer: Layer, address: [Int]) throws -> [Float]? {
    let rank = layer.outputShape?.rank
    switch layer.kind {
    case let convolution as any ConvolutionKind:
      guard type(of: convolution).spatialRank == 2, convolution.useBias else { return nil }
    case let convolution as any DepthwiseConvolutionKind:
      guard type(of: convolution).spatialRank == 2, convolution.useBias else { return nil }
    case let convolution as any SeparableConvolutionKind:
      guard type(of: convolution).spatialRank == 2, convolution.useBias else { return nil }
    case let norm as BatchNormalization:
      guard rank == 4, (try? norm.normalizedAxis(rank: 4)) == 3 else { return nil }
      guard let mean = layer.weight(named: "moving_mean")?.values.array,
        let variance = layer.weight(named: "moving_variance")?.values.array, mean.count == variance.count
      else {
        throw KerasVisError.unsuitableLayer(
          layer: try layerLocation(address), detail: "its moving mean and variance do not fit each other")
      }
      let gamma = layer.weight(named: "gamma")?.values.array ?? [Float](repeating: 1, count: mean.count)
      let beta = layer.weight(named: "beta")?.values.array ?? [Float](repeating: 0, count: mean.count)
      guard gamma.count == mean.count, beta.count == mean.count else {
        throw KerasVisError.unsuitableLayer(
          layer: try layerLocation(address), detail: "its gamma and beta do not fit its \(mean.count) channels")
      }
      return mean.indices.map { c in beta[c] - mean[c] * gamma[c] / (variance[c] + norm.epsilon).squareRoot() }
    default:
      return nil
    }
    guard rank == 4, let bias = layer.weight(named: "bias")?.values.array else { return nil }
    return bias
  }
}

/// `graph` with the `activation=` of each layer at `addresses` (through nested models) moved into an Activation
/// layer of its own after it (appended to its model's layers, reading the layer's first call and read by
/// everything that read it), so that the layer's output is the value before the activation. Addresses of the
/// existing layers do not change.
/// - Throws: `KerasVisError.invalidArgument` for an address that leads to no layer.
func splittingActivations(of graph: Graph, at addresses: [[Int]]) throws -> Graph {
  var result = graph
  var inner: [Int: [[Int]]] = [:]
  for address in addresses {
    guard let first = address.first, graph.layers.indices.contains(first) else {
      throw KerasVisError.invalidArgument("no layer at \(address) of model '\(graph.name)'")
    }
    if address.count > 1 { inner[first, default: []].append(Array(address.dropFirst())) }
  }
  for (index, nested) in inner {
    guard let model = graph.layers[index].nestedGraph else {
      throw KerasVisError.invalidArgument("layer \(index) of model '\(graph.name)' is not a model")
    }
    result.layers[index].nestedGraph = try splittingActivations(of: model, at: nested)
  }
  for address in addresses where address.count == 1 {
    let index = address[0]
    let layer = graph.layers[index]
    guard let function = layer.activation, function != .linear, let node = layer.nodes.first else { continue }
    let source = TensorSource.layerOutput(layer: index, node: 0, tensor: 0)
    let replacement = TensorSource.layerOutput(layer: result.layers.count, node: 0, tensor: 0)
    result.redirectReaders(of: source, to: replacement)
    result.layers[index].activation = .linear
    result.layers.append(
      Layer(
        index: result.layers.count, name: layer.name + "_kerasvis_activation", className: "Activation",
        config: .object([:]), kind: Activation(function),
        nodes: [Node(inputs: [source], outputShapes: node.outputShapes)]))
  }
  return result
}

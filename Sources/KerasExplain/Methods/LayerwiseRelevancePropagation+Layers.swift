import Foundation
import KerasGraph
import KerasRuntime

extension RelevanceWalk {
  /// `linear` with the BatchNormalization `normalization` after it merged in (zennit's `MergeBatchNorm`): with
  /// `s = gamma / sqrt(variance + epsilon)`, the kernel's output channel `c` times `s_c` and the bias
  /// `(b - mean) s + beta` (a layer without a bias gets one). A separable convolution's pointwise kernel takes it.
  /// - Throws: `KerasVisError.invalidArgument` naming the BatchNormalization when its statistics do not fit.
  func mergedLayer(_ linear: Layer, normalization: Layer, location: LayerLocation) throws -> Layer {
    guard let kind = normalization.kind as? BatchNormalization,
      let mean = normalization.weight(named: "moving_mean")?.values.array,
      let variance = normalization.weight(named: "moving_variance")?.values.array, mean.count == variance.count
    else {
      throw KerasVisError.invalidArgument("LRP: \(location) has no moving statistics to merge")
    }
    let channels = mean.count
    let gamma = normalization.weight(named: "gamma")?.values.array ?? [Float](repeating: 1, count: channels)
    let beta = normalization.weight(named: "beta")?.values.array ?? [Float](repeating: 0, count: channels)
    let scale = (0..<channels).map { gamma[$0] / (variance[$0] + kind.epsilon).squareRoot() }
    var layer = linear
    layer.activation = nil
    var bias = linear.weight(named: "bias")?.values.array ?? [Float](repeating: 0, count: channels)
    guard bias.count == channels else {
      throw KerasVisError.invalidArgument(
        "LRP: \(location) normalizes \(channels) channels; its input has \(bias.count)")
    }
    for c in 0..<channels { bias[c] = (bias[c] - mean[c]) * scale[c] + beta[c] }
    let scaled = linear.kind is any SeparableConvolutionKind ? "pointwise_kernel" : nil
    layer.weights =
      linear.weights.filter { $0.name != "bias" }.map { weight in
        guard weight.name == (scaled ?? weight.name), weight.elementCount % channels == 0 else { return weight }
        let values = weight.values.array.enumerated().map { $1 * scale[$0 % channels] }
        return Weight(name: weight.name, shape: weight.shape, values: FloatBuffer(values))
      } + [Weight(name: "bias", shape: [channels], values: FloatBuffer(bias))]
    switch linear.kind {
    case var dense as Dense:
      dense.useBias = true
      layer.kind = dense
    case let conv as any ConvolutionKind:
      layer.kind = type(of: conv).init(filters: conv.filters, window: conv.window, groups: conv.groups, useBias: true)
    case let conv as any DepthwiseConvolutionKind:
      layer.kind = type(of: conv).init(window: conv.window, depthMultiplier: conv.depthMultiplier, useBias: true)
    case let conv as any SeparableConvolutionKind:
      layer.kind = type(of: conv).init(
        filters: conv.filters, window: conv.window, depthMultiplier: conv.depthMultiplier, useBias: true)
    default:
      throw KerasVisError.invalidArgument("LRP: \(location) follows a layer it cannot be merged into")
    }
    return layer
  }

  /// The relevance of a separable convolution's input: its pointwise part (a 1x1 convolution) by the convolution
  /// rule, then its depthwise part by its own rule (the first layer's when it is the first), as zennit computes a
  /// port of it as two `Conv` modules.
  mutating func separableRelevance(layer: Layer, call index: Int, key: String, x: Tensor, z: Tensor, relevance: Tensor)
    throws -> [Tensor]
  {
    let call = flat.calls[index]
    guard let separable = layer.kind as? any SeparableConvolutionKind,
      let depthwiseKernel = layer.weight(named: "depthwise_kernel"),
      let pointwiseKernel = layer.weight(named: "pointwise_kernel")
    else {
      throw KerasVisError.invalidArgument("LRP: \(call.location) is not a separable convolution with its kernels")
    }
    let rank = type(of: separable).spatialRank
    let depthwiseKind: any LayerKind
    let pointwiseKind: any LayerKind
    let pointwise = Window(kernelSize: [Int](repeating: 1, count: rank))
    switch rank {
    case 1:
      depthwiseKind = DepthwiseConv1D(
        window: separable.window, depthMultiplier: separable.depthMultiplier, useBias: false)
      pointwiseKind = Conv1D(filters: separable.filters, window: pointwise, groups: 1, useBias: separable.useBias)
    case 2:
      depthwiseKind = DepthwiseConv2D(
        window: separable.window, depthMultiplier: separable.depthMultiplier, useBias: false)
      pointwiseKind = Conv2D(filters: separable.filters, window: pointwise, groups: 1, useBias: separable.useBias)
    default:
      throw KerasVisError.invalidArgument(
        "LRP: \(call.location): separable convolutions of rank \(rank) are not supported")
    }
    let inputShape = TensorShape(batchOf: x.shape.dropFirst().map { $0 })
    var depthwise = layer
    depthwise.name = layer.name + "_depthwise"
    depthwise.kind = depthwiseKind
    depthwise.activation = nil
    depthwise.weights = [depthwiseKernel]
    depthwise.nodes = [Node(inputs: [], outputShapes: try depthwiseKind.outputShapes(inputs: [inputShape]))]
    let h = try model(depthwise, node: 0, key: key + "d", inputs: [x]).predict([x])[0]
    var pointwiseLayer = layer
    pointwiseLayer.name = layer.name + "_pointwise"
    pointwiseLayer.kind = pointwiseKind
    pointwiseLayer.activation = nil
    pointwiseLayer.weights =
      [Weight(name: "kernel", shape: pointwiseKernel.shape, values: pointwiseKernel.values)]
      + layer.weights.filter { $0.name == "bias" }
    pointwiseLayer.nodes = [
      Node(
        inputs: [],
        outputShapes: try pointwiseKind.outputShapes(inputs: [TensorShape(batchOf: h.shape.dropFirst().map { $0 })]))
    ]
    let middle = try linearRelevance(
      layer: { pointwiseLayer }, node: 0, key: key + "p", x: h, z: z, relevance: relevance,
      rule: composite.convolution)
    return try linearRelevance(
      layer: { depthwise }, node: 0, key: key + "d", x: x, z: h, relevance: middle[0], rule: rule(for: index))
  }
}

import KerasGraph
import KerasRuntime

/// Where the channel axis of a model input or a layer output is, so that explanations of channels_first models
/// (convolutions with `data_format="channels_first"`, `ChannelsFirst(inner:)` in the graph) read their feature maps
/// and inputs as Keras lays them out.
public enum ChannelLayout: Sendable, Equatable {
  /// `(N, ..., C)`: Keras's default `channels_last`.
  case channelsLast
  /// `(N, C, ...)`: `data_format="channels_first"`.
  case channelsFirst
  /// `(N, D)` (or any tensor without spatial axes): one value per feature.
  case features

  /// The channel axis of a tensor of `rank`, nil for `.features`.
  public func channelAxis(rank: Int) -> Int? {
    switch self {
    case .channelsLast: return rank - 1
    case .channelsFirst: return 1
    case .features: return nil
    }
  }

  /// The spatial sizes of a batch `shape` in this layout: `(H, W)` of `(N, H, W, C)` or `(N, C, H, W)`; empty for
  /// `.features`.
  public func spatialShape(_ shape: [Int]) -> [Int] {
    switch self {
    case .channelsLast: return Array(shape.dropFirst().dropLast())
    case .channelsFirst: return Array(shape.dropFirst(2))
    case .features: return []
    }
  }
}

extension Graph {
  /// The layout of model input `index`: `.features` for `(N, D)`; `.channelsFirst` when the first layer that reads
  /// a data format on its way (through layers that keep the rank, such as BatchNormalization and activations) is a
  /// channels_first one; else `.channelsLast`.
  public func channelLayout(ofInput index: Int) -> ChannelLayout {
    guard inputs.indices.contains(index), inputs[index].shape.rank >= 3 else { return .features }
    let rank = inputs[index].shape.rank
    var frontier: [TensorProducer] = [.graphInput(index)]
    if let layer = inputs[index].layerIndex { frontier.append(.layer(layer)) }
    var visited = Set<Int>()
    while !frontier.isEmpty {
      let producer = frontier.removeFirst()
      for (consumer, layer) in layers.enumerated() where !visited.contains(consumer) {
        guard layer.nodes.contains(where: { $0.inputs.contains(where: producer.matches) }) else { continue }
        visited.insert(consumer)
        if let decided = Self.declaredLayout(of: layer.kind) { return decided }
        if let nested = layer.nestedGraph, nested.inputs.count == 1 { return nested.channelLayout(ofInput: 0) }
        if layer.outputShape?.rank == rank && !Self.rearranges(layer.kind) { frontier.append(.layer(consumer)) }
      }
    }
    return .channelsLast
  }

  /// The layout of the output of the layer at `address` (through nested models): `.features` below rank 3;
  /// `.channelsFirst` for a channels_first layer (a layer kept at rank 3 or more, such as a convolution), or a layer
  /// that keeps the rank of an input in that layout (BatchNormalization, activations, merges); else
  /// `.channelsLast`.
  public func channelLayout(ofLayerAt address: [Int]) -> ChannelLayout {
    guard let index = address.first, layers.indices.contains(index) else { return .channelsLast }
    if address.count > 1, let nested = layers[index].nestedGraph {
      return nested.channelLayout(ofLayerAt: Array(address.dropFirst()))
    }
    var current = index
    while true {
      let layer = layers[current]
      guard let rank = layer.outputShape?.rank, rank >= 3 else { return .features }
      if let decided = Self.declaredLayout(of: layer.kind) { return decided }
      if layer.isInput, let input = inputs.firstIndex(where: { $0.layerIndex == current }) {
        return channelLayout(ofInput: input)
      }
      guard !Self.rearranges(layer.kind), layer.nestedGraph == nil, let source = layer.nodes.first?.inputs.first,
        shape(of: source)?.rank == rank
      else { return .channelsLast }
      switch source {
      case .graphInput(let input): return channelLayout(ofInput: input)
      case .layerOutput(let producer, _, _) where producer < current: current = producer
      default: return .channelsLast
      }
    }
  }

  /// The layout a layer kind reads its input in, nil for kinds without a data format.
  private static func declaredLayout(of kind: any LayerKind) -> ChannelLayout? {
    if kind is ChannelsFirst { return .channelsFirst }
    if kind is any ChannelsLastLayout { return .channelsLast }
    return nil
  }

  /// Kinds that move axes (after them the layout is not their input's).
  private static func rearranges(_ kind: any LayerKind) -> Bool { kind is Reshape || kind is Permute }
}

/// A tensor's producer in a graph, for the layout search.
private enum TensorProducer {
  case graphInput(Int)
  case layer(Int)

  func matches(_ source: TensorSource) -> Bool {
    switch (self, source) {
    case (.graphInput(let a), .graphInput(let b)): return a == b
    case (.layer(let a), .layerOutput(let b, _, _)): return a == b
    default: return false
    }
  }
}

/// `tensor` `(N, C, ...)` with its channel axis moved last, `(N, ..., C)`.
func channelsLastCopy(_ tensor: Tensor) throws -> Tensor {
  guard tensor.rank >= 3 else { return tensor }
  let (count, channels) = (tensor.shape[0], tensor.shape[1])
  let positions = tensor.shape.dropFirst(2).reduce(1, *)
  let values = tensor.scalars
  return try Tensor(shape: [count] + Array(tensor.shape.dropFirst(2)) + [channels]) { index in
    let c = index % channels
    let p = (index / channels) % positions
    let n = index / (channels * positions)
    return values[(n * channels + c) * positions + p]
  }
}

/// `tensor` `(N, ..., C)` with its channel axis moved to axis 1, `(N, C, ...)`.
func channelsFirstCopy(_ tensor: Tensor) throws -> Tensor {
  guard tensor.rank >= 3 else { return tensor }
  let (count, channels) = (tensor.shape[0], tensor.shape[tensor.rank - 1])
  let positions = tensor.shape.dropFirst().dropLast().reduce(1, *)
  let values = tensor.scalars
  return try Tensor(shape: [count, channels] + Array(tensor.shape.dropFirst().dropLast())) { index in
    let p = index % positions
    let c = (index / positions) % channels
    let n = index / (channels * positions)
    return values[(n * positions + p) * channels + c]
  }
}

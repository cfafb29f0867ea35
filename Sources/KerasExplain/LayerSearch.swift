import KerasGraph

/// Layer lookups keras-vis users rely on: `find_layer_idx`, the automatic penultimate layer of `visualize_cam`,
/// and the candidate layers for Grad-CAM.
public enum LayerSearch {
  /// Keras classes keras-vis treats as convolutions (subclasses of Keras 2's `_Conv`).
  static let convolutionClasses: Set<String> = [
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D",
    "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Deconvolution2D", "Deconvolution3D", "SeparableConvolution1D", "SeparableConvolution2D",
  ]
  /// Keras classes keras-vis treats as pooling (`_Pooling1D/2D/3D`; global pooling is not one of them).
  static let poolingClasses: Set<String> = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
  ]

  /// keras-vis's `find_layer_idx(model, layer_name)`: the index in `model.layers` of the layer called `name`.
  /// - Throws: `LayerLookupError.unknownName` with the closest names when there is none.
  public static func findLayerIdx(_ graph: Graph, _ name: String) throws -> Int {
    if let index = graph.layerIndex(named: name) { return index }
    _ = try graph.resolveLayer(name)  // throws with suggestions
    throw LayerLookupError.unknownName(name: name, suggestions: [])
  }

  /// `layerIdx` as an index into `model.layers` (negative counts from the end, as in Python).
  public static func normalizedIndex(_ layerIdx: Int, in graph: Graph) throws -> Int {
    let count = graph.layers.count
    let index = layerIdx < 0 ? layerIdx + count : layerIdx
    guard (0..<count).contains(index) else { throw KerasVisError.layerIndexOutOfRange(index: layerIdx, count: count) }
    return index
  }

  /// The class that decides whether a layer is a convolution or pooling layer: the wrapped layer's class for a
  /// wrapper (`TimeDistributed`, `Bidirectional`).
  static func effectiveClassName(_ layer: Layer) -> String {
    if ["TimeDistributed", "Bidirectional"].contains(layer.className),
      let inner = layer.config["layer"]?["class_name"]?.string
    {
      return inner
    }
    return layer.className
  }

  /// Whether keras-vis's search counts the layer: a convolution or a (local) pooling layer.
  public static func isConvolutionOrPooling(_ layer: Layer) -> Bool {
    let name = effectiveClassName(layer)
    return convolutionClasses.contains(name) || poolingClasses.contains(name)
  }

  /// keras-vis's `_find_penultimate_layer`: the given index, or the nearest convolution or pooling layer found by
  /// scanning `model.layers[:layer_idx - 1]` backwards. The quirk is kept: the layer right before `layer_idx` is
  /// never considered, and Python's slicing rules apply (for `layer_idx` 0 the slice is all but the last layer).
  /// For keras.applications InceptionV3 and `layer_idx` = `predictions` (312) this is `conv2d_94` (299), not
  /// `mixed10` (310).
  /// - Throws: `KerasVisError.noPenultimateLayer`, `.penultimateAfterLayer`, `.layerIndexOutOfRange`.
  public static func penultimateLayerIdx(_ graph: Graph, layerIdx: Int, penultimateLayerIdx: Int? = nil) throws -> Int {
    let layer = try normalizedIndex(layerIdx, in: graph)
    var found: Int?
    if let penultimateLayerIdx {
      found = try normalizedIndex(penultimateLayerIdx, in: graph)
    } else {
      let count = graph.layers.count
      // Python's model.layers[:layer_idx - 1] with the index the caller passed (negative kept negative).
      var end = layerIdx - 1
      if end < 0 { end += count }
      end = min(max(end, 0), count)
      for index in stride(from: end - 1, through: 0, by: -1) where isConvolutionOrPooling(graph.layers[index]) {
        found = index
        break
      }
    }
    guard let found else { throw KerasVisError.noPenultimateLayer(layer: location(graph, layer)) }
    guard found <= layer else {
      throw KerasVisError.penultimateAfterLayer(penultimate: location(graph, found), layer: location(graph, layer))
    }
    return found
  }

  /// The layer the Grad-CAM paper (Selvaraju et al., arXiv 1610.02391) advises: the last layer before `layerIdx`
  /// whose output is a spatial feature map `(N, H, W, C)` with H or W above 1 (InceptionV3: `mixed10`); for a 1-D
  /// or 3-D model, `(N, L, C)` or `(N, D, H, W, C)` (see `featureMapRank`).
  public static func lastFeatureMapIdx(_ graph: Graph, before layerIdx: Int) throws -> Int? {
    let layer = try normalizedIndex(layerIdx, in: graph)
    let rank = featureMapRank(of: graph)
    return (0..<layer).last { index in isSpatialFeatureMap(graph, at: [index], layer: graph.layers[index], rank: rank) }
  }

  /// The rank of the model's feature maps: its first input's, `(N, L, C)`, `(N, H, W, C)` or `(N, D, H, W, C)`
  /// (4 for other inputs, such as a vector).
  public static func featureMapRank(of graph: Graph) -> Int {
    guard let rank = graph.inputs.first?.shape.rank, (3...5).contains(rank) else { return 4 }
    return rank
  }

  /// Whether a layer outputs a channels-last feature map of `rank` (`(N, H, W, C)` by default) with a spatial
  /// axis above 1; with `channelsFirst`, a channels_first one `(N, C, H, W)`.
  public static func isSpatialFeatureMap(_ layer: Layer, rank: Int = 4, channelsFirst: Bool = false) -> Bool {
    guard let shape = layer.outputShape, shape.rank == rank, rank >= 3, layer.nodes.first?.outputShapes.count == 1
    else { return false }
    let spatial = channelsFirst ? shape.dimensions[2..<rank] : shape.dimensions[1..<(rank - 1)]
    return spatial.contains { ($0 ?? 2) > 1 }
  }

  /// `isSpatialFeatureMap` of `layer`, the layer at `address` of `graph`, in the layout
  /// `graph.channelLayout(ofLayerAt:)` gives it.
  static func isSpatialFeatureMap(_ graph: Graph, at address: [Int], layer: Layer, rank: Int) -> Bool {
    guard layer.outputShape?.rank == rank else { return false }
    return isSpatialFeatureMap(
      layer, rank: rank, channelsFirst: graph.channelLayout(ofLayerAt: address) == .channelsFirst)
  }

  /// A candidate layer for Grad-CAM's penultimate layer.
  public struct Candidate: Sendable, Equatable {
    /// The index in `model.layers`.
    public var index: Int
    /// The layer's name and class.
    public var name: String
    public var className: String
    /// The output shape.
    public var outputShape: TensorShape
    /// Whether keras-vis's automatic search picks it.
    public var isKerasVisChoice: Bool
    /// Whether the Grad-CAM paper's advice (the last feature map) picks it.
    public var isPaperChoice: Bool
  }

  /// Every layer before `layerIdx` with a spatial feature map output, marking keras-vis's automatic choice and the
  /// Grad-CAM paper's (what `kerasvis summary --cam-layers` prints).
  public static func camCandidates(_ graph: Graph, layerIdx: Int) throws -> [Candidate] {
    let layer = try normalizedIndex(layerIdx, in: graph)
    let kerasVis = try? penultimateLayerIdx(graph, layerIdx: layerIdx)
    let paper = try lastFeatureMapIdx(graph, before: layerIdx)
    let rank = featureMapRank(of: graph)
    return (0..<layer).compactMap { index in
      let candidate = graph.layers[index]
      guard isSpatialFeatureMap(graph, at: [index], layer: candidate, rank: rank) || index == kerasVis,
        let shape = candidate.outputShape
      else {
        return nil
      }
      return Candidate(
        index: index, name: candidate.name, className: candidate.className, outputShape: shape,
        isKerasVisChoice: index == kerasVis, isPaperChoice: index == paper)
    }
  }

  static func location(_ graph: Graph, _ index: Int) -> LayerLocation {
    let layer = graph.layers[index]
    return LayerLocation(path: layer.name, index: index, className: layer.className)
  }
}

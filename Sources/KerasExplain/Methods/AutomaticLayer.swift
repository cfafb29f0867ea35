import KerasGraph

extension Explainer {
  /// The layer a CAM method uses when none is named: the last layer, in execution order and through nested
  /// models, whose output is a spatial feature map `(N, H, W, C)` with H or W above 1 (`(N, L, C)` or
  /// `(N, D, H, W, C)` for a 1-D or 3-D model) (InceptionV3: `mixed10`;
  /// `Sequential([MobileNetV2, GlobalAveragePooling2D, Dense])`: the MobileNetV2's `out_relu`). Input layers and
  /// the nested models themselves are skipped (their layers are searched instead). A channels_first model's maps
  /// `(N, C, H, W)` count by their last axes.
  ///
  /// For a ViT (an image model whose last MultiHeadAttention reads `(N, 1 + s^2, C)` tokens), the layer feeding that
  /// attention (see `vitTokenLayer`).
  ///
  /// This is the Grad-CAM paper's advice (arXiv 1610.02391, the last convolutional feature map); keras-vis's
  /// automatic search (`LayerSearch.penultimateLayerIdx`) differs, and tf-keras-vis looks for the last `Conv`
  /// layer only.
  /// - Returns: the layer's address (`[310]`, `[0, 151]`).
  /// - Throws: `KerasVisError.unsuitableLayer` naming the output layer when no layer outputs a feature map.
  public func automaticCAMLayer() throws -> [Int] {
    let rank = LayerSearch.featureMapRank(of: graph)
    if rank == 4, let tokens = vitTokenLayer() { return tokens }
    let candidate = graph.allLayerPaths().last { entry in
      if entry.layer.isInput || entry.layer.nestedGraph != nil { return false }
      return LayerSearch.isSpatialFeatureMap(graph, at: entry.address, layer: entry.layer, rank: rank)
    }
    guard let candidate else {
      throw KerasVisError.unsuitableLayer(
        layer: outputLocation(0),
        detail: "no layer of the model outputs a spatial feature map (\(FeatureMaps.axesDescription(rank: rank)))")
    }
    return candidate.address
  }

  /// For an image ViT, pytorch-grad-cam's recommended layer (`model.blocks[-1].norm1`): the layer whose output the
  /// last top-level MultiHeadAttention reads as its query, when that output is a class token and a square grid of
  /// patch tokens `(N, 1 + s^2, C)` (the CAM methods reshape it to `(N, s, s, C)`). Later token outputs feed only
  /// the class token to the head, so their patch tokens have no gradient.
  func vitTokenLayer() -> [Int]? {
    guard
      let index = graph.layers.indices.last(where: { graph.layers[$0].kind is MultiHeadAttention }),
      let attention = graph.layers[index].kind as? MultiHeadAttention,
      let node = graph.layers[index].nodes.last,
      node.inputs.indices.contains(attention.inputPositions.query),
      case .layerOutput(let producer, _, _) = node.inputs[attention.inputPositions.query],
      let shape = graph.shape(of: node.inputs[attention.inputPositions.query]), shape.rank == 3,
      let tokens = shape.dimensions[1], tokens >= 2, Explainer.squareSide(tokens - 1) != nil
    else { return nil }
    return [producer]
  }

  /// The path of names of the layer at `address` (`mobilenetv2_0.10_96/out_relu`), with its index and class, for
  /// messages.
  public func describeLayer(_ address: [Int]) -> String {
    (try? layerLocation(address).description) ?? "layer \(address)"
  }
}

import KerasGraph

/// A weight slot in the graph: the layer's address (indices through nested models) and what it expects.
struct WeightTarget {
  var address: [Int]
  var location: LayerLocation
  var specification: WeightSpecification
  /// Trainable as Keras sees it: the weight, its layer and every enclosing model are trainable.
  var effectivelyTrainable: Bool
}

extension Graph {
  /// The weights the layer at `index` expects, from its config and its first call's input shapes.
  func weightSpecifications(ofLayer index: Int, file: String, pathPrefix: String) throws -> [WeightSpecification] {
    let layer = layers[index]
    if layer.nestedGraph != nil { return [] }
    do {
      return try layer.kind.weightSpecifications(inputs: inputShapes(ofLayer: index))
    } catch let problem as ShapeProblem {
      throw KerasImportError.incompatibleShapes(
        file: file, layer: LayerLocation(path: pathPrefix + layer.name, index: index, className: layer.className),
        detail: problem.detail)
    }
  }

  /// Every weight slot of the layer at `index` (all inner layers for a nested model) in natural order: layer by
  /// layer in `model.layers` order, each layer's weights in Keras's order.
  func weightTargets(
    ofLayer index: Int, file: String, prefix: [Int] = [], pathPrefix: String = "", parentTrainable: Bool = true
  )
    throws -> [WeightTarget]
  {
    let layer = layers[index]
    let trainable = parentTrainable && layer.trainable
    if let inner = layer.nestedGraph {
      return try inner.layers.indices.flatMap {
        try inner.weightTargets(
          ofLayer: $0, file: file, prefix: prefix + [index], pathPrefix: pathPrefix + layer.name + "/",
          parentTrainable: trainable)
      }
    }
    let location = LayerLocation(path: pathPrefix + layer.name, index: index, className: layer.className)
    return try weightSpecifications(ofLayer: index, file: file, pathPrefix: pathPrefix).map {
      WeightTarget(
        address: prefix + [index], location: location, specification: $0,
        effectivelyTrainable: trainable && $0.trainable)
    }
  }

  /// The order in which a legacy `.h5` stores the weights of the layer at `index` (Keras's `_legacy_weights`:
  /// `layer.trainable_weights + layer.non_trainable_weights`). For a plain layer this is its natural order; for a
  /// nested model, every trainable weight of its layers comes before every non-trainable one.
  func legacyWeightOrder(ofLayer index: Int, file: String) throws -> [WeightTarget] {
    let targets = try weightTargets(ofLayer: index, file: file)
    guard layers[index].nestedGraph != nil else { return targets }
    return targets.filter(\.effectivelyTrainable) + targets.filter { !$0.effectivelyTrainable }
  }

  /// Whether the layer at `index` (or any layer inside it) stores weights.
  func hasWeights(layer index: Int, file: String) throws -> Bool {
    try !weightTargets(ofLayer: index, file: file).isEmpty
  }

  /// Appends `weight` to the layer at `address`.
  mutating func appendWeight(_ weight: Weight, at address: [Int]) {
    guard let first = address.first else { return }
    if address.count == 1 {
      layers[first].weights.append(weight)
    } else if var inner = layers[first].nestedGraph {
      inner.appendWeight(weight, at: Array(address.dropFirst()))
      layers[first].nestedGraph = (inner)
    }
  }
}

/// Checks a stored array against its slot and wraps it as a `Weight`.
func makeWeight(_ values: [Float], shape: [Int], for target: WeightTarget, file: String) throws -> Weight {
  let expected = target.specification.shape
  // Keras stores scalars (Normalization's count) with shape () and sometimes (1,).
  let matches = shape == expected || (expected.isEmpty && shape.reduce(1, *) == 1)
  guard matches else {
    throw KerasImportError.weightShapeMismatch(
      file: file, layer: target.location, weight: target.specification.name, expected: expected, found: shape)
  }
  let nonFinite = values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
  guard nonFinite == 0 else {
    throw KerasImportError.nonFiniteWeight(
      file: file, layer: target.location, weight: target.specification.name, count: nonFinite)
  }
  return Weight(name: target.specification.name, shape: expected, values: FloatBuffer(values))
}

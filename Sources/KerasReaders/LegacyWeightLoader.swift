import HDF5
import KerasGraph

/// Loads weights from a legacy Keras `.h5` layout: the `model_weights` group of a full-model file, or the root of
/// a `save_weights` file. Each layer's group lists its datasets in the `weight_names` attribute; the datasets are
/// found through that list, never by guessing paths.
struct LegacyWeightLoader {
  let file: String
  let group: HDF5.Group

  func load(into graph: inout Graph) throws {
    let storedNames = try group.chunkedStringArrayAttribute("layer_names")
    let weighted = try graph.layers.indices.filter { try graph.hasWeights(layer: $0, file: file) }
    let stored = Set(storedNames)
    let byName = weighted.allSatisfy { stored.contains(graph.layers[$0].name) && group.contains(graph.layers[$0].name) }
    if byName {
      for index in weighted {
        try loadLayer(index, from: try group.group(graph.layers[index].name), into: &graph)
      }
      return
    }
    // Keras's own `load_weights` pairs the layers that have weights with the stored layers that have weights,
    // in order. Use that when the names differ (a topology from another instance of the same model).
    let storedWithWeights = try storedNames.filter { name in
      guard group.contains(name) else { return false }
      return try !weightNames(in: try group.group(name)).isEmpty
    }
    guard storedWithWeights.count == weighted.count else {
      let missing = weighted.first { !stored.contains(graph.layers[$0].name) } ?? weighted[0]
      let layer = graph.layers[missing]
      throw KerasImportError.missingWeights(
        file: file, layer: LayerLocation(path: layer.name, index: missing, className: layer.className),
        detail:
          "the weights file has no group '\(layer.name)' and its \(storedWithWeights.count) layers with weights do not pair with the model's \(weighted.count)"
      )
    }
    for (index, name) in zip(weighted, storedWithWeights) {
      try loadLayer(index, from: try group.group(name), into: &graph)
    }
  }

  private func weightNames(in layerGroup: HDF5.Group) throws -> [String] {
    guard layerGroup.hasAttribute("weight_names") || layerGroup.hasAttribute("weight_names0") else { return [] }
    return try layerGroup.chunkedStringArrayAttribute("weight_names")
  }

  private func loadLayer(_ index: Int, from layerGroup: HDF5.Group, into graph: inout Graph) throws {
    let targets = try graph.legacyWeightOrder(ofLayer: index, file: file)
    let names = try weightNames(in: layerGroup)
    let layer = graph.layers[index]
    guard names.count == targets.count else {
      throw KerasImportError.missingWeights(
        file: file, layer: LayerLocation(path: layer.name, index: index, className: layer.className),
        detail:
          "the config implies \(targets.count) weights (\(targets.map(\.specification.name).joined(separator: ", "))) but group '\(layerGroup.path)' lists \(names.count) in weight_names"
      )
    }
    for (name, target) in zip(names, targets) {
      guard layerGroup.contains(name) else {
        throw KerasImportError.missingWeights(
          file: file, layer: target.location,
          detail: "weight_names lists '\(name)' but '\(layerGroup.path)/\(name)' does not exist")
      }
      let dataset = try layerGroup.dataset(name)
      if dataset.shape != target.specification.shape, !(target.specification.shape.isEmpty && dataset.elementCount == 1)
      {
        throw KerasImportError.weightShapeMismatch(
          file: file, layer: target.location, weight: target.specification.name,
          expected: target.specification.shape, found: dataset.shape)
      }
      graph.appendWeight(
        try makeWeight(try dataset.readFloats(), shape: dataset.shape, for: target, file: file), at: target.address)
    }
  }
}

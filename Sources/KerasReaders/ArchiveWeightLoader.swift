import Foundation
import HDF5
import KerasGraph

/// Loads weights from a Keras 3 `.keras` archive's `model.weights.h5`. Keras's `saving_lib` stores each layer's
/// variables at `layers/<snake_case class name, numbered>/vars/<i>`, walking `model.layers` in order and
/// recursing into nested models (`layers/functional/layers/conv2d/vars/0`). Newer Keras versions also write a
/// `name` attribute on each `vars` group; where the walked path is missing, the layer is found by that name.
struct ArchiveWeightLoader {
  let file: String
  let root: HDF5.Group

  func load(into graph: inout Graph) throws {
    var namedGroups: [String: [String]]?
    try load(into: &graph, containerPath: "", namedGroups: &namedGroups)
  }

  private func load(into graph: inout Graph, containerPath: String, namedGroups: inout [String: [String]]?) throws {
    var used: [String: Int] = [:]
    for index in graph.layers.indices {
      let layer = graph.layers[index]
      let path = containerPath + "layers/" + uniqueName(kerasSnakeCase(layer.className), &used)
      if var inner = layer.nestedGraph {
        try load(into: &inner, containerPath: path + "/", namedGroups: &namedGroups)
        graph.layers[index].nestedGraph = (inner)
        continue
      }
      let targets = try graph.weightTargets(ofLayer: index, file: file)
      guard !targets.isEmpty else { continue }
      if let groups = (layer.kind as? any ArchiveVariableGroups)?.archiveVariableGroups {
        try loadSubgroups(groups, under: path, targets: targets, into: &graph)
        continue
      }
      var varsPath = path + "/vars"
      let nameMatches =
        root.contains(varsPath) && ((try? root.group(varsPath).stringAttribute("name")) ?? layer.name) == layer.name
      if !nameMatches {
        if namedGroups == nil { namedGroups = try indexVarsGroupsByName() }
        guard let candidates = namedGroups?[layer.name], candidates.count == 1 else {
          throw KerasImportError.missingWeights(
            file: file, layer: targets[0].location,
            detail: "model.weights.h5 has no variables for this layer (looked for '\(varsPath)')")
        }
        varsPath = candidates[0]
      }
      let vars = try root.group(varsPath)
      let stored = try vars.memberNames().filter { Int($0) != nil }
      guard stored.count == targets.count else {
        throw KerasImportError.missingWeights(
          file: file, layer: targets[0].location,
          detail:
            "the config implies \(targets.count) weights (\(targets.map(\.specification.name).joined(separator: ", "))) but '\(varsPath)' holds \(stored.count)"
        )
      }
      for (position, target) in targets.enumerated() {
        let dataset = try vars.dataset(String(position))
        if dataset.shape != target.specification.shape,
          !(target.specification.shape.isEmpty && dataset.elementCount == 1)
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

  /// Loads a layer whose variables Keras 3 keeps in sub-groups (a recurrent layer's `cell/vars`, a wrapper's
  /// `forward_layer/cell/vars`): the groups' datasets in the order given, each group's numbered `0`, `1`, ...
  private func loadSubgroups(_ groups: [String], under path: String, targets: [WeightTarget], into graph: inout Graph)
    throws
  {
    var datasets: [(group: HDF5.Group, name: String)] = []
    for relative in groups {
      // tf-keras's own `.keras` files name a sub-layer's group by its private attribute (`_query_dense/vars`).
      let plain = path + "/" + relative
      let groupPath = root.contains(plain) ? plain : path + "/_" + relative
      guard root.contains(groupPath) else {
        throw KerasImportError.missingWeights(
          file: file, layer: targets[0].location, detail: "model.weights.h5 has no variables at '\(plain)'")
      }
      let group = try root.group(groupPath)
      let names = try group.memberNames().compactMap(Int.init).sorted().map(String.init)
      datasets += names.map { (group, $0) }
    }
    guard datasets.count == targets.count else {
      throw KerasImportError.missingWeights(
        file: file, layer: targets[0].location,
        detail:
          "the config implies \(targets.count) weights (\(targets.map(\.specification.name).joined(separator: ", "))) but '\(path)' holds \(datasets.count) in \(groups.joined(separator: ", "))"
      )
    }
    for (entry, target) in zip(datasets, targets) {
      let dataset = try entry.group.dataset(entry.name)
      if dataset.shape != target.specification.shape {
        throw KerasImportError.weightShapeMismatch(
          file: file, layer: target.location, weight: target.specification.name,
          expected: target.specification.shape, found: dataset.shape)
      }
      graph.appendWeight(
        try makeWeight(try dataset.readFloats(), shape: dataset.shape, for: target, file: file), at: target.address)
    }
  }

  /// Every `vars` group under `layers/`, keyed by its `name` attribute.
  private func indexVarsGroupsByName() throws -> [String: [String]] {
    var result: [String: [String]] = [:]
    func visit(_ group: HDF5.Group, _ path: String, depth: Int) throws {
      guard depth < 64 else { return }
      for member in try group.memberNames() where group.memberKind(member) == .group {
        let childPath = path.isEmpty ? member : path + "/" + member
        let child = try group.group(member)
        if member == "vars", let name = try? child.stringAttribute("name") {
          result[name, default: []].append(childPath)
        } else {
          try visit(child, childPath, depth: depth + 1)
        }
      }
    }
    try visit(root, "", depth: 0)
    return result
  }
}

/// Keras's `naming.to_snake_case`: `Conv2DTranspose` -> `conv2d_transpose`, `PReLU` -> `p_re_lu`.
func kerasSnakeCase(_ name: String) -> String {
  var text = String(name.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "_" })
  func substitute(_ pattern: String, _ template: String) {
    guard let expression = try? NSRegularExpression(pattern: pattern) else { return }
    text = expression.stringByReplacingMatches(
      in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
  }
  substitute("(.)([A-Z][a-z]+)", "$1_$2")
  substitute("([a-z])([A-Z])", "$1_$2")
  return text.lowercased()
}

/// Keras's `_get_unique_name`: the first use keeps the name, later ones get `_1`, `_2`, ...
func uniqueName(_ name: String, _ used: inout [String: Int]) -> String {
  if let count = used[name] {
    used[name] = count + 1
    return "\(name)_\(count + 1)"
  }
  used[name] = 0
  return name
}

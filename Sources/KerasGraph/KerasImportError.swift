/// Where in a model a problem lies: the layer's path (`outer/inner` for nested models), its index in
/// Keras's `model.layers` of the model that holds it, and its class.
public struct LayerLocation: Sendable, Equatable, CustomStringConvertible {
  /// The layer name, prefixed by the names of the models that contain it (`mobilenetv2_1.00_96/Conv1`).
  public var path: String
  /// The index in the containing model's `model.layers`.
  public var index: Int
  /// The Keras class name, e.g. `Conv2D`.
  public var className: String

  public init(path: String, index: Int, className: String) {
    self.path = path
    self.index = index
    self.className = className
  }

  public var description: String { "layer '\(path)' (index \(index), \(className))" }
}

/// An error raised while importing a Keras model file. Every case names the file and, where there is one,
/// the layer (name, index and class) at fault.
public enum KerasImportError: Error, CustomStringConvertible {
  /// The model file (or the topology file) does not exist.
  case fileNotFound(file: String)
  /// The file is neither HDF5 nor a `.keras` zip archive.
  case unrecognizedFormat(file: String, detail: String)
  /// A weights-only `.h5` was given without the `model.to_json()` topology that describes it.
  case missingTopology(file: String)
  /// The config text is not valid JSON.
  case invalidJSON(file: String, detail: String)
  /// The config is JSON but not a Keras model config.
  case invalidModelConfig(file: String, detail: String)
  /// A layer class that kerasvis does not implement and that has no registered custom implementation.
  case unsupportedLayer(file: String, layer: LayerLocation, hint: String)
  /// A layer's config has a missing or invalid field.
  case invalidLayerConfig(file: String, layer: LayerLocation, field: String, detail: String)
  /// An inbound reference names a layer, node or tensor that does not exist.
  case unknownInbound(file: String, layer: LayerLocation, reference: String)
  /// The layer graph has a cycle.
  case cycle(file: String, layers: [String])
  /// The graph built from the config fails `Graph.validate` (a layer path and what is wrong).
  case invalidGraph(file: String, layer: String, detail: String)
  /// The layer's shapes do not fit together (e.g. Add on different shapes).
  case incompatibleShapes(file: String, layer: LayerLocation, detail: String)
  /// The weights file has no weights, or the wrong number of them, for a layer.
  case missingWeights(file: String, layer: LayerLocation, detail: String)
  /// A stored weight's shape differs from the one the config implies.
  case weightShapeMismatch(file: String, layer: LayerLocation, weight: String, expected: [Int], found: [Int])
  /// A weight holds NaN or infinite values (a damaged or diverged model).
  case nonFiniteWeight(file: String, layer: LayerLocation, weight: String, count: Int)
  /// A `.keras` archive is missing a member or cannot be read.
  case invalidArchive(file: String, detail: String)
  /// The storage library (libhdf5) reported a problem; `detail` is its message, naming the file.
  case storage(detail: String)

  public var description: String {
    switch self {
    case .fileNotFound(let file):
      return "\(file): no such file"
    case .unrecognizedFormat(let file, let detail):
      return "\(file): not a Keras model file (\(detail)); expected a .h5 or .keras file"
    case .missingTopology(let file):
      return
        "\(file): holds weights only (no model_config attribute); pass the model's architecture with --topology FILE (the JSON written by model.to_json())"
    case .invalidJSON(let file, let detail):
      return "\(file): model config is not valid JSON: \(detail)"
    case .invalidModelConfig(let file, let detail):
      return "\(file): not a Keras model config: \(detail)"
    case .unsupportedLayer(let file, let layer, let hint):
      return "\(file): \(layer) cannot be imported: \(hint)"
    case .invalidLayerConfig(let file, let layer, let field, let detail):
      return "\(file): \(layer): config field '\(field)': \(detail)"
    case .unknownInbound(let file, let layer, let reference):
      return "\(file): \(layer) takes input from \(reference), which does not exist in the model"
    case .cycle(let file, let layers):
      return "\(file): the layer graph has a cycle through \(layers.joined(separator: " -> "))"
    case .invalidGraph(let file, let layer, let detail):
      return "\(file): layer '\(layer)': \(detail)"
    case .incompatibleShapes(let file, let layer, let detail):
      return "\(file): \(layer): \(detail)"
    case .missingWeights(let file, let layer, let detail):
      return "\(file): \(layer): \(detail)"
    case .weightShapeMismatch(let file, let layer, let weight, let expected, let found):
      return
        "\(file): \(layer): weight '\(weight)' has shape \(found) in the file, but the config implies \(expected)"
    case .nonFiniteWeight(let file, let layer, let weight, let count):
      return "\(file): \(layer): weight '\(weight)' holds \(count) NaN or infinite values; the model is damaged"
    case .invalidArchive(let file, let detail):
      return "\(file): cannot read the .keras archive: \(detail)"
    case .storage(let detail):
      return detail
    }
  }
}

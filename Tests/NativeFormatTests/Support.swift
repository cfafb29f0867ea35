import Foundation
import KerasVis
import TestSupport
import Testing

/// A fixture model: its file, its topology file (weights-only .h5) and the name of its stored inputs/outputs
/// (nil when Keras's outputs are not stored).
struct FixtureModel: CustomTestStringConvertible, Sendable {
  var file: String
  var topology: String?
  var outputs: String?

  var testDescription: String { file }

  func load() throws -> Graph {
    try KerasModelFile.load(path: fixturePath(file), topologyPath: topology.map(fixturePath))
  }
}

/// Every fixture model the importer reads.
let fixtureModels: [FixtureModel] = [
  FixtureModel(file: "inception_v3_narrow.h5", outputs: "inception_v3_narrow"),
  FixtureModel(file: "sequential_cnn.h5", outputs: "sequential_cnn"),
  FixtureModel(file: "legacy_strings.h5", outputs: "legacy_strings"),
  FixtureModel(file: "nested_mobilenet.h5", outputs: "nested_mobilenet"),
  FixtureModel(file: "weights_only.weights.h5", topology: "weights_only.json", outputs: "weights_only"),
  FixtureModel(file: "weights_only_k3.weights.h5", topology: "weights_only_k3.json", outputs: "weights_only_k3"),
  FixtureModel(file: "layer_zoo_k2.h5", outputs: "layer_zoo_k2"),
  FixtureModel(file: "layer_zoo_k3.h5", outputs: "layer_zoo_k3"),
  FixtureModel(file: "layer_zoo_k3.keras", outputs: "layer_zoo_k3"),
  FixtureModel(file: "nested_k3.keras", outputs: "nested_k3"),
  FixtureModel(file: "normalization_zoo_k2.h5", outputs: "normalization_zoo_k2"),
  FixtureModel(file: "normalization_zoo_k3.keras", outputs: "normalization_zoo_k3"),
  FixtureModel(file: "ops_zoo_k2.h5", outputs: "ops_zoo_k2"),
  FixtureModel(file: "ops_zoo_k3.keras", outputs: "ops_zoo_k3"),
  FixtureModel(file: "ops_more_k2.h5", outputs: "ops_more_k2"),
  FixtureModel(file: "ops_more_k3.keras", outputs: "ops_more_k3"),
  FixtureModel(file: "preprocessing_k2.h5", outputs: "preprocessing_k2"),
  FixtureModel(file: "preprocessing_k3.keras", outputs: "preprocessing_k3"),
  FixtureModel(file: "conv1d_zoo_k2.h5", outputs: "conv1d_zoo_k2"),
  FixtureModel(file: "conv1d_zoo_k3.keras", outputs: "conv1d_zoo_k3"),
  FixtureModel(file: "conv3d_zoo_k2.h5", outputs: "conv3d_zoo_k2"),
  FixtureModel(file: "conv3d_zoo_k3.keras", outputs: "conv3d_zoo_k3"),
  FixtureModel(file: "channels_first_k2.h5", outputs: "channels_first_k2"),
  FixtureModel(file: "channels_first_k3.keras", outputs: "channels_first_k3"),
  FixtureModel(file: "attention_zoo_k2.h5", outputs: "attention_zoo_k2"),
  FixtureModel(file: "attention_zoo_k3.keras", outputs: "attention_zoo_k3"),
  FixtureModel(file: "vit_k2.h5", outputs: "vit_k2"),
  FixtureModel(file: "vit_k3.keras", outputs: "vit_k3"),
  FixtureModel(file: "masked_attention_k2.h5", outputs: "masked_attention_k2"),
  FixtureModel(file: "masked_attention_k3.keras", outputs: "masked_attention_k3"),
  FixtureModel(file: "rnn_zoo_k2.h5", outputs: "rnn_zoo_k2"),
  FixtureModel(file: "rnn_zoo_k3.keras", outputs: "rnn_zoo_k3"),
  FixtureModel(file: "text_zoo_k2.h5", outputs: "text_zoo_k2"),
  FixtureModel(file: "text_zoo_k3.keras", outputs: "text_zoo_k3"),
  FixtureModel(file: "seq2seq_k2.h5", outputs: "seq2seq_k2"),
  FixtureModel(file: "seq2seq_k3.keras", outputs: "seq2seq_k3"),
  FixtureModel(file: "time_distributed_k2.h5", outputs: "time_distributed_k2"),
  FixtureModel(file: "time_distributed_k3.keras", outputs: "time_distributed_k3"),
  FixtureModel(file: "long_names.h5"),
  FixtureModel(file: "float16_dense.h5"),
]

/// The differences between two graphs (empty when they are equal): every field of every layer, nested models and
/// operations included, weights by value. Operations are compared through their reflection (every associated value
/// and config field), independently of the native format's own encoding.
func differences(_ lhs: Graph, _ rhs: Graph, path: String = "", comparingConfig: Bool = true) -> [String] {
  var found: [String] = []
  let prefix = path.isEmpty ? lhs.name : path
  if lhs.name != rhs.name { found.append("\(prefix): name \(lhs.name) vs \(rhs.name)") }
  if lhs.kind != rhs.kind { found.append("\(prefix): kind") }
  if lhs.inputs != rhs.inputs { found.append("\(prefix): inputs \(lhs.inputs) vs \(rhs.inputs)") }
  if lhs.outputs != rhs.outputs { found.append("\(prefix): outputs \(lhs.outputs) vs \(rhs.outputs)") }
  guard lhs.layers.count == rhs.layers.count, lhs.operations.count == rhs.operations.count else {
    return found + [
      "\(prefix): \(lhs.layers.count)+\(lhs.operations.count) vs \(rhs.layers.count)+\(rhs.operations.count) layers"
    ]
  }
  for (a, b) in zip(lhs.layers + lhs.operations, rhs.layers + rhs.operations) {
    let location = "\(prefix)/\(a.name)"
    if a.index != b.index { found.append("\(location): index") }
    if a.name != b.name { found.append("\(location): name \(b.name)") }
    if a.className != b.className { found.append("\(location): class \(a.className) vs \(b.className)") }
    if a.trainable != b.trainable { found.append("\(location): trainable") }
    if comparingConfig, a.config != b.config { found.append("\(location): config") }
    if a.nodes != b.nodes { found.append("\(location): nodes \(a.nodes) vs \(b.nodes)") }
    if a.weights.map(\.name) != b.weights.map(\.name) || a.weights.map(\.shape) != b.weights.map(\.shape) {
      let shapes = (a.weights.map(\.shape), b.weights.map(\.shape))
      found.append("\(location): weights \(a.weights.map(\.name)) \(shapes.0) vs \(b.weights.map(\.name)) \(shapes.1)")
    } else {
      for (x, y) in zip(a.weights, b.weights) where !bitwiseEqual(x.values, y.values) {
        found.append("\(location): values of \(x.name)")
      }
    }
    if a.activation != b.activation {
      found.append("\(location): activation \(String(describing: a.activation)) vs \(String(describing: b.activation))")
    }
    switch (a.kind, b.kind) {
    case (let x as NestedModel, let y as NestedModel):
      found += differences(x.graph, y.graph, path: location, comparingConfig: comparingConfig)
    case (let x as RegisteredLayer, let y as RegisteredLayer):
      if x.className != y.className { found.append("\(location): custom class \(x.className) vs \(y.className)") }
    default:
      let x = String(reflecting: a.kind)
      let y = String(reflecting: b.kind)
      if x != y { found.append("\(location): kind \(x) vs \(y)") }
    }
  }
  return found
}

/// Whether two weight buffers hold the same bits (NaN payloads included).
func bitwiseEqual(_ lhs: FloatBuffer, _ rhs: FloatBuffer) -> Bool {
  lhs.count == rhs.count && zip(lhs.buffer, rhs.buffer).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// Every weight of a graph with its path, nested models included, in Keras's order.
func allWeights(_ graph: Graph, prefix: String = "") -> [(path: String, weight: Weight)] {
  var result: [(path: String, weight: Weight)] = []
  for layer in graph.layers + graph.operations {
    if let inner = layer.nestedGraph { result += allWeights(inner, prefix: prefix + layer.name + "/") }
    result += layer.weights.map { (prefix + layer.name + "/" + $0.name, $0) }
  }
  return result
}

/// A safetensors file assembled from a header text and a data section (the header is padded to 8 bytes unless
/// `pad` is false, and its length field is `declaredLength` when given).
func safetensorsFile(header: String, data: [UInt8], pad: Bool = true, declaredLength: UInt64? = nil) -> [UInt8] {
  var json = Array(header.utf8)
  while pad, (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
  var result: [UInt8] = []
  withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { result += $0 }
  return result + json + data
}

/// The parts of a native file: its header JSON text and its data section.
func splitNativeFile(_ file: [UInt8]) -> (header: String, data: [UInt8]) {
  let length = file.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
  return (String(decoding: file[8..<(8 + length)], as: UTF8.self), Array(file[(8 + length)...]))
}

import Foundation
import KerasGraph
import KerasReaders
import TestSupport
import Testing

/// What Keras reported about a fixture model (`NAME.expected.json`).
struct KerasReport {
  struct LayerRecord {
    var index: Int
    var name: String
    var className: String
    var outputShape: JSONValue
    var params: Int
    var inbound: [String]
  }

  var layers: [LayerRecord]
  var totalParams: Int?
  var nested: [String: [LayerRecord]]
  var raw: JSONValue

  init(named name: String) throws {
    let data = try Data(contentsOf: FixtureFolder.models.url("\(name).expected.json"))
    raw = try JSONValue.parse(data)
    func records(_ value: JSONValue?) throws -> [LayerRecord] {
      try #require(value?.array).map { entry in
        LayerRecord(
          index: try #require(entry["index"]?.int), name: try #require(entry["name"]?.string),
          className: try #require(entry["class"]?.string), outputShape: entry["output_shape"] ?? .null,
          params: try #require(entry["params"]?.int), inbound: (entry["inbound"]?.array ?? []).compactMap(\.string))
      }
    }
    layers = try records(raw["layers"])
    totalParams = raw["total_params"]?.int
    var nested: [String: [LayerRecord]] = [:]
    for member in raw["nested"]?.object ?? [:] { nested[member.key] = try records(member.value["layers"]) }
    self.nested = nested
  }
}

/// Compares a graph's layers with Keras's report: index, name, class, output shape, parameter count, inbound.
func expectMatches(_ graph: Graph, _ records: [KerasReport.LayerRecord], model: String) {
  #expect(graph.layers.count == records.count, "\(model): layer count")
  for (layer, record) in zip(graph.layers, records) {
    #expect(layer.index == record.index, "\(model): index of \(record.name)")
    #expect(layer.name == record.name, "\(model): name at \(record.index)")
    #expect(layer.className == record.className, "\(model): class of \(record.name)")
    let shapes = layer.nodes.first?.outputShapes ?? []
    let shape: JSONValue = shapes.count == 1 ? shapes[0].json : .array(shapes.map(\.json))
    #expect(shape == record.outputShape, "\(model): output shape of \(record.name)")
    #expect(layer.parameterCount == record.params, "\(model): params of \(record.name)")
    #expect(graph.inboundLayerNames(ofLayer: layer.index) == record.inbound, "\(model): inbound of \(record.name)")
  }
}

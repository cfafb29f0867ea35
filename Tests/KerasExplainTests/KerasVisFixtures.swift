import Foundation
import KerasVis
import TestSupport
import Testing

/// One keras-vis reference computation (`Tests/Fixtures/vis/GROUP.cases.json`).
struct VisCase: CustomStringConvertible {
  var group: String
  var name: String
  var method: String
  var layerIdx: Int
  var filterIndices: [Int]?
  var penultimateLayerIdx: Int?
  var penultimateUsed: Int?
  var backpropModifier: BackpropModifier?
  var gradModifier: GradModifier?
  var gradModifierGiven: Bool
  var keepdims: Bool
  var linear: Bool
  var iterations: Int?
  var modelFile: String
  var seedFile: String

  var description: String { "\(group).\(name)" }

  static func load(_ group: String) throws -> [VisCase] {
    let json = try JSONValue.parse(Data(contentsOf: FixtureFolder.vis.url("\(group).cases.json")))
    let modelFile = json["model"]?.string ?? ""
    let seedFile = json["seed"]?.string ?? ""
    return (json["cases"]?.array ?? []).map { entry in
      VisCase(
        group: group, name: entry["name"]?.string ?? "", method: entry["method"]?.string ?? "",
        layerIdx: entry["layer_idx"]?.int ?? 0,
        filterIndices: entry["filter_indices"]?.array.map { $0.compactMap(\.int) },
        penultimateLayerIdx: entry["penultimate_layer_idx"]?.int, penultimateUsed: entry["penultimate_used"]?.int,
        backpropModifier: entry["backprop_modifier"]?.string.flatMap(BackpropModifier.init(rawValue:)),
        gradModifier: entry["grad_modifier"]?.string.flatMap(GradModifier.init(rawValue:)),
        gradModifierGiven: entry["grad_modifier"] != nil, keepdims: entry["keepdims"]?.bool ?? false,
        linear: entry["linear"]?.bool ?? false, iterations: entry["max_iter"]?.int, modelFile: modelFile,
        seedFile: seedFile)
    }
  }
}

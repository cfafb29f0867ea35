import Foundation
import KerasVis
import Testing

/// `Tests/Fixtures`, written with real Keras by `tools/make_fixtures.py`.
let fixtureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures")

func fixture(_ relativePath: String) -> String { fixtureRoot.appendingPathComponent(relativePath).path }

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
    let json = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: fixture("vis/\(group).cases.json"))))
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

/// The largest `|a - b|`.
func maxAbsoluteDifference(_ a: Tensor, _ b: Tensor) -> Float {
  zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

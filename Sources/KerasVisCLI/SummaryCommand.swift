import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis summary MODEL`: the layer table with `model.layers` indices.
struct SummaryCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "summary",
    abstract: "Print the model's layers with their index in model.layers, class, output shape and parameters.")

  @Argument(help: "A Keras model file: full-model .h5, weights-only .h5 (with --topology), or .keras.")
  var model: String

  @Option(help: "The model.to_json() architecture file for a weights-only .h5.")
  var topology: String?

  @Flag(
    help: "Print JSON: {\"layers\": [{\"index\", \"name\", \"class\", \"output_shape\", \"params\", \"inbound\"}]}.")
  var json = false

  @Flag(help: "Also list the layers inside nested models (their names as paths).")
  var nested = false

  @Flag(
    help:
      "List the layers Grad-CAM can use before --layer, marking keras-vis's automatic choice and the Grad-CAM paper's.")
  var camLayers = false

  @Option(parsing: .unconditional, help: "With --cam-layers: the explained layer (default -1, the last).")
  var layer = "-1"

  func execute() throws {
    let graph = try ModelLoader.load(path: model, topologyPath: topology)
    if camLayers {
      try printCamLayers(graph)
    } else if json {
      print(graph.summaryJSON(expandingNested: nested).jsonText)
    } else {
      print(graph.summaryTable(expandingNested: nested))
    }
  }

  private func printCamLayers(_ graph: Graph) throws {
    let index = try graph.topLevelLayer(layer, flag: "--layer")
    let candidates = try LayerSearch.camCandidates(graph, layerIdx: index)
    if json {
      let rows: [JSONValue] = candidates.map { candidate in
        .object([
          "index": .double(Double(candidate.index)), "name": .string(candidate.name),
          "class": .string(candidate.className), "output_shape": candidate.outputShape.json,
          "keras_vis_choice": .bool(candidate.isKerasVisChoice), "paper_choice": .bool(candidate.isPaperChoice),
        ])
      }
      print(JSONValue.object(["layer": .double(Double(index)), "candidates": .array(rows)]).jsonText)
      return
    }
    print("Grad-CAM penultimate layers for layer \(index) (\(graph.layers[index].name)):")
    print(
      "Index".padding(toLength: 7, withPad: " ", startingAt: 0)
        + "Layer (class)".padding(toLength: 44, withPad: " ", startingAt: 0)
        + "Output shape".padding(toLength: 22, withPad: " ", startingAt: 0) + "Note")
    for candidate in candidates {
      var notes: [String] = []
      if candidate.isKerasVisChoice { notes.append("keras-vis's automatic choice (penultimate_layer_idx=None)") }
      if candidate.isPaperChoice { notes.append("the Grad-CAM paper's choice (last feature map)") }
      let name = "\(candidate.name) (\(candidate.className))"
      print(
        String(candidate.index).padding(toLength: 7, withPad: " ", startingAt: 0)
          + name.padding(toLength: 44, withPad: " ", startingAt: 0)
          + candidate.outputShape.description.padding(toLength: 22, withPad: " ", startingAt: 0)
          + notes.joined(separator: "; "))
    }
    // The two choices, or the choice and the convolution before it.
    var picks = candidates.filter { $0.isKerasVisChoice || $0.isPaperChoice }
    if picks.count < 2, let first = picks.first ?? candidates.last,
      let earlier = candidates.last(where: { $0.index < first.index && $0.className.contains("Conv") })
    {
      picks = [earlier, first]
    }
    if !picks.isEmpty {
      let example = picks.map(\.name).joined(separator: " ")
      print("Compare them on a picture: kerasvis compare \(model) IMAGE --penultimate \(example)")
    }
  }
}

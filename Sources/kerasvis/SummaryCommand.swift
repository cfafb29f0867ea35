import ArgumentParser
import Foundation
import KerasModel
import NativeFormat

/// `kerasvis summary MODEL`: the layer table with `model.layers` indices.
struct SummaryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summary",
    abstract: "Print the model's layers with their index in model.layers, class, output shape and parameters.")

  @Argument(help: "A Keras model file: full-model .h5, weights-only .h5 (with --topology), or .keras.")
  var model: String

  @Option(help: "The model.to_json() architecture file for a weights-only .h5.")
  var topology: String?

  @Flag(help: "Print JSON: {\"layers\": [{\"index\", \"name\", \"class\", \"output_shape\", \"params\", \"inbound\"}]}.")
  var json = false

  @Flag(help: "Also list the layers inside nested models (their names as paths).")
  var nested = false

  func run() throws {
    let graph: Graph
    do {
      graph = try ModelLoader.load(path: model, topologyPath: topology)
    } catch {
      throw fail(error)
    }
    if json {
      print(graph.summaryJSON(expandingNested: nested).jsonText)
    } else {
      print(graph.summaryTable(expandingNested: nested))
    }
  }
}

import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis predict MODEL INPUT...`: runs the model and prints (or saves) its output.
struct PredictCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "predict",
    abstract: "Run a model on .npy arrays or images and print the top classes, or save the output as .npy.")

  @OptionGroup var model: ModelOptions

  @Argument(help: "Inputs: .npy float arrays (N,H,W,C or H,W,C, fed as they are) or images (PNG, JPEG).")
  var inputs: [String]

  @OptionGroup var images: ImageInputOptions
  @OptionGroup var arithmetic: PrecisionOption

  @Option(help: "How many classes to print per sample.")
  var top = 5

  @Flag(
    help: """
      Print JSON: {"outputs": [{"shape", "top": [[{"class", "name", "score"}]]}]} ("name" where the class has one).
      """)
  var json = false

  @OptionGroup var labels: LabelsOption

  @Option(help: ArgumentHelp("Write the output as a float32 .npy file.", valueName: "file"))
  var npy: String?

  @Option(help: "Write this layer's output instead of the model's (a name, nested path or index).")
  var layer: String?

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one input") }
    guard top > 0 else { throw ValidationError("--top must be positive") }
  }

  func execute() throws {
    let graph: Graph
    let keys: [LayerOutputKey]
    let inputTensors: [Tensor]
    let classNames: ClassLabels?
    graph = try model.load()
    classNames = try labels.labels(for: graph)
    keys = try resolveLayers(layer.map { [$0] } ?? [], in: graph)
    inputTensors = try images.inputs(inputs, graph: graph)
    let result = try CompiledModel(graph: graph, keeping: keys, precision: arithmetic.precision).run(inputTensors)
    let outputs = try keys.first.map { [try result.layer($0.address)] } ?? result.outputs
    if let npy {
      for (position, output) in outputs.enumerated() {
        let path = outputs.count == 1 ? npy : npy.replacingOccurrences(of: ".npy", with: "") + "_\(position).npy"
        try NPY.write(output, to: path)
      }
    }
    let outputNames = outputs.map { names(for: $0, labels: classNames) }
    if let labels = classNames, labels.requiresMatchingCount == false,
      let warning = outputs.first.flatMap({ $0.rank == 2 ? labels.mismatch(classCount: $0.shape[1]) : nil })
    {
      FileHandle.standardError.write(Data("kerasvis: warning: --labels \(warning)\n".utf8))
    }
    if json {
      print(JSONValue.object(["outputs": .array(zip(outputs, outputNames).map(outputJSON))]).jsonText)
    } else if npy == nil {
      for (position, (output, labels)) in zip(outputs, outputNames).enumerated() {
        print(describe(output, labels: labels, position: position, count: outputs.count))
      }
    }
  }

  /// The top classes of each sample of a `(N, classes)` output.
  private func topClasses(_ output: Tensor) -> [[(index: Int, score: Float)]]? {
    guard output.rank == 2, output.shape[1] > 0 else { return nil }
    let classes = output.shape[1]
    let values = output.scalars
    return (0..<output.shape[0]).map { sample in
      let row = values[(sample * classes)..<((sample + 1) * classes)]
      return row.enumerated().sorted { $0.element > $1.element }.prefix(top).map { ($0.offset, $0.element) }
    }
  }

  /// The class names for an `(N, classes)` output, when the labels fit it.
  private func names(for output: Tensor, labels: ClassLabels?) -> ClassLabels? {
    guard let labels, output.rank == 2, labels.applies(toClassCount: output.shape[1]) else { return nil }
    return labels
  }

  private func outputJSON(_ output: Tensor, labels: ClassLabels?) -> JSONValue {
    var object: JSONObject = ["shape": .array(output.shape.map { .double(Double($0)) })]
    if let classes = topClasses(output) {
      object["top"] = .array(
        classes.map { sample in
          .array(
            sample.map { entry in
              var item: JSONObject = ["class": .double(Double(entry.index))]
              if let name = labels?[entry.index] { item["name"] = .string(name) }
              item["score"] = .double(Double(entry.score))
              return .object(item)
            })
        })
    }
    return .object(object)
  }

  private func describe(_ output: Tensor, labels: ClassLabels?, position: Int, count: Int) -> String {
    let title = count == 1 ? "output" : "output \(position)"
    guard let classes = topClasses(output) else {
      let values = output.scalars
      let low = values.min() ?? 0
      let high = values.max() ?? 0
      return "\(title): shape \(output.shape), min \(low), max \(high) (use --npy to save it)"
    }
    var lines = ["\(title): shape \(output.shape)"]
    if let labels {
      // One class a line, as decode_predictions lists them: index, name, score.
      for (sample, entries) in classes.enumerated() {
        lines.append("  sample \(sample):")
        lines += entries.map { "    " + labels.describe($0.index, score: $0.score) }
      }
      return lines.joined(separator: "\n")
    }
    for (sample, entries) in classes.enumerated() {
      let text = entries.map { String(format: "%d (%.5f)", $0.index, $0.score) }.joined(separator: ", ")
      lines.append("  sample \(sample): \(text)")
    }
    return lines.joined(separator: "\n")
  }
}

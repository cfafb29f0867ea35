import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis evaluate MODEL INPUT... --method M...`: judges explanation methods with metrics.
struct EvaluateCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate",
    abstract: "Judge explanation methods: pointing game, deletion/insertion, confidence change, ROAD.",
    discussion: """
      Every method explains every input (its top class, or --filter); each metric scores the maps and the table \
      shows the mean over the inputs (with an arrow: which direction is better).

      Metrics: pointing (Zhang et al. 2016; needs --boxes), deletion and insertion (RISE, Petsiuk et al. 2018; \
      the area under the score curve), confidence-drop and confidence-increase (pytorch-grad-cam's CAM-multiply \
      metrics), road-morf, road-lerf, road-combined (ROAD, Rong et al. 2022, percentiles 10...90).

      --boxes is a JSON object from input file name to boxes [x0, y0, x1, y1] (x1, y1 exclusive) in pixels of the \
      model input, or to {"boxes": [...], "width": W, "height": H} with boxes in pixels of a W x H original, \
      scaled to the model input.
      """)

  @OptionGroup var model: ModelOptions
  @Argument(help: "Images (PNG, JPEG), .npy arrays, or folders of them.")
  var inputs: [String]

  @Option(
    name: .customLong("method"), parsing: .upToNextOption,
    help: ArgumentHelp("Methods to compare (cam and saliency methods).", valueName: "name"))
  var methodNames: [ExplanationMethodName]

  @Option(
    name: .customLong("metric"), parsing: .upToNextOption,
    help: ArgumentHelp("Metrics (default: all; pointing only with --boxes).", valueName: "name"))
  var metricNames: [MetricName] = []

  @Option(help: ArgumentHelp("Object boxes per input (JSON), for the pointing game.", valueName: "file"))
  var boxes: String?

  @Option(name: .customLong("filter"), parsing: .upToNextOption, help: "Classes to explain (default: the top class).")
  var filters: [Int] = []

  @Option(parsing: .unconditional, help: "The CAM methods' feature-map layer (default: the last feature map).")
  var penultimate: String?

  @Option(help: "Deletion/insertion: pixels moved per step (default: the input's width, as RISE).")
  var step: Int?

  @Option(help: "Pointing game: the tolerance in pixels.")
  var tolerance = 15.0

  @Flag(help: "Print every value as JSON instead of the table.")
  var json = false

  @OptionGroup var methods: MethodArguments
  @OptionGroup var images: ImageInputOptions

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one input") }
    guard !methodNames.isEmpty else { throw ValidationError("give at least one --method") }
    if metricNames.contains(where: \.needsBoxes) && boxes == nil {
      throw ValidationError("--metric pointing needs --boxes")
    }
    if let step, step <= 0 { throw ValidationError("--step must be positive") }
    guard tolerance >= 0 else { throw ValidationError("--tolerance must not be negative") }
  }

  /// The metrics to compute.
  func metrics() -> [any ExplanationMetric] {
    let names = metricNames.isEmpty ? MetricName.allCases.filter { !$0.needsBoxes || boxes != nil } : metricNames
    return names.map { $0.metric(tolerance: tolerance, step: step, batchSize: methods.batchSize) }
  }

  func execute() throws {
    let graph = try model.load()
    let layer = try penultimate.map { try graph.layerAddress($0, flag: "--penultimate") }
    let methodList = methodNames.map { MethodCatalog.method($0, options: methods.options) }
    var boxTable: ObjectBoxes?
    do {
      boxTable = try boxes.map { try ObjectBoxes.load(path: $0) }
    } catch {
      throw ValidationError("--boxes \(error)")
    }
    let explainer = Explainer(graph: graph)
    let files = try expandInputs(inputs)
    guard !files.isEmpty else { throw ValidationError("no inputs (a folder holds no PNG, JPEG or .npy files)") }
    let metricList = metrics()
    // values[method][metric]: one value per input sample.
    var values = [[[Float]]](repeating: [[Float]](repeating: [], count: metricList.count), count: methodList.count)
    let progress = isatty(STDERR_FILENO) != 0
    do {
      for (position, file) in files.enumerated() {
        if progress {
          FileHandle.standardError.write(Data("\r[\(position + 1)/\(files.count)] \(file)\u{1B}[K".utf8))
        }
        let input = try images.inputs([file], graph: graph)[0]
        let fileBoxes = try boxTable?.boxes(for: file, inputWidth: input.shape[2], inputHeight: input.shape[1])
        let targets = methods.targets(filters: filters.isEmpty ? nil : filters, linear: false)
        for (m, method) in methodList.enumerated() {
          let request = methods.request(input: input, targets: targets, layer: method.usesLayer ? layer : nil)
          let explanation = try explainer.explain(request, with: method)
          if position == 0, method.usesLayer, layer == nil, let used = explanation.layer {
            let clear = progress ? "\r\u{1B}[K" : ""
            let message = "kerasvis: \(method.name) uses \(explainer.describeLayer(used)), the last feature map\n"
            FileHandle.standardError.write(Data((clear + message).utf8))
          }
          let maps = try MetricInputs.metricMaps(explanation.maps)
          let metricInputs = MetricInputs(
            input: input, maps: maps, targets: explanation.targets,
            boxes: fileBoxes.map { Array(repeating: $0, count: input.shape[0]) })
          for (k, metric) in metricList.enumerated() {
            values[m][k] += try metric.evaluate(metricInputs, with: explainer)
          }
        }
      }
    } catch let error as ValidationError {
      throw error
    } catch let error as ObjectBoxesError {
      if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
      throw ValidationError("--boxes \(error)")
    } catch {
      if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
      throw error
    }
    if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    if json {
      let report: JSONValue = .object(
        JSONObject(
          methodList.enumerated().map { m, method in
            JSONMember(
              key: method.name,
              value: .object(
                JSONObject(
                  metricList.enumerated().map { k, metric in
                    JSONMember(key: metric.name, value: .array(values[m][k].map { .double(Double($0)) }))
                  })))
          }))
      print(report.jsonText)
      return
    }
    printTable(methods: methodList, metrics: metricList, values: values)
  }

  func printTable(methods: [any ExplanationMethod], metrics: [any ExplanationMetric], values: [[[Float]]]) {
    let headers = metrics.map { "\($0.name) \($0.largerIsBetter ? "↑" : "↓")" }
    let nameWidth = max(methods.map(\.name.count).max() ?? 6, 6)
    let widths = headers.map { max($0.count, 10) }
    func padded(_ text: String, _ width: Int) -> String {
      String(repeating: " ", count: max(width - text.count, 0)) + text
    }
    var line = "method".padding(toLength: nameWidth, withPad: " ", startingAt: 0)
    for (header, width) in zip(headers, widths) { line += "  " + padded(header, width) }
    print(line)
    for (m, method) in methods.enumerated() {
      var row = method.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
      for (k, width) in widths.enumerated() {
        let samples = values[m][k]
        let mean = samples.isEmpty ? Float.nan : samples.reduce(0, +) / Float(samples.count)
        row += "  " + padded(String(format: "%.4f", mean), width)
      }
      print(row)
    }
  }
}

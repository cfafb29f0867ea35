import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis report MODEL IMAGES... --out DIR`: an HTML page of explanations.
struct ReportCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "A self-contained HTML page explaining the model's predictions on images (DIR/index.html).",
    discussion: """
      For each image: the top classes (index, name, score), an overlay per --method and --penultimate layer \
      (default: keras-vis's Grad-CAM on the automatically chosen layer), keras-vis's saliency map, and with \
      --boxes a table of the pointing game, deletion and insertion. The pictures are PNG files beside the page; it \
      links nothing outside DIR.

      Example: kerasvis report inception_v3.h5 photos/ --out report --penultimate conv2d_94 mixed10
      """)

  @OptionGroup var model: ModelOptions
  @Argument(help: "Images (PNG, JPEG), .npy arrays, or folders of them.")
  var inputs: [String]
  @OptionGroup var panels: PanelOptions
  @OptionGroup var images: ImageInputOptions

  @Option(help: ArgumentHelp("The folder to write index.html and its pictures into.", valueName: "dir"))
  var out: String

  @Option(help: "How many top classes to list per image.")
  var top = 5

  @Option(help: "The width of each picture, in pixels (16...4096).")
  var pictureWidth = 256

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one input") }
    guard top >= 0 else { throw ValidationError("--top must not be negative") }
    guard (16...4096).contains(pictureWidth) else { throw ValidationError("--picture-width must be in 16...4096") }
  }

  func execute() throws {
    let graph = try model.load()
    let (layers, methods, table, labels) = try panels.resolve(in: graph)
    let files = try expandInputs(inputs)
    guard !files.isEmpty else { throw ValidationError("no inputs (a folder holds no PNG, JPEG or .npy files)") }
    let explainer = Explainer(graph: graph)
    var entries: [ReportEntry] = []
    for file in files {
      let (input, photo) = try panels.load(file, graph: graph, images: images)
      let boxes = try panels.boxes(of: file, in: table, input: input)
      entries.append(
        try ExplanationReport.entry(
          explainer: explainer, name: (file as NSString).lastPathComponent, input: input, photo: photo,
          layers: layers, methods: methods, classIndex: panels.classIndex, boxes: boxes, topCount: top,
          metricStep: panels.step))
    }
    let report = ExplanationReport(
      title: "kerasvis report: \(graph.name)", entries: entries, labels: labels, pictureWidth: pictureWidth)
    print("wrote \(try report.write(to: out))")
  }
}

import ArgumentParser
import Foundation
import KerasVis

/// The layers, methods, class, boxes and class names of `compare` and `report`.
struct PanelOptions: ParsableArguments {
  @Option(
    parsing: .upToNextOption,
    help: ArgumentHelp(
      """
      Feature-map layers to compare: names or indices into model.layers (with --method also paths into nested \
      models, model/layer; a negative index as --penultimate=-3). Default: the automatically chosen layer.
      """, valueName: "layer"))
  var penultimate: [String] = []

  @Option(
    name: .customLong("method"), parsing: .upToNextOption,
    help: ArgumentHelp("CAM methods (default: keras-vis's Grad-CAM).", valueName: "name"))
  var methodNames: [CAMMethodName] = []

  @Option(
    name: .customLong("filter"),
    help: ArgumentHelp("The class to explain (default: the top class).", valueName: "class"))
  var classIndex: Int?

  @Option(
    help: ArgumentHelp(
      """
      Object boxes per input (JSON, as evaluate reads them): each panel shows its pointing-game hit and deletion \
      score.
      """, valueName: "file"))
  var boxes: String?

  @Option(help: "With --boxes: pixels deletion (and insertion) move per step (default: the input's width, as RISE).")
  var step: Int?

  @OptionGroup var labels: LabelsOption

  func validate() throws {
    if let classIndex, classIndex < 0 { throw ValidationError("--filter must not be negative") }
    if let step, step <= 0 { throw ValidationError("--step must be positive") }
  }

  /// What the options name in `graph`: the layers (nil: automatic), the methods, the box file and the class names
  /// (those that fit the model's output).
  /// - Throws: `ValidationError` naming `--penultimate`, `--boxes` or `--labels` and the value at fault.
  func resolve(in graph: Graph) throws -> (
    layers: [[Int]?], methods: [any ExplanationMethod], boxes: ObjectBoxes?, labels: ClassLabels?
  ) {
    let methods: [any ExplanationMethod] =
      methodNames.isEmpty ? [KerasVisGradCAM()] : methodNames.map { MethodCatalog.method($0) }
    var layers: [[Int]?] = []
    for reference in penultimate {
      let address = try graph.layerAddress(reference, flag: "--penultimate")
      if methodNames.isEmpty, address.count != 1 {
        throw ValidationError(
          "--penultimate \(reference): keras-vis's Grad-CAM takes a top-level layer; give a --method for a layer inside a nested model"
        )
      }
      layers.append(address)
    }
    if layers.isEmpty { layers = [nil] }
    var table: ObjectBoxes?
    if let boxes {
      do {
        table = try ObjectBoxes.load(path: boxes)
      } catch {
        throw ValidationError("--boxes \(error)")
      }
    }
    var names = try labels.labels(for: graph)
    if let classes = graph.outputShapes.first?.dimensions.last ?? nil, names?.applies(toClassCount: classes) == false {
      names = nil
    }
    return (layers, methods, table, names)
  }

  /// The model input for `path` (a `.npy` array as it is, an image as Keras loads it) and, for an image, the
  /// photo at its own size.
  func load(_ path: String, graph: Graph, images: ImageInputOptions) throws -> (input: Tensor, photo: Image?) {
    if path.hasSuffix(".npy") { return (try images.inputs([path], graph: graph)[0], nil) }
    let loader = try ModelInputLoader(graph: graph, preprocessing: images.preprocess, size: try images.targetSize())
    let loaded = try loader.loadWithPhoto(path: path)
    return (loaded.input, loaded.photo)
  }

  /// The boxes of `path` in `table` in pixels of `input`, or nil without a table.
  /// - Throws: `ValidationError` naming `--boxes`, the file and the input.
  func boxes(of path: String, in table: ObjectBoxes?, input: Tensor) throws -> [BoundingBox]? {
    do {
      return try table?.boxes(for: path, inputWidth: input.shape[2], inputHeight: input.shape[1])
    } catch {
      throw ValidationError("--boxes \(error)")
    }
  }
}

/// `kerasvis compare MODEL IMAGE --penultimate L1 L2 [--method M...]`: one sheet comparing layers and methods.
struct CompareCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "One picture comparing Grad-CAM layers (and CAM methods) on an image: which layer should Grad-CAM use?",
    discussion: """
      The sheet shows the photo, then one overlay per method for each --penultimate layer (a row per layer), each \
      titled with the layer's name and index, the method, and the class's name and score. Without --method the \
      maps are keras-vis's Grad-CAM (what `kerasvis cam` draws); `kerasvis summary MODEL --cam-layers` lists the \
      candidate layers. With --boxes each panel also shows its pointing-game hit and deletion score, and the boxes \
      are outlined.

      Example: kerasvis compare inception_v3.h5 cat.jpg --penultimate conv2d_94 mixed10 --out sheet.png
      """)

  @OptionGroup var model: ModelOptions
  @Argument(help: "The image (PNG, JPEG) or .npy array to explain.")
  var input: String
  @OptionGroup var panels: PanelOptions
  @OptionGroup var images: ImageInputOptions

  @Option(help: ArgumentHelp("Where to write the sheet (PNG).", valueName: "file"))
  var out = "compare.png"

  @Option(help: "The width of each picture on the sheet, in pixels (16...4096).")
  var panelWidth = 320

  @Option(
    help: ArgumentHelp(
      "The heatmaps' colormap: jet (default), turbo, viridis, inferno, magma or gray.", valueName: "name")
  )
  var colormap: Colormap = .jet

  @Option(help: "The heatmap's weight in the overlay (0...1).")
  var alpha = 0.5

  func validate() throws {
    guard (16...4096).contains(panelWidth) else { throw ValidationError("--panel-width must be in 16...4096") }
    guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1") }
  }

  func execute() throws {
    let graph = try model.load()
    let (layers, methods, table, labels) = try panels.resolve(in: graph)
    let explainer = Explainer(graph: graph)
    let (tensor, photo) = try panels.load(input, graph: graph, images: images)
    let boxes = try panels.boxes(of: input, in: table, input: tensor)
    let sheet = try ComparisonSheet.make(
      explainer: explainer, input: tensor, photo: photo, photoName: (input as NSString).lastPathComponent,
      layers: layers, methods: methods, classIndex: panels.classIndex, boxes: boxes, labels: labels,
      deletionStep: panels.step)
    let style = ComparisonSheetStyle(panelWidth: panelWidth, colormap: colormap, alpha: alpha)
    try sheet.render(style: style).writePNG(toFile: out)
    for panel in sheet.panels.joined() {
      print(sheet.title(of: panel).joined(separator: " | "))
    }
    print("wrote \(out)")
  }
}

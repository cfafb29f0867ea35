import ArgumentParser
import Foundation
import KerasVis

extension BackpropModifier: ExpressibleByArgument {}
extension Convention: ExpressibleByArgument {}
extension ExplanationTarget.Score: ExpressibleByArgument {}
extension IntegratedGradients.Rule: ExpressibleByArgument {}
extension OverlaySize: ExpressibleByArgument {}
extension Colormap: ExpressibleByArgument {}

/// A binary classifier's class, for `--binary`.
enum BinaryClass: String, ExpressibleByArgument, CaseIterable {
  case positive, negative
}

/// The settings of the explanation methods that came after keras-vis (`--method`).
struct MethodArguments: ParsableArguments {
  @Option(
    help: """
      Whose variant and resizing to follow: pytorch-grad-cam (default) or tf-keras-vis (Grad-CAM++, Score-CAM, \
      resizing).
      """)
  var convention: Convention = .pytorchGradCAM

  @Option(
    help: """
      What a class score reads: output (default), logit (before the output's softmax or sigmoid; also --linear) or \
      probability.
      """)
  var score: ExplanationTarget.Score?

  @Option(help: "Explain a binary classifier's positive or negative class (a (N, 1) output) instead of --filter.")
  var binary: BinaryClass?

  @Flag(help: "pytorch-grad-cam's eigen_smooth: the first principal component of the weighted feature map.")
  var eigenSmooth = false

  @Flag(help: "pytorch-grad-cam's aug_smooth: the mean map over flips and brightness changes of the input.")
  var augSmooth = false

  @Option(help: "Inputs per forward pass for Score-CAM, Ablation-CAM, SmoothGrad and Integrated Gradients.")
  var batchSize = 32

  @Option(
    name: .customLong("max-n"),
    help: "Score-CAM: use only the N channels with the largest spatial deviation (Faster Score-CAM).")
  var maxN: Int?

  @Option(help: "SmoothGrad: noisy copies per input.")
  var samples = 20

  @Option(help: "SmoothGrad: the noise's standard deviation as a fraction of the input's value range.")
  var noiseLevel: Float = 0.2

  @Option(help: "SmoothGrad: the noise's random seed.")
  var seed: UInt64 = 0

  @Option(help: "Integrated Gradients: points on the path from the baseline.")
  var steps = 50

  @Option(help: "Integrated Gradients: the constant baseline.")
  var baseline: Float = 0

  @Option(
    help: """
      Integrated Gradients: gausslegendre (default), riemann_trapezoid, riemann_left, riemann_right, \
      riemann_middle.
      """)
  var rule: IntegratedGradients.Rule = .gaussLegendre

  func validate() throws {
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    guard samples > 0 else { throw ValidationError("--samples must be positive") }
    guard steps > 0 else { throw ValidationError("--steps must be positive") }
    guard noiseLevel >= 0 else { throw ValidationError("--noise-level must not be negative") }
    if let maxN, maxN <= 0 { throw ValidationError("--max-n must be positive") }
  }

  /// The method named `method` (`--method`), checked against the command's family, with these settings.
  func resolvedMethod(_ method: String?, cam: Bool) throws -> (any ExplanationMethod)? {
    guard let method else { return nil }
    let names = cam ? MethodCatalog.camMethods : MethodCatalog.gradientMethods
    guard names.contains(method.lowercased()) || (!cam && method.lowercased() == "saliency") else {
      let other = cam ? "saliency" : "cam"
      let hint =
        (cam ? MethodCatalog.gradientMethods : MethodCatalog.camMethods).contains(method.lowercased())
        ? " (it is a method of `kerasvis \(other)`)" : ""
      throw ValidationError("--method \(method)\(hint): use one of \(names.joined(separator: ", "))")
    }
    return try MethodCatalog.method(named: method, options: options)
  }

  /// The settings as the library's options.
  var options: MethodOptions {
    var options = MethodOptions()
    options.convention = convention
    options.maxN = maxN
    options.samples = samples
    options.noiseLevel = noiseLevel
    options.seed = seed
    options.steps = steps
    options.baseline = baseline
    options.rule = rule
    return options
  }

  /// The targets for `filters` (one class, or several at once) or `--binary`.
  func targets(filters: [Int]?, linear: Bool) -> [ExplanationTarget]? {
    let score = self.score ?? (linear ? .logit : .output)
    if let binary { return [.binary(positive: binary == .positive, score: score)] }
    guard let filters, !filters.isEmpty else { return nil }
    return [filters.count == 1 ? .category(filters[0], score: score) : .categories(filters, score: score)]
  }

  /// The request for one input.
  func request(input: Tensor, targets: [ExplanationTarget]?, layer: [Int]?) -> ExplanationRequest {
    var request = ExplanationRequest(input: input, targets: targets, layer: layer)
    request.defaultScore = score ?? .output
    request.convention = convention
    request.eigenSmooth = eigenSmooth
    request.augmentationSmoothing = augSmooth
    request.batchSize = batchSize
    return request
  }
}

/// Runs `method` on every input (the `--method` path of `cam` and `saliency`), reporting an automatically chosen
/// layer once.
func runMethod(
  _ method: any ExplanationMethod, command: String, modelOptions: ModelOptions, images: ImageInputOptions,
  inputs: [String], options: ExplanationOptions, arguments: MethodArguments, layerReference: String?
) throws {
  guard options.layer == "-1" else {
    throw ValidationError(
      "--layer \(options.layer): --method explains the model output (choose it with --filter, --binary, --score); "
        + "--penultimate names the feature-map layer")
  }
  if method.usesLayer == false, layerReference != nil {
    throw ValidationError("--penultimate: \(method.name) explains through the input gradient and uses no layer")
  }
  var layer: [Int]?
  var reported = false
  let single = expandInputs(inputs).count == 1
  try runExplanations(
    command: command, modelOptions: modelOptions, images: images, inputs: inputs, options: options,
    check: { graph, _ in
      guard let layerReference else { return }
      do {
        layer = try graph.resolveLayer(layerReference)
      } catch let error as LayerLookupError {
        throw ValidationError("--penultimate \(layerReference): \(error)")
      }
    },
    findsTopClass: false
  ) { explainer, _, filters, input, names in
    let targets = arguments.targets(filters: filters, linear: options.linear)
    let request = arguments.request(input: input, targets: targets, layer: layer)
    let explanation = try explainer.explain(request, with: method)
    if targets == nil && single {
      let classes = explanation.targets.compactMap { $0.classIndices?.first }.map { index in
        names?[index].map { "\(index) \($0)" } ?? "\(index)"
      }
      let which =
        classes.count == 1
        ? "class \(classes[0]) (the top class)" : "the top class of each sample: \(classes.joined(separator: ", "))"
      FileHandle.standardError.write(Data("kerasvis: explaining \(which)\n".utf8))
    }
    if method.usesLayer, layer == nil, !reported, let used = explanation.layer {
      reported = true
      FileHandle.standardError.write(
        Data(
          ("kerasvis: \(method.name) uses \(explainer.describeLayer(used)), the last feature map "
            + "(name another with --penultimate)\n").utf8))
    }
    let maps = explanation.maps
    return ExplainedMap(
      map: maps.shape.first == 1 ? try maps.reshaped(Array(maps.shape.dropFirst())) : maps,
      classes: explanation.targets.first?.classIndices, method: method.name,
      layer: explanation.layer.flatMap { explainer.graph.path(ofAddress: $0) })
  }
}

/// One input's explanation: the map, and what an annotated picture's title says about it.
struct ExplainedMap {
  /// The map at the model's input size.
  var map: Tensor
  /// The explained classes (or channels), or nil when the target is not a class (`--binary`).
  var classes: [Int]?
  /// The method, as titles name it.
  var method: String
  /// The layer the map comes from, as titles name it.
  var layer: String?
}

/// Options shared by `cam` and `saliency`.
struct ExplanationOptions: ParsableArguments {
  @Option(
    parsing: .unconditional,
    help: "The explained layer: a name or an index into model.layers (negative counts from the end).")
  var layer = "-1"

  @Option(
    name: .customLong("filter"), parsing: .upToNextOption,
    help: "Classes or channels to explain (default: the top class of the first input).")
  var filters: [Int] = []

  @Option(help: "ReLU gradient rule: guided, rectified (alias relu, deconv); default: the true gradient.")
  var backpropModifier: BackpropModifier?

  @Option(help: "Gradient modifier: absolute, relu, invert, negate, small_values or none.")
  var gradModifier: String?

  @Flag(help: "Swap the layer's softmax to linear first (keras-vis's advice for the final Dense layer).")
  var linear = false

  @OptionGroup var arithmetic: PrecisionOption

  @Option(help: ArgumentHelp("Write the map as float32 .npy (a folder for several inputs).", valueName: "path"))
  var npy: String?

  @Option(
    help: ArgumentHelp(
      "Write a PNG: the heatmap over the photo, at the photo's size (a folder for several inputs).", valueName: "path"))
  var out: String?

  @Flag(help: "With --out, write the colored map alone instead of the overlay (at the same size).")
  var heatmapOnly = false

  @Option(help: "The heatmap's weight in the overlay (0...1).")
  var alpha = 0.5

  @Option(
    help: ArgumentHelp(
      """
      With --out for an image input: draw over the photo at its own size (photo, the default: the map is resized \
      bilinearly) or over the model-size input (input).
      """, valueName: "photo|input"))
  var overlaySize: OverlaySize = .photo

  @Option(
    help: ArgumentHelp(
      "The heatmap's colormap (matplotlib's): jet (default), turbo, viridis, inferno, magma or gray.",
      valueName: "name"))
  var colormap: Colormap = .jet

  @Flag(help: "With --out, add a title strip (class, name, score, method, layer) and a colour bar.")
  var annotate = false

  @OptionGroup var labels: LabelsOption

  @Flag(help: #"Print how long each input's explanation took as a JSON line ({"input", "ms"}); tools/bench uses it."#)
  var timings = false

  /// The gradient modifier, with `default` when the flag is absent; "none" is no modifier.
  func gradModifier(default value: GradModifier?) throws -> GradModifier? {
    guard let gradModifier else { return value }
    if gradModifier == "none" { return nil }
    guard let modifier = GradModifier(rawValue: gradModifier) else {
      throw ValidationError(
        "--grad-modifier \(gradModifier): use one of \(GradModifier.allCases.map(\.rawValue).joined(separator: ", ")), none"
      )
    }
    return modifier
  }

  func validateCommon() throws {
    guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1") }
    if annotate && out == nil { throw ValidationError("--annotate draws on the --out picture: give --out") }
    _ = try gradModifier(default: nil)
  }

  /// How titles name keras-vis's `method` with these options: `Grad-CAM`, `saliency, guided, linear`.
  func methodTitle(_ method: String) -> String {
    var parts = [method]
    if let backpropModifier { parts.append(backpropModifier.rawValue) }
    if let gradModifier, gradModifier != "none" { parts.append(gradModifier) }
    if linear { parts.append("linear") }
    return parts.joined(separator: ", ")
  }

  /// The picture settings of `--colormap`, `--alpha`, `--heatmap-only` and `--overlay-size`.
  var style: HeatmapStyle {
    HeatmapStyle(colormap: colormap, alpha: alpha, heatmapOnly: heatmapOnly, size: overlaySize)
  }
}

/// The inputs of an explanation command: files, or every PNG/JPEG/.npy in a folder.
func expandInputs(_ arguments: [String]) -> [String] {
  arguments.flatMap { argument -> [String] in
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue,
      let names = try? FileManager.default.contentsOfDirectory(atPath: argument)
    else { return [argument] }
    let extensions: Set<String> = ["png", "jpg", "jpeg", "npy"]
    return names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
      .map { (argument as NSString).appendingPathComponent($0) }
  }
}

/// Where the output for `input` goes: `path` itself for a single input, else `path/<input name>.<suffix>`.
func outputPath(_ path: String, for input: String, suffix: String, single: Bool) throws -> String {
  if single && !path.hasSuffix("/") { return path }
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  let stem = ((input as NSString).lastPathComponent as NSString).deletingPathExtension
  return (path as NSString).appendingPathComponent("\(stem).\(suffix)")
}

/// Runs `explain` on every input, writing its outputs; shows progress on a terminal and keeps going past a bad
/// file, reporting the failures at the end.
func runExplanations(
  command: String, modelOptions: ModelOptions, images: ImageInputOptions, inputs: [String],
  options: ExplanationOptions, check: (Graph, Int) throws -> Void = { _, _ in }, findsTopClass: Bool = true,
  explain: (Explainer, Int, [Int]?, Tensor, ClassLabels?) throws -> ExplainedMap
) throws {
  let graph: Graph
  let layer: Int
  let labels: ClassLabels?
  do {
    graph = try modelOptions.load()
    labels = try options.labels.labels(for: graph)
    let address = try graph.resolveLayer(options.layer)
    guard address.count == 1 else {
      throw ValidationError(
        "--layer \(options.layer): \(command) explains top-level layers; give the nested model's own index")
    }
    layer = address[0]
    try check(graph, layer)
  } catch let error as ValidationError {
    throw error
  } catch let error as LayerLookupError {
    throw ValidationError("--layer \(options.layer): \(error)")
  } catch {
    throw fail(error)
  }
  let explainer = Explainer(graph: graph, precision: options.arithmetic.precision)
  // Class names apply to the classes of a model output's layer.
  let namesLayer = graph.outputs.contains { source in
    if case .layerOutput(let index, _, _) = source { return index == layer }
    return false
  }
  var classNames = namesLayer ? labels : nil
  if let names = classNames, let classes = graph.layers[layer].nodes.last?.outputShapes.first?.dimensions.last ?? nil {
    if !names.applies(toClassCount: classes) {
      classNames = nil
    } else if let warning = names.mismatch(classCount: classes) {
      FileHandle.standardError.write(Data("kerasvis: warning: --labels \(warning)\n".utf8))
    }
  }
  let files = expandInputs(inputs)
  guard !files.isEmpty else { throw ValidationError("no inputs (a folder holds no PNG, JPEG or .npy files)") }
  let single = files.count == 1
  var loader: ModelInputLoader?
  var failures: [(String, Error)] = []
  let progress = isatty(STDERR_FILENO) != 0 && files.count > 1
  for (position, file) in files.enumerated() {
    if progress {
      FileHandle.standardError.write(Data("\r[\(position + 1)/\(files.count)] \(file)\u{1B}[K".utf8))
    }
    do {
      let input: Tensor
      var picture: Image?
      var photo: Image?
      if file.hasSuffix(".npy") {
        input = try images.inputs([file], graph: graph)[0]
      } else {
        if loader == nil {
          loader = try ModelInputLoader(graph: graph, preprocessing: images.preprocess, size: try images.targetSize())
        }
        if options.out != nil && options.overlaySize == .photo {
          (input, picture, photo) = try loader!.loadWithPhoto(path: file)
        } else {
          (input, picture) = try loader!.loadWithPicture(path: file)
        }
      }
      // Without --filter (and findsTopClass) the closure explains the top class, found in the explanation's own
      // forward pass.
      let filters = options.filters.isEmpty ? nil : options.filters
      let started = DispatchTime.now().uptimeNanoseconds
      let explained = try explain(explainer, layer, filters, input, classNames)
      if filters == nil, findsTopClass, single, let top = explained.classes?.first {
        let name = classNames?[top].map { " \($0)" } ?? ""
        FileHandle.standardError.write(Data("kerasvis: explaining class \(top)\(name) (the top class)\n".utf8))
      }
      let map = explained.map
      if options.timings {
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        print(JSONValue.object(["input": .string(file), "ms": .double(milliseconds)]).jsonText)
      }
      if let npy = options.npy {
        try NPY.write(map, to: try outputPath(npy, for: file, suffix: "\(command).npy", single: single))
      }
      if let out = options.out {
        var title: [String]?
        if options.annotate {
          let classes = explained.classes ?? []
          let output = try explainer.layerOutput(layerIdx: layer, seedInput: input)
          let scores = output.scalars
          let width = output.rank == 2 ? output.shape[1] : 0
          title = ExplanationPicture.title(
            classes: classes.map { ($0, $0 >= 0 && $0 < width ? scores[$0] : nil) }, labels: classNames,
            method: explained.method, layer: explained.layer)
        }
        try ExplanationPicture.draw(map, picture: picture, photo: photo, style: options.style, title: title)
          .writePNG(toFile: try outputPath(out, for: file, suffix: "\(command).png", single: single))
      }
      if options.npy == nil && options.out == nil && !options.timings {
        let values = map.scalars
        print("\(file): \(command) map \(map.shape), mean \(values.reduce(0, +) / Float(max(values.count, 1)))")
      }
    } catch let error as ValidationError {
      throw error
    } catch {
      failures.append((file, error))
    }
  }
  if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  guard failures.isEmpty else {
    for (file, error) in failures {
      FileHandle.standardError.write(Data("kerasvis: error: \(file): \(error)\n".utf8))
    }
    if files.count > 1 {
      FileHandle.standardError.write(Data("kerasvis: \(failures.count) of \(files.count) inputs failed\n".utf8))
    }
    throw ExitCode(1)
  }
}

/// `kerasvis cam MODEL INPUT...`: keras-vis's Grad-CAM.
struct CamCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cam",
    abstract: "Grad-CAM heatmaps as keras-vis's visualize_cam computes them, or with --method a later CAM method.",
    discussion: """
      The penultimate layer defaults to keras-vis's automatic search (the nearest convolution or pooling layer \
      before --layer, skipping the one right before it); `kerasvis summary MODEL --cam-layers` lists the \
      candidates and the Grad-CAM paper's choice (the last feature map).

      With --method (gradcam, gradcam++, hirescam, xgradcam, layercam, scorecam, ablationcam, eigencam, \
      eigengradcam, guided-gradcam, guided-gradcam++) the map follows pytorch-grad-cam (or tf-keras-vis with \
      --convention tf-keras-vis), the layer defaults to the last spatial feature map (through nested models; \
      reported on standard error), and several --filter classes are explained at once (their scores summed).
      """)

  @OptionGroup var model: ModelOptions
  @Argument(help: "Images (PNG, JPEG), .npy arrays, or folders of them.")
  var inputs: [String]
  @OptionGroup var explanation: ExplanationOptions
  @OptionGroup var images: ImageInputOptions

  @Option(
    parsing: .unconditional,
    help: """
      The penultimate (feature map) layer: a name or index; with --method also a path into nested models \
      (model/layer).
      """)
  var penultimate: String?

  @Option(
    help: ArgumentHelp(
      "A later CAM method instead of keras-vis's: \(MethodCatalog.camMethods.joined(separator: ", ")).",
      valueName: "name"))
  var method: String?

  @OptionGroup var methods: MethodArguments

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one input") }
    try explanation.validateCommon()
    _ = try methods.resolvedMethod(method, cam: true)
  }

  func run() throws {
    if let method = try methods.resolvedMethod(method, cam: true) {
      try runMethod(
        method, command: "cam", modelOptions: model, images: images, inputs: inputs, options: explanation,
        arguments: methods, layerReference: penultimate)
      return
    }
    let gradModifier = try explanation.gradModifier(default: nil)
    var penultimateIndex: Int?
    try runExplanations(
      command: "cam", modelOptions: model, images: images, inputs: inputs, options: explanation,
      check: { graph, layer in
        guard let penultimate else { return }
        do {
          let address = try graph.resolveLayer(penultimate)
          guard address.count == 1 else { throw ValidationError("--penultimate must be a top-level layer") }
          penultimateIndex = address[0]
        } catch let error as LayerLookupError {
          throw ValidationError("--penultimate \(penultimate): \(error)")
        }
        if let index = penultimateIndex, index > layer {
          throw ValidationError(
            "--penultimate \(penultimate) (index \(index)) comes after --layer \(explanation.layer) (index \(layer))")
        }
      }
    ) { explainer, layer, filters, input, _ in
      var map: Tensor
      var classes = filters
      if let filters {
        map = try explainer.visualizeCam(
          layerIdx: layer, filterIndices: filters, seedInput: input, penultimateLayerIdx: penultimateIndex,
          backpropModifier: explanation.backpropModifier, gradModifier: gradModifier, linear: explanation.linear)
      } else {
        let top = try explainer.visualizeCamOfTopClass(
          layerIdx: layer, seedInput: input, penultimateLayerIdx: penultimateIndex,
          backpropModifier: explanation.backpropModifier, gradModifier: gradModifier, linear: explanation.linear)
        (map, classes) = (top.map, [top.topClass])
      }
      let featureMap = try? LayerSearch.penultimateLayerIdx(
        explainer.graph, layerIdx: layer, penultimateLayerIdx: penultimateIndex)
      return ExplainedMap(
        map: map, classes: classes, method: explanation.methodTitle("Grad-CAM"),
        layer: featureMap.map { explainer.graph.layers[$0].name })
    }
  }
}

/// `kerasvis saliency MODEL INPUT...`: keras-vis's saliency maps.
struct SaliencyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "saliency",
    abstract: "Saliency maps as keras-vis's visualize_saliency computes them, or with --method a later method.",
    discussion: """
      With --method (vanilla, smoothgrad, integrated-gradients, input-x-gradient, guided-backprop) the map is \
      normalize(max over channels of |attribution|) per input; --npy writes it.
      """)

  @OptionGroup var model: ModelOptions
  @Argument(help: "Images (PNG, JPEG), .npy arrays, or folders of them.")
  var inputs: [String]
  @OptionGroup var explanation: ExplanationOptions
  @OptionGroup var images: ImageInputOptions

  @Flag(help: "Keep the channel axis (the map is (H, W, C) instead of the maximum over channels).")
  var keepdims = false

  @Option(
    help: ArgumentHelp(
      "A later gradient method instead of keras-vis's: \(MethodCatalog.gradientMethods.joined(separator: ", ")).",
      valueName: "name"))
  var method: String?

  @OptionGroup var methods: MethodArguments

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one input") }
    try explanation.validateCommon()
    _ = try methods.resolvedMethod(method, cam: false)
  }

  func run() throws {
    if let method = try methods.resolvedMethod(method, cam: false) {
      try runMethod(
        method, command: "saliency", modelOptions: model, images: images, inputs: inputs, options: explanation,
        arguments: methods, layerReference: nil)
      return
    }
    let gradModifier = try explanation.gradModifier(default: .absolute)
    try runExplanations(
      command: "saliency", modelOptions: model, images: images, inputs: inputs, options: explanation
    ) { explainer, layer, filters, input, _ in
      var map: Tensor
      var classes = filters
      if let filters {
        map = try explainer.visualizeSaliency(
          layerIdx: layer, filterIndices: filters, seedInput: input, backpropModifier: explanation.backpropModifier,
          gradModifier: gradModifier, keepdims: keepdims, linear: explanation.linear)
      } else {
        let top = try explainer.visualizeSaliencyOfTopClass(
          layerIdx: layer, seedInput: input, backpropModifier: explanation.backpropModifier,
          gradModifier: gradModifier, keepdims: keepdims, linear: explanation.linear)
        (map, classes) = (top.map, [top.topClass])
      }
      return ExplainedMap(
        map: map, classes: classes, method: explanation.methodTitle("saliency"),
        layer: explainer.graph.layers[layer].name)
    }
  }
}

/// `kerasvis activation MODEL`: keras-vis's activation maximization.
struct ActivationCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "activation",
    abstract: "The input that maximizes a layer's filters, as keras-vis's visualize_activation computes it.")

  @OptionGroup var model: ModelOptions

  @Option(parsing: .unconditional, help: "The layer: a name or index (negative counts from the end).")
  var layer = "-1"

  @Option(name: .customLong("filter"), parsing: .upToNextOption, help: "Filters (channels, classes) to maximize.")
  var filters: [Int] = []

  @Option(help: "Gradient-descent iterations (keras-vis's max_iter).")
  var iterations = 200

  @Option(help: "Random seed (of the start image and the jitter).")
  var seed: UInt64 = 1337

  @Option(help: "keras-vis's Jitter input modifier: the largest shift, a fraction of the image below 1 (0 for none).")
  var jitter = 0.05

  @Flag(help: "Swap the layer's softmax to linear first.")
  var linear = false

  @Option(help: ArgumentHelp("Write the image as float32 .npy (values in 0...255).", valueName: "file"))
  var npy: String?

  @Option(help: ArgumentHelp("Write the image as PNG (truncated to uint8, as keras-vis does).", valueName: "file"))
  var out: String?

  func validate() throws {
    guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
    guard jitter >= 0 else { throw ValidationError("--jitter must not be negative") }
  }

  func run() throws {
    let graph: Graph
    let index: Int
    do {
      graph = try model.load()
      let address = try graph.resolveLayer(layer)
      guard address.count == 1 else { throw ValidationError("--layer: give a top-level layer") }
      index = address[0]
    } catch let error as ValidationError {
      throw error
    } catch let error as LayerLookupError {
      throw ValidationError("--layer \(layer): \(error)")
    } catch {
      throw fail(error)
    }
    do {
      var options = ActivationMaximizationOptions()
      options.iterations = iterations
      options.seed = seed
      options.linear = linear
      options.jitter = jitter > 0 ? Jitter(jitter) : nil
      let image = try Explainer(graph: graph).visualizeActivation(
        layerIdx: index, filterIndices: filters.isEmpty ? nil : filters, options: options)
      if let npy { try NPY.write(image, to: npy) }
      if let out {
        let (height, width, channels) = (image.shape[0], image.shape[1], image.shape[2])
        guard let format = PixelFormat(channels: channels) else {
          throw ValidationError("the model's input has \(channels) channels; PNG takes 1, 2, 3 or 4")
        }
        let pixels = image.scalars.map { UInt8(max(0, min(255, $0))) }
        try Image(width: width, height: height, format: format, pixels: pixels).writePNG(toFile: out)
      }
      if npy == nil && out == nil {
        print(
          "activation maximization of layer \(index) (\(graph.layers[index].name)): image \(image.shape); use --out or --npy"
        )
      }
    } catch let error as ValidationError {
      throw error
    } catch {
      throw fail(error)
    }
  }
}

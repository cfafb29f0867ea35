import ArgumentParser
import Foundation
import ImageIO
import KerasModel
import KerasVis
import Tensor

extension BackpropModifier: ExpressibleByArgument {}

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

  @Option(help: ArgumentHelp("Write the map as float32 .npy (a folder for several inputs).", valueName: "path"))
  var npy: String?

  @Option(help: ArgumentHelp("Write a PNG: the jet heatmap over the image (a folder for several inputs).", valueName: "path"))
  var out: String?

  @Flag(help: "With --out, write the colored map alone instead of the overlay.")
  var heatmapOnly = false

  @Option(help: "The heatmap's weight in the overlay (0...1).")
  var alpha = 0.5

  /// The gradient modifier, with `default` when the flag is absent; "none" is no modifier.
  func gradModifier(default value: GradModifier?) throws -> GradModifier? {
    guard let gradModifier else { return value }
    if gradModifier == "none" { return nil }
    guard let modifier = GradModifier(rawValue: gradModifier) else {
      throw ValidationError(
        "--grad-modifier \(gradModifier): use one of \(GradModifier.allCases.map(\.rawValue).joined(separator: ", ")), none")
    }
    return modifier
  }

  func validateCommon() throws {
    guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1") }
    _ = try gradModifier(default: nil)
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
  options: ExplanationOptions, check: (Graph, Int) throws -> Void = { _, _ in },
  explain: (Explainer, Int, [Int]?, Tensor) throws -> Tensor
) throws {
  let graph: Graph
  let layer: Int
  do {
    graph = try modelOptions.load()
    let address = try graph.resolveLayer(options.layer)
    guard address.count == 1 else {
      throw ValidationError("--layer \(options.layer): \(command) explains top-level layers; give the nested model's own index")
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
  let explainer = Explainer(graph: graph)
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
      if file.hasSuffix(".npy") {
        input = try images.inputs([file], graph: graph)[0]
      } else {
        if loader == nil {
          loader = try ModelInputLoader(graph: graph, preprocessing: images.preprocess, size: try images.targetSize())
        }
        let loaded = try loader!.loadWithPicture(path: file)
        input = loaded.input
        picture = loaded.picture
      }
      var filters = options.filters.isEmpty ? nil : options.filters
      if filters == nil {
        let top = try explainer.topClass(layerIdx: layer, seedInput: input)
        filters = [top]
        if single { FileHandle.standardError.write(Data("kerasvis: explaining class \(top) (the top class)\n".utf8)) }
      }
      let map = try explain(explainer, layer, filters, input)
      if let npy = options.npy {
        try NPY.write(map, to: try outputPath(npy, for: file, suffix: "\(command).npy", single: single))
      }
      if let out = options.out {
        try render(map, picture: options.heatmapOnly ? nil : picture, alpha: options.alpha).writePNG(
          toFile: try outputPath(out, for: file, suffix: "\(command).png", single: single))
      }
      if options.npy == nil && options.out == nil {
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

/// A map as a picture: jet over `picture` (or alone), one channel's maximum for a `(H, W, C)` map.
func render(_ map: Tensor, picture: Image?, alpha: Double) throws -> Image {
  var values = map.scalars
  var height = map.shape[0]
  var width = map.rank > 1 ? map.shape[1] : 1
  if map.rank == 3 {
    let channels = map.shape[2]
    values = (0..<(height * width)).map { p in (0..<channels).map { values[p * channels + $0] }.max() ?? 0 }
  } else if map.rank != 2 {
    height = 1
    width = values.count
  }
  if let picture { return try camOverlay(heatmap: values, heatmapWidth: width, on: picture, alpha: alpha) }
  return try Colormap.jet.apply(to: values, width: width, height: height)
}

/// `kerasvis cam MODEL INPUT...`: keras-vis's Grad-CAM.
struct CamCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cam",
    abstract: "Grad-CAM heatmaps as keras-vis's visualize_cam computes them.",
    discussion: """
      The penultimate layer defaults to keras-vis's automatic search (the nearest convolution or pooling layer \
      before --layer, skipping the one right before it); `kerasvis summary MODEL --cam-layers` lists the \
      candidates and the Grad-CAM paper's choice (the last feature map).
      """)

  @OptionGroup var model: ModelOptions
  @Argument(help: "Images (PNG, JPEG), .npy arrays, or folders of them.")
  var inputs: [String]
  @OptionGroup var explanation: ExplanationOptions
  @OptionGroup var images: ImageInputOptions

  @Option(parsing: .unconditional, help: "The penultimate (feature map) layer: a name or index.")
  var penultimate: String?

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one input") }
    try explanation.validateCommon()
  }

  func run() throws {
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
    ) { explainer, layer, filters, input in
      try explainer.visualizeCam(
        layerIdx: layer, filterIndices: filters, seedInput: input, penultimateLayerIdx: penultimateIndex,
        backpropModifier: explanation.backpropModifier, gradModifier: gradModifier, linear: explanation.linear)
    }
  }
}

/// `kerasvis saliency MODEL INPUT...`: keras-vis's saliency maps.
struct SaliencyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "saliency", abstract: "Saliency maps as keras-vis's visualize_saliency computes them.")

  @OptionGroup var model: ModelOptions
  @Argument(help: "Images (PNG, JPEG), .npy arrays, or folders of them.")
  var inputs: [String]
  @OptionGroup var explanation: ExplanationOptions
  @OptionGroup var images: ImageInputOptions

  @Flag(help: "Keep the channel axis (the map is (H, W, C) instead of the maximum over channels).")
  var keepdims = false

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give at least one input") }
    try explanation.validateCommon()
  }

  func run() throws {
    let gradModifier = try explanation.gradModifier(default: .absolute)
    try runExplanations(
      command: "saliency", modelOptions: model, images: images, inputs: inputs, options: explanation
    ) { explainer, layer, filters, input in
      try explainer.visualizeSaliency(
        layerIdx: layer, filterIndices: filters, seedInput: input, backpropModifier: explanation.backpropModifier,
        gradModifier: gradModifier, keepdims: keepdims, linear: explanation.linear)
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
        print("activation maximization of layer \(index) (\(graph.layers[index].name)): image \(image.shape); use --out or --npy")
      }
    } catch let error as ValidationError {
      throw error
    } catch {
      throw fail(error)
    }
  }
}

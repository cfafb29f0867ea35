import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis activation MODEL`: keras-vis's activation maximization, or with `--style lucid` lucid-style feature
/// visualization (Fourier parameterization, decorrelated colours, random transforms, Adam).
struct ActivationCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "activation",
    abstract: "The input that maximizes a layer's filters, as keras-vis's visualize_activation (or lucent) computes it."
  )

  @OptionGroup var model: ModelOptions

  @Option(parsing: .unconditional, help: "The layer: a name or index (negative counts from the end).")
  var layer = "-1"

  @Option(name: .customLong("filter"), parsing: .upToNextOption, help: "Filters (channels, classes) to maximize.")
  var filters: [Int] = []

  @Option(help: "keras-vis (default: keras-vis's visualize_activation) or lucid (lucent's render_vis).")
  var style: VisualizationStyle = .kerasVis

  @Option(
    name: .customLong("iterations"),
    help: "Gradient-descent iterations (keras-vis's max_iter, default 200; lucid's steps, default 512).")
  var iterationsOption: Int?

  /// The keras-vis iterations (200 unless given).
  var iterations: Int { iterationsOption ?? 200 }

  @Option(
    help: ArgumentHelp(
      "With --style lucid: the model's preprocessing of 0...255 pixels, tf, caffe, torch or none (default: keras.applications' mode for the model's name, else none).",
      valueName: "mode"))
  var preprocess: PreprocessMode?

  @Option(help: "Random seed (of the start image and the jitter).")
  var seed: UInt64 = 1337

  @Option(help: "keras-vis's Jitter input modifier: the largest shift, a fraction of the image below 1 (0 for none).")
  var jitter = 0.05

  @Flag(help: "Swap the layer's activation to linear first (its softmax; with lucid any activation).")
  var linear = false

  @Option(help: ArgumentHelp("Write the image as float32 .npy (values in 0...255).", valueName: "file"))
  var npy: String?

  @Option(help: ArgumentHelp("Write the image as PNG (truncated to uint8, as keras-vis does).", valueName: "file"))
  var out: String?

  @Option(help: ArgumentHelp("With --style lucid: write the optimization as an animated GIF.", valueName: "file"))
  var gif: String?

  func validate() throws {
    if let iterationsOption, iterationsOption <= 0 { throw ValidationError("--iterations must be positive") }
    if gif != nil && style != .lucid { throw ValidationError("--gif needs --style lucid") }
    if style == .lucid && filters.isEmpty { throw ValidationError("--style lucid needs --filter") }
    guard jitter >= 0 else { throw ValidationError("--jitter must not be negative") }
  }

  func execute() throws {
    let graph = try model.load()
    let index = try graph.topLevelLayer(layer, flag: "--layer")
    if style == .lucid { return try executeLucid(graph, index: index) }
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
  }

  /// `--style lucid`: one image maximizing the sum of the filters' mean activations.
  private func executeLucid(_ graph: Graph, index: Int) throws {
    var options = try LucidRun.options(
      graph: graph, mode: preprocess, iterations: iterationsOption, seed: seed, linear: linear)
    if gif != nil { options.snapshotInterval = max(1, options.iterations / 50) }
    let objective = FeatureObjective.sum(filters.map { .channel(layer: index, channel: $0) })
    let result = try Explainer(graph: graph).visualizeFeature(
      objective, options: options, progress: LucidRun.progress(label: "lucid", total: options.iterations))
    let picture = try LucidRun.picture(result.images, sample: 0)
    if let npy {
      try NPY.write(
        try Tensor(shape: Array(result.images.shape.dropFirst()), values: result.images.scalars.map { $0 * 255 }),
        to: npy)
    }
    if let out { try picture.writePNG(toFile: out) }
    if let gif {
      let frames = try result.snapshots.map { try LucidRun.picture($0, sample: 0) } + [picture]
      try GIFEncoder.write(frames: frames, delay: 8, toFile: gif)
    }
    let value = result.objectiveValues.last ?? 0
    print(
      "lucid feature visualization of layer \(index) (\(graph.layers[index].name)) filters \(filters): "
        + "objective \(value) after \(options.iterations) steps"
        + (out == nil && npy == nil && gif == nil ? "; use --out, --gif or --npy" : ""))
  }
}

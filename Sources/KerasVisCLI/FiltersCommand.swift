import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis filters MODEL --layer L --out grid.png`: a convolution layer's kernels as tiles, or with `--maximize`
/// the input that maximizes each filter (keras-vis's `visualize_activation`, one per filter).
struct FiltersCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "filters",
    abstract: "Draw a convolution layer's kernels (or, with --maximize, what each filter responds to) as a grid.",
    discussion: """
      Kernels with three input channels (a first layer on RGB images) are drawn as one RGB tile per filter; \
      deeper kernels get one section per input channel (the first --max-channels), holding one gray tile per \
      filter. Depthwise kernels are drawn one gray tile per input channel and multiplier. Every tile is scaled to \
      its own minimum and maximum. With --maximize each tile is the input that maximizes the filter's mean \
      activation, found as keras-vis's visualize_activation does (random start, jitter, L-p and total variation \
      regularizers).
      """)

  @OptionGroup var model: ModelOptions

  @Option(parsing: .unconditional, help: "The layer: a name, a path through nested models, or an index.")
  var layer: String

  @Option(help: ArgumentHelp("The PNG to write.", valueName: "file"))
  var out: String

  @Flag(help: "Draw activation-maximization images instead of the kernels.")
  var maximize = false

  @Option(
    help: "With --maximize: keras-vis (default: keras-vis's visualize_activation) or lucid (lucent's render_vis).")
  var style: VisualizationStyle = .kerasVis

  @Option(
    help: ArgumentHelp(
      "With --style lucid: the model's preprocessing of 0...255 pixels (default: keras.applications' mode, else none).",
      valueName: "mode"))
  var preprocess: PreprocessMode?

  @Option(help: "Filters drawn (the first N; default 64 kernels, or 16 maximized filters).")
  var maxFilters: Int?

  @Option(help: "Input channels drawn for kernels of deeper layers (one section each).")
  var maxChannels = 4

  @Option(help: "With --maximize: gradient-descent iterations per filter (keras-vis's max_iter; lucid's steps, 512).")
  var iterations: Int?

  @Option(help: "With --maximize: the random seed (of the start image and the jitter).")
  var seed: UInt64 = 1337

  @Option(help: "With --maximize: keras-vis's Jitter, the largest shift as a fraction of the image (0 for none).")
  var jitter = 0.05

  @Option(help: "With --maximize: the total variation regularizer's weight (keras-vis's tv_weight).")
  var tvWeight: Float = 10

  @Option(help: "With --maximize: the L-p norm regularizer's weight (keras-vis's lp_norm_weight).")
  var lpNormWeight: Float = 10

  @Flag(help: "With --maximize: swap the layer's softmax to linear first (for a final Dense layer).")
  var linear = false

  @Option(help: "Pixels per kernel or image value (default: enough to make tiles about 24 or 48 pixels wide).")
  var tileScale: Int?

  func validate() throws {
    if let maxFilters, maxFilters <= 0 { throw ValidationError("--max-filters must be positive") }
    guard maxChannels > 0 else { throw ValidationError("--max-channels must be positive") }
    if let iterations {
      guard maximize else { throw ValidationError("--iterations needs --maximize") }
      guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
    }
    guard jitter >= 0 else { throw ValidationError("--jitter must not be negative") }
    guard tvWeight >= 0, lpNormWeight >= 0 else {
      throw ValidationError("--tv-weight and --lp-norm-weight must not be negative")
    }
    if linear && !maximize { throw ValidationError("--linear needs --maximize") }
    if style == .lucid && !maximize { throw ValidationError("--style lucid needs --maximize") }
    if let tileScale, !(1...64).contains(tileScale) { throw ValidationError("--tile-scale must be in 1...64") }
  }

  func execute() throws {
    let graph = try model.load()
    let address = try graph.layerAddress(layer, flag: "--layer")
    let sections =
      maximize ? try maximizedSections(graph, address: address) : try kernelSections(graph, address: address)
    let picture = try stackVertically(sections)
    try picture.writePNG(toFile: out)
    print("wrote \(out) (\(picture.width)x\(picture.height)) for \(describeLayer(graph, address))")
  }

  private func kernelSections(_ graph: Graph, address: [Int]) throws -> [Image] {
    guard let layer = graph.layer(atAddress: address) else {
      throw ValidationError("--layer \(self.layer): no layer at \(address)")
    }
    guard let kernel = layer.filterKernel else {
      let kernels = layer.weights.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
      throw ValidationError(
        "--layer \(self.layer): \(describeLayer(graph, address)) has no convolution kernel"
          + (kernels.isEmpty ? " (no weights)" : " (weights: \(kernels))"))
    }
    let (values, weight) = (kernel.values, kernel.weight)
    let (height, width, inputs, filters) = (kernel.height, kernel.width, kernel.inputs, kernel.filters)
    let shown = min(filters, maxFilters ?? 64)
    let scale = tileScale ?? automaticTileScale(height: height, width: width, target: 24)
    let style = GridStyle(columns: min(shown, 16), tileScale: scale)
    let header =
      "\(describeLayer(graph, address)): \(weight.name) \(weight.shape.map(String.init).joined(separator: "x"))"
      + (shown < filters ? ", first \(shown) filters" : "")
    if inputs == 3 {
      let tiles = try kernelTiles(
        kernel: values, height: height, width: width, inputChannels: inputs, outputChannels: filters)
      return [try makeGrid(title: header + ", RGB", tiles: Array(tiles.prefix(shown)), style: style)]
    }
    let channels = min(inputs, maxChannels)
    return try (0..<channels).map { channel in
      let tiles = try kernelTiles(
        kernel: values, height: height, width: width, inputChannels: inputs, outputChannels: filters,
        inputChannel: channel)
      var title = "input channel \(channel)"
      if inputs == 1 {
        title = header
      } else if channel == 0 {
        title = header + (channels < inputs ? "; first \(channels) input channels" : "") + "; input channel 0"
      }
      return try makeGrid(title: title, tiles: Array(tiles.prefix(shown)), style: style)
    }
  }

  /// One tile per filter: the input that maximizes the filter's mean activation.
  private func maximizedSections(_ graph: Graph, address: [Int]) throws -> [Image] {
    guard address.count == 1 else {
      throw ValidationError("--layer \(layer): --maximize explains top-level layers; give the nested model's own index")
    }
    let index = address[0]
    guard let filters = graph.layers[index].outputShape?.dimensions.last ?? nil, filters > 0 else {
      throw ValidationError("--layer \(layer): \(describeLayer(graph, address)) has no fixed number of filters")
    }
    guard let input = graph.inputs.first, graph.inputs.count == 1, input.shape.rank == 4,
      let channels = input.shape.dimensions[3], channels == 1 || channels == 3
    else {
      throw ValidationError("--maximize needs a model with one image input of 1 or 3 channels")
    }
    let shown = min(filters, maxFilters ?? 16)
    if style == .lucid { return [try lucidSection(graph, address: address, shown: shown, filters: filters)] }
    var options = ActivationMaximizationOptions()
    options.iterations = iterations ?? options.iterations
    options.seed = seed
    options.linear = linear
    options.jitter = jitter > 0 ? Jitter(jitter) : nil
    options.totalVariationWeight = tvWeight
    options.lpNormWeight = lpNormWeight
    let explainer = Explainer(graph: graph)
    let progress = isatty(STDERR_FILENO) != 0
    var tiles: [GridTile] = []
    for filter in 0..<shown {
      if progress { FileHandle.standardError.write(Data("\r[\(filter + 1)/\(shown)] filter \(filter)\u{1B}[K".utf8)) }
      let image = try explainer.visualizeActivation(layerIdx: index, filterIndices: [filter], options: options)
      let map = try FloatImage(
        width: image.shape[1], height: image.shape[0], channels: image.shape[2], values: image.scalars)
      tiles.append(GridTile(values: map, label: "\(filter)"))
    }
    if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    let size = (tiles.first?.values.height ?? 1, tiles.first?.values.width ?? 1)
    let scale = tileScale ?? automaticTileScale(height: size.0, width: size.1, target: 48)
    var title = "\(describeLayer(graph, address)): activation maximization, \(options.iterations) iterations"
    if shown < filters { title += ", first \(shown) of \(filters) filters" }
    return [try makeGrid(title: title, tiles: tiles, style: GridStyle(tileScale: scale))]
  }

  /// `--style lucid`: the first `shown` filters optimized together as one batch, one image per filter.
  private func lucidSection(_ graph: Graph, address: [Int], shown: Int, filters: Int) throws -> Image {
    let index = address[0]
    var options = try LucidRun.options(
      graph: graph, mode: preprocess, iterations: iterations, seed: seed, linear: linear)
    options.batch = shown
    let objective = FeatureObjective.sum((0..<shown).map { .channel(layer: index, channel: $0, batch: $0) })
    let result = try Explainer(graph: graph).visualizeFeature(
      objective, options: options, progress: LucidRun.progress(label: "lucid", total: options.iterations))
    let tiles = try (0..<shown).map { n in
      let picture = try LucidRun.picture(result.images, sample: n)
      let map = try FloatImage(
        width: picture.width, height: picture.height, channels: picture.channels,
        values: picture.pixels.map(Float.init))
      return GridTile(values: map, label: "\(n)")
    }
    let size = (tiles.first?.values.height ?? 1, tiles.first?.values.width ?? 1)
    let scale = tileScale ?? automaticTileScale(height: size.0, width: size.1, target: 48)
    var title = "\(describeLayer(graph, address)): lucid feature visualization, \(options.iterations) steps"
    if shown < filters { title += ", first \(shown) of \(filters) filters" }
    return try makeGrid(title: title, tiles: tiles, style: GridStyle(tileScale: scale))
  }
}

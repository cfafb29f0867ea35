import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis layers MODEL INPUT --layer L... --out grid.png`: the output channels of layers for one input, drawn
/// as titled grids (one section per layer, stacked top to bottom).
struct LayersCommand: KerasVisSubcommand {
  static let configuration = CommandConfiguration(
    commandName: "layers",
    abstract: "Draw layers' output channels for an input as titled grids in one PNG.",
    discussion: """
      Each --layer gets a section titled with its index, name, class and output size, holding one gray tile per \
      channel of the first sample (each tile scaled to its own minimum and maximum). The layers must output \
      feature maps (N, H, W, C). Negative indices need the attached form, e.g. --layer=-2.
      """)

  @OptionGroup var model: ModelOptions

  @Argument(help: "An image (PNG, JPEG) or a .npy array (one per model input); the first sample is drawn.")
  var inputs: [String]

  @Option(
    name: .customLong("layer"), parsing: .upToNextOption,
    help: "Layers to draw: names, paths through nested models, or indices into model.layers.")
  var layers: [String] = []

  @Option(help: "Channels drawn per layer (the first N).")
  var maxChannels = 64

  @Option(help: "Pixels per feature-map value (default: enough to make small maps about 64 pixels wide).")
  var tileScale: Int?

  @Option(help: ArgumentHelp("The PNG to write.", valueName: "file"))
  var out: String

  @OptionGroup var images: ImageInputOptions

  func validate() throws {
    guard !inputs.isEmpty else { throw ValidationError("give an input image or .npy array") }
    guard !layers.isEmpty else { throw ValidationError("give at least one --layer") }
    guard maxChannels > 0 else { throw ValidationError("--max-channels must be positive") }
    if let tileScale, !(1...64).contains(tileScale) { throw ValidationError("--tile-scale must be in 1...64") }
  }

  func execute() throws {
    let graph: Graph
    let keys: [LayerOutputKey]
    let inputTensors: [Tensor]
    graph = try model.load()
    keys = try resolveLayers(layers, in: graph)
    for (reference, key) in zip(layers, keys) {
      if let shape = graph.layer(atAddress: key.address)?.outputShape, shape.rank != 4 {
        throw notFeatureMap(reference, graph, key.address, shape: "\(shape)")
      }
    }
    inputTensors = try images.inputs(inputs, graph: graph)
    let result = try CompiledModel(graph: graph, keeping: keys).run(inputTensors)
    var sections: [Image] = []
    var notes: [String] = []
    for (reference, key) in zip(layers, keys) {
      let output = try result.layer(key.address)
      guard output.rank == 4 else {
        throw notFeatureMap(reference, graph, key.address, shape: "\(output.shape)")
      }
      let (height, width, channels) = (output.shape[1], output.shape[2], output.shape[3])
      let first = Array(output.scalars.prefix(height * width * channels))
      let map = try FloatImage(width: width, height: height, channels: channels, values: first)
      let tiles = Array(channelTiles(of: map).prefix(maxChannels))
      var title = "\(describeLayer(graph, key.address)): \(height)x\(width)x\(channels)"
      if tiles.count < channels { title += ", first \(tiles.count) channels" }
      let scale = tileScale ?? automaticTileScale(height: height, width: width, target: 64)
      sections.append(try makeGrid(title: title, tiles: tiles, style: GridStyle(tileScale: scale)))
      notes.append("\(graph.path(ofAddress: key.address) ?? reference) \(tiles.count) of \(channels) channels")
    }
    let picture = try stackVertically(sections)
    try picture.writePNG(toFile: out)
    print("wrote \(out) (\(picture.width)x\(picture.height)): \(notes.joined(separator: ", "))")
  }
}

/// The usage error for a `--layer` whose output is not `(N, H, W, C)`.
private func notFeatureMap(_ reference: String, _ graph: Graph, _ address: [Int], shape: String) -> ValidationError {
  ValidationError(
    "--layer \(reference): \(describeLayer(graph, address)) outputs \(shape); layers draws feature maps (N, H, W, C)")
}

/// `layer 16 last_conv (Conv2D)`, or the path for a layer inside a nested model.
func describeLayer(_ graph: Graph, _ address: [Int]) -> String {
  guard let layer = graph.layer(atAddress: address) else { return "layer \(address)" }
  let path = graph.path(ofAddress: address) ?? layer.name
  return "layer \(address.map(String.init).joined(separator: "/")) \(path) (\(layer.className))"
}

/// A tile scale that makes a `height` x `width` map about `target` pixels on its longer side (1 for larger maps).
func automaticTileScale(height: Int, width: Int, target: Int) -> Int {
  max(1, min(64, target / max(height, width, 1)))
}

/// Images stacked top to bottom on a white background, left-aligned: gray when all are gray, RGB otherwise.
func stackVertically(_ images: [Image]) throws -> Image {
  let format: PixelFormat = images.allSatisfy { $0.format == .gray } ? .gray : .rgb
  let converted = images.map { $0.converted(to: format) }
  let width = converted.map(\.width).max() ?? 1
  let height = converted.reduce(0) { $0 + $1.height }
  let channels = format.channels
  var pixels = [UInt8](repeating: 255, count: width * max(height, 1) * channels)
  var top = 0
  for image in converted {
    let rowBytes = image.width * channels
    for y in 0..<image.height {
      let source = y * rowBytes
      let target = (top + y) * width * channels
      pixels.replaceSubrange(target..<(target + rowBytes), with: image.pixels[source..<(source + rowBytes)])
    }
    top += image.height
  }
  return try Image(width: width, height: max(height, 1), format: format, pixels: pixels)
}

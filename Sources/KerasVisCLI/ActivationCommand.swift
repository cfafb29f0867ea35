import ArgumentParser
import Foundation
import KerasVis

/// `kerasvis activation MODEL`: keras-vis's activation maximization.
struct ActivationCommand: KerasVisSubcommand {
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

  func execute() throws {
    let graph = try model.load()
    let index = try graph.topLevelLayer(layer, flag: "--layer")
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
}

import ArgumentParser
import Foundation
import KerasVis

/// The options every command that opens a model takes.
struct ModelOptions: ParsableArguments {
  @Argument(
    help: "A model file: Keras full-model .h5, weights-only .h5 (with --topology), .keras, or a kerasvis native file.")
  var model: String

  @Option(help: "The model.to_json() architecture file for a weights-only .h5.")
  var topology: String?

  /// The imported graph (a native file is recognised by its first bytes and loaded without libhdf5).
  func load() throws -> Graph {
    try ModelLoader.load(path: model, topologyPath: topology)
  }
}

/// How image inputs are turned into model inputs.
struct ImageInputOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Preprocessing for image inputs: tf, caffe, torch or none (default: keras.applications' mode for the model's name, else none).",
      valueName: "mode"))
  var preprocess: PreprocessMode?

  @Option(help: ArgumentHelp("Resize images to HxW (default: the model's input size).", valueName: "HxW"))
  var size: String?

  func targetSize() throws -> TargetSize? {
    try size.map(ImageInputOptions.parseSize)
  }

  /// `HxW` (`299x299`) as a size; anything else is a usage error naming `--size`.
  static func parseSize(_ size: String) throws -> TargetSize {
    let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else {
      throw ValidationError("--size must be HEIGHTxWIDTH, e.g. 299x299 (got '\(size)')")
    }
    return TargetSize(height: parts[0], width: parts[1])
  }

  /// The model inputs for `paths`: `.npy` arrays fed as they are (a missing batch axis added), or images loaded
  /// as Keras would. For a model with one input all files form one batch; a model with several inputs takes one
  /// `.npy` file per input.
  func inputs(_ paths: [String], graph: Graph) throws -> [Tensor] {
    func array(_ path: String, for input: GraphInput) throws -> Tensor {
      let tensor = try NPY.read(path: path)
      if tensor.rank == input.shape.rank - 1 { return try tensor.reshaped([1] + tensor.shape) }
      return tensor
    }
    if graph.inputs.count > 1 {
      guard paths.count == graph.inputs.count, paths.allSatisfy({ $0.hasSuffix(".npy") }) else {
        let given = paths.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
        throw ValidationError(
          "model '\(graph.name)' takes \(graph.inputs.count) inputs (\(graph.inputs.map(\.name).joined(separator: ", "))): "
            + "expected one .npy file for each, in order; got \(paths.count) file\(paths.count == 1 ? "" : "s") (\(given))"
        )
      }
      return try zip(paths, graph.inputs).map { try array($0, for: $1) }
    }
    guard let input = graph.inputs.first else { throw ValidationError("the model has no inputs") }
    var loader: ModelInputLoader?
    let parts = try paths.map { path -> Tensor in
      if path.hasSuffix(".npy") { return try array(path, for: input) }
      if loader == nil {
        loader = try ModelInputLoader(graph: graph, preprocessing: preprocess, size: try targetSize())
      }
      return try loader!.load(path: path)
    }
    return [parts.count == 1 ? parts[0] : try Tensor.concatenatingBatches(parts)]
  }
}

extension PreprocessMode: ExpressibleByArgument {}

/// Resolves `--layer` values (a name, a path through nested models, or an index; negative counts from the end).
func resolveLayers(_ references: [String], in graph: Graph) throws -> [LayerOutputKey] {
  try references.map { reference in
    do {
      return LayerOutputKey(address: try graph.resolveLayer(reference))
    } catch {
      throw ValidationError("--layer \(reference): \(error)")
    }
  }
}

extension ConvolutionPrecision: ExpressibleByArgument {}

/// `--precision`, for the commands that run a model.
struct PrecisionOption: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Convolution arithmetic: float32 (Keras's, the default) or bfloat16 (about 2x faster with AVX512-BF16; approximate).",
      valueName: "float32|bfloat16"))
  var precision: ConvolutionPrecision = .float32
}

/// `--labels`, for the commands that name classes (`predict`, `cam`, `saliency`).
struct LabelsOption: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      """
      Class names: one per line, a JSON list, or a JSON object {"0": "cat", ...} (default: ImageNet's names for a \
      keras.applications model with 1000 classes).
      """, valueName: "file"))
  var labels: String?

  /// The class names for `graph`: the file's, or ImageNet's for a keras.applications model, or nil.
  /// - Throws: `LabelsFileError` naming `--labels` and the file.
  func labels(for graph: Graph) throws -> ClassLabels? {
    do {
      return try ClassLabels.resolve(for: graph, file: labels)
    } catch {
      throw LabelsFileError(underlying: error)
    }
  }
}

/// A `--labels` file that could not be used (a runtime failure, exit code 1, as for an unreadable model file).
struct LabelsFileError: Error, CustomStringConvertible {
  /// What was wrong with the file.
  var underlying: ClassLabelsError

  var description: String { "--labels \(underlying)" }
}

import Foundation
import Imaging
import KerasExplain
import KerasGraph
import KerasRuntime

/// Turns image files into a model's input batch the way a Keras user does: `load_img` at the model's input size
/// (grayscale for one-channel models), `img_to_array`, then the `preprocess_input` of the keras.applications
/// model the graph is (recognised by its name), or the mode given. A channels_first input `(N, C, H, W)` gets the
/// image loaded as `(H, W, C)` and transposed.
public struct ModelInputLoader: Sendable {
  /// The size images are resized to (the model's input size unless given).
  public var targetSize: TargetSize?
  /// Grayscale, RGB or RGBA, from the model's channel count.
  public var colorMode: ColorMode
  /// The preprocessing applied after loading.
  public var preprocessing: PreprocessMode
  /// Whether `preprocessing` came from recognising the model (rather than being given or defaulted to none).
  public var recognizedModel: Bool
  /// The resampling filter (Keras's `load_img` default is nearest).
  public var interpolation: Interpolation
  /// Decoding limits.
  public var limits: DecodingLimits
  /// Whether the model takes the image channels_first, `(N, C, H, W)`.
  public var channelsFirst = false

  /// A loader for `graph`'s input number `input` (the first by default).
  /// - Parameters:
  ///   - preprocessing: the mode, or nil to use the keras.applications mode for the graph's name (none if the
  ///     model is not one of keras.applications').
  ///   - size: the size to load at, or nil for the model's input size (the image's own where the model takes any).
  /// - Throws: `ImagingError.invalidArgument` when the model's first input is not an image batch.
  public init(
    graph: Graph, preprocessing: PreprocessMode? = nil, size: TargetSize? = nil,
    interpolation: Interpolation = .nearest,
    limits: DecodingLimits = .default, input index: Int = 0
  ) throws {
    guard graph.inputs.indices.contains(index), graph.inputs[index].shape.rank == 4 else {
      let exists = graph.inputs.indices.contains(index)
      let named = graph.inputs.count > 1 && exists ? " '\(graph.inputs[index].name)'" : ""
      throw ImagingError.invalidArgument(
        "model '\(graph.name)' does not take images: its input\(named) is \(exists ? "\(graph.inputs[index].shape)" : "missing")"
      )
    }
    let input = graph.inputs[index]
    channelsFirst = graph.channelLayout(ofInput: index) == .channelsFirst
    // (N, H, W, C), or (N, C, H, W) read as (N, H, W, C).
    let stored = input.shape.dimensions
    let dimensions = channelsFirst ? [stored[0], stored[2], stored[3], stored[1]] : stored
    switch dimensions[3] {
    case 1: colorMode = .grayscale
    case 3: colorMode = .rgb
    case 4: colorMode = .rgba
    default:
      throw ImagingError.invalidArgument(
        "model '\(graph.name)' takes \(dimensions[3].map(String.init) ?? "an unknown number of") channels; images have 1, 3 or 4"
      )
    }
    if let size {
      targetSize = size
    } else if let height = dimensions[1], let width = dimensions[2] {
      targetSize = TargetSize(height: height, width: width)
    } else {
      targetSize = nil
    }
    let recognized = PreprocessMode.forModel(named: graph.name)
    self.preprocessing = preprocessing ?? recognized ?? .none
    recognizedModel = preprocessing == nil && recognized != nil
    self.interpolation = interpolation
    self.limits = limits
  }

  /// The image at `path` as a `(1, H, W, C)` model input.
  /// - Throws: `ImagingError` naming the file for an unreadable, corrupt or oversized image.
  public func load(path: String) throws -> Tensor {
    try loadWithPicture(path: path).input
  }

  /// The image at `path` as a `(1, H, W, C)` model input, with the 8-bit picture as loaded (before
  /// preprocessing), on which explanations are drawn.
  public func loadWithPicture(path: String) throws -> (input: Tensor, picture: Image) {
    let loaded = try loadImage(
      atPath: path, colorMode: colorMode, targetSize: targetSize, interpolation: interpolation, limits: limits)
    let image = try preprocessing.applied(to: loaded.floatImage())
    return (try modelTensor(image), loaded.image)
  }

  /// A preprocessed `(H, W, C)` image as a `(1, H, W, C)` input, or `(1, C, H, W)` for a channels_first model.
  private func modelTensor(_ image: FloatImage) throws -> Tensor {
    let tensor = try Tensor(shape: [1, image.height, image.width, image.channels], values: image.values)
    guard channelsFirst else { return tensor }
    let (pixels, channels) = (image.height * image.width, image.channels)
    let values = image.values
    return try Tensor(shape: [1, channels, image.height, image.width]) { index in
      values[(index % pixels) * channels + index / pixels]
    }
  }

  /// The image at `path` as a `(1, H, W, C)` model input, with the 8-bit picture at the model's input size (as
  /// loaded, before preprocessing) and the photo itself at its own size in RGB (alpha dropped, gray replicated), on
  /// which explanations are drawn at the photo's size. The file is decoded once.
  /// - Throws: `ImagingError` naming the file for an unreadable, corrupt or oversized image.
  public func loadWithPhoto(path: String) throws -> (input: Tensor, picture: Image, photo: Image) {
    let decoded = try DecodedImage(contentsOfFile: path, limits: limits)
    let loaded = try loadImage(decoded, colorMode: colorMode, targetSize: targetSize, interpolation: interpolation)
    let image = try preprocessing.applied(to: loaded.floatImage())
    return (try modelTensor(image), loaded.image, decoded.converted(to: .rgb))
  }

  /// Several images as one batch `(N, H, W, C)` (they must load to the same size).
  public func load(paths: [String]) throws -> Tensor {
    try Tensor.concatenatingBatches(paths.map(load(path:)))
  }
}

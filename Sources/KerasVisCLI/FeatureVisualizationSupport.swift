import ArgumentParser
import Foundation
import KerasVis

/// The style of activation maximization: keras-vis's or lucid's (lucent's `render_vis`).
enum VisualizationStyle: String, ExpressibleByArgument, CaseIterable {
  case kerasVis = "keras-vis"
  case lucid
}

extension InputMapping {
  /// 0...1 to 0...255, then `mode`'s `preprocess_input` (an affine map per channel).
  static func mapping(for mode: PreprocessMode, channels: Int) -> InputMapping {
    switch mode {
    case .none: return .pixels(channels: channels)
    case .tf: return InputMapping(channels: channels, scale: 255 / 127.5, offset: -1)
    case .caffe:
      let mean: [Float] = [103.939, 116.779, 123.68]
      return InputMapping(
        order: (0..<channels).map { $0 < 3 ? 2 - $0 : $0 }, scale: Array(repeating: 255, count: channels),
        offset: (0..<channels).map { $0 < 3 ? -mean[$0] : 0 })
    case .torch:
      let (mean, std): ([Float], [Float]) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
      return InputMapping(
        order: Array(0..<channels), scale: (0..<channels).map { $0 < 3 ? 1 / std[$0] : 1 },
        offset: (0..<channels).map { $0 < 3 ? -mean[$0] / std[$0] : 0 })
    }
  }
}

/// Shared by `activation --style lucid` and `filters --maximize --style lucid`.
enum LucidRun {
  /// The options for `graph`: its keras.applications preprocessing (or `mode`), `iterations`, `seed`.
  static func options(graph: Graph, mode: PreprocessMode?, iterations: Int?, seed: UInt64, linear: Bool) throws
    -> FeatureVisualizationOptions
  {
    guard let channels = graph.inputs.first?.shape.dimensions.last ?? nil else {
      throw ValidationError("--style lucid needs a model taking images with a fixed number of channels")
    }
    var options = FeatureVisualizationOptions()
    options.iterations = iterations ?? options.iterations
    options.seed = seed
    options.linear = linear
    let resolved = mode ?? PreprocessMode.forModel(named: graph.name) ?? PreprocessMode.none
    if (resolved == .caffe || resolved == .torch) && channels < 3 {
      throw ValidationError("preprocess mode \(resolved.rawValue) needs 3 channels; the model takes \(channels)")
    }
    options.inputMapping = .mapping(for: resolved, channels: channels)
    return options
  }

  /// A `[i/n]` progress line on stderr when it is a terminal, cleared at the end.
  static func progress(label: String, total: Int) -> ((Int) -> Void)? {
    guard isatty(STDERR_FILENO) != 0 else { return nil }
    return { step in
      let width = 30, filled = step * width / max(total, 1)
      let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
      FileHandle.standardError.write(Data("\r\(label) [\(step)/\(total)] \(bar)\u{1B}[K".utf8))
      if step == total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
  }

  /// Sample `n` of an `(N, H, W, C)` batch in 0...1 as an 8-bit picture.
  static func picture(_ images: Tensor, sample n: Int) throws -> Image {
    let (height, width, channels) = (images.shape[1], images.shape[2], images.shape[3])
    guard let format = PixelFormat(channels: channels) else {
      throw ValidationError("the model's input has \(channels) channels; pictures take 1, 2, 3 or 4")
    }
    let size = height * width * channels
    let values = images.scalars[(n * size)..<((n + 1) * size)]
    return try Image(
      width: width, height: height, format: format,
      pixels: values.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) })
  }
}

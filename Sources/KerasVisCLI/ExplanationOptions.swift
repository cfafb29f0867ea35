import ArgumentParser
import Foundation
import KerasVis

/// Options shared by `cam` and `saliency`: what is explained, which inputs, and what is written.
struct ExplanationOptions: ParsableArguments {
  @Option(
    parsing: .unconditional,
    help: "The explained layer: a name or an index into model.layers (negative counts from the end).")
  var layer = "-1"

  @Option(
    name: .customLong("filter"), parsing: .upToNextOption,
    help: "Classes or channels to explain, summed (default: each input's top class).")
  var filters: [Int] = []

  @Option(
    help: ArgumentHelp(
      "A CSV of input,class lines: the class (an index or a --labels name; several: summed) for each input.",
      valueName: "file"))
  var classes: String?

  @Option(help: "ReLU gradient rule: guided, rectified (alias relu, deconv); default: the true gradient.")
  var backpropModifier: BackpropModifier?

  @Option(help: "Gradient modifier (default: none for cam, absolute for saliency).")
  var gradModifier: GradModifierChoice?

  @Flag(help: "Swap the layer's softmax to linear first (keras-vis's advice for the final Dense layer).")
  var linear = false

  @OptionGroup var arithmetic: PrecisionOption

  @OptionGroup var inputChoice: ModelInputChoiceOptions

  @Option(help: ArgumentHelp("Also read the inputs listed in this file, one path per line.", valueName: "file"))
  var inputsFrom: String?

  @Option(
    help: ArgumentHelp(
      "Explain only shard K of N of the inputs (every N-th from the K-th, 0 <= K < N), e.g. $SLURM_ARRAY_TASK_ID/8.",
      valueName: "K/N"))
  var shard: String?

  @Option(
    help: """
      With --method: input files explained in one pass (default 1; on 2 cores a pass of 16 InceptionV3 inputs runs \
      slower per input than 16 passes of one).
      """)
  var inputsPerPass = 1

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

  @Option(help: ArgumentHelp("The heatmap's colormap (matplotlib's).", valueName: "name"))
  var colormap: Colormap = .jet

  @Flag(help: "With --out, add a title strip (class, name, score, method, layer) and a colour bar.")
  var annotate = false

  @Option(help: "With --out, draw the picture N times larger (1...16; the picture enlarged bicubically first).")
  var zoom = 1

  @OptionGroup var labels: LabelsOption

  @Flag(help: #"Print how long each input's explanation took as a JSON line ({"input", "ms"}); tools/bench uses it."#)
  var timings = false

  func validate() throws {
    guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be between 0 and 1") }
    if annotate && out == nil { throw ValidationError("--annotate draws on the --out picture: give --out") }
    guard inputsPerPass > 0 else { throw ValidationError("--inputs-per-pass must be positive") }
    guard (1...16).contains(zoom) else { throw ValidationError("--zoom must be in 1...16 (got \(zoom))") }
    if classes != nil && !filters.isEmpty { throw ValidationError("give --filter or --classes, not both") }
    if let shard {
      do {
        _ = try InputSelection.parseShard(shard)
      } catch {
        throw ValidationError("--shard \(error)")
      }
    }
  }

  /// The gradient modifier: `--grad-modifier`'s, else `value`.
  func gradModifier(default value: GradModifier?) -> GradModifier? {
    gradModifier.map(\.modifier) ?? value
  }

  /// How titles name keras-vis's `method` with these options: `Grad-CAM`, `saliency, guided, linear`.
  func methodTitle(_ method: String) -> String {
    var parts = [method]
    if let backpropModifier { parts.append(backpropModifier.rawValue) }
    if let gradModifier, gradModifier != .none { parts.append(gradModifier.rawValue) }
    if linear { parts.append("linear") }
    return parts.joined(separator: ", ")
  }

  /// The picture settings of `--colormap`, `--alpha`, `--heatmap-only` and `--overlay-size`.
  var style: HeatmapStyle {
    HeatmapStyle(colormap: colormap, alpha: alpha, heatmapOnly: heatmapOnly, size: overlaySize, zoom: zoom)
  }

  /// The input files: the arguments (folders expanded) and `--inputs-from`'s, then `--shard`'s part of them.
  func files(_ arguments: [String]) throws -> [String] {
    do {
      var files = try InputSelection.files(arguments, listFile: inputsFrom)
      if let shard {
        let (index, count) = try InputSelection.parseShard(shard)
        files = InputSelection.shard(files, index: index, count: count)
      }
      return files
    } catch {
      throw ValidationError(inputsFrom.map { _ in "--inputs-from \(error)" } ?? "\(error)")
    }
  }
}

/// Where the output for `input` goes: `path` itself for a single input, else `path/<input name>.<suffix>`.
func outputPath(_ path: String, for input: String, suffix: String, single: Bool) throws -> String {
  if single && !path.hasSuffix("/") { return path }
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  let stem = ((input as NSString).lastPathComponent as NSString).deletingPathExtension
  return (path as NSString).appendingPathComponent("\(stem).\(suffix)")
}

/// The inputs of an explanation command: files, or every PNG/JPEG/.npy in a folder.
func expandInputs(_ arguments: [String]) throws -> [String] {
  do {
    return try InputSelection.files(arguments)
  } catch {
    throw ValidationError("\(error)")
  }
}

import ArgumentParser
import Foundation
import KerasVis

/// `--input` and `--input-value`: for a model with several inputs, which input the image and `.npy` files feed (and
/// whose map is drawn), and the values of the others.
struct ModelInputChoiceOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "For a model with several inputs: the input the files feed and whose map is written (a name or an index; default 0).",
      valueName: "name|index"))
  var input: String?

  @Option(
    help: ArgumentHelp(
      """
      For a model with several inputs: the value of another input, the same for every file (NAME or index = a .npy \
      of one sample or of each file's batch); repeat for each input.
      """, valueName: "NAME=FILE.npy"))
  var inputValue: [String] = []
}

/// The model inputs of an explanation run: the one the files feed, and the fixed values of the others.
struct ModelInputChoice {
  /// The input the files feed and whose map is written.
  let index: Int
  /// The values of the other inputs, by input index (a batch of one sample, or of the files' batch size).
  let values: [Int: Tensor]

  /// Resolves `--input` and reads `--input-value`'s files for `graph`.
  /// - Throws: `ValidationError` naming the flag, the model's inputs and what was given.
  init(_ options: ModelInputChoiceOptions, graph: Graph) throws {
    let inputs = graph.inputs
    let described = inputs.enumerated().map { "\($0.offset): \($0.element.name) \($0.element.shape)" }
      .joined(separator: ", ")
    func resolve(_ reference: String, flag: String) throws -> Int {
      if let index = inputs.firstIndex(where: { $0.name == reference }) { return index }
      if let number = Int(reference), inputs.indices.contains(number < 0 ? number + inputs.count : number) {
        return number < 0 ? number + inputs.count : number
      }
      throw ValidationError(
        "\(flag) \(reference): model '\(graph.name)' has no such input; its inputs are \(described)")
    }
    let index = try options.input.map { try resolve($0, flag: "--input") } ?? 0
    var values: [Int: Tensor] = [:]
    for entry in options.inputValue {
      let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw ValidationError("--input-value expects NAME=FILE.npy, got '\(entry)'")
      }
      let target = try resolve(parts[0], flag: "--input-value")
      guard target != index else {
        throw ValidationError(
          "--input-value \(entry): '\(inputs[target].name)' is the input the files feed (--input); give another input's value"
        )
      }
      var tensor: Tensor
      do {
        tensor = try NPY.read(path: parts[1])
      } catch {
        throw ValidationError("--input-value \(entry): \(error)")
      }
      if tensor.rank == inputs[target].shape.rank - 1 { tensor = try tensor.reshaped([1] + tensor.shape) }
      values[target] = tensor
    }
    let missing = inputs.indices.filter { $0 != index && values[$0] == nil }
    guard missing.isEmpty else {
      let given = options.inputValue.isEmpty ? "none" : options.inputValue.joined(separator: ", ")
      throw ValidationError(
        "model '\(graph.name)' takes \(inputs.count) inputs (\(described)); the files feed "
          + "'\(inputs[index].name)' (--input); expected --input-value NAME=FILE.npy for "
          + missing.map { inputs[$0].name }.joined(separator: ", ") + "; given: \(given)")
    }
    self.index = index
    self.values = values
  }

  /// Every model input for a batch of `fed` (the files' input): the fixed values beside it, a value of one sample
  /// repeated for each of the batch's samples.
  /// - Throws: `ValidationError` when a value's batch fits neither one sample nor the files' batch.
  func inputs(feeding fed: Tensor, count: Int, graph: Graph) throws -> [Tensor] {
    let samples = fed.shape.first ?? 1
    return try (0..<count).map { k -> Tensor in
      if k == index { return fed }
      guard let value = values[k] else { throw ValidationError("no value for input '\(graph.inputs[k].name)'") }
      if value.shape.first == samples { return value }
      guard value.shape.first == 1 else {
        throw ValidationError(
          "--input-value for '\(graph.inputs[k].name)' holds \(value.shape.first ?? 0) samples; the file holds "
            + "\(samples): give one sample or as many")
      }
      return try Tensor.concatenatingBatches(Array(repeating: value, count: samples))
    }
  }
}

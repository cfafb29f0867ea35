import Foundation
import KerasGraph
import KerasRuntime

extension Explainer {
  /// The scores of `count` generated inputs (forward passes only): `fill(i, buffer)` writes input `i` (one sample
  /// of `sampleShape`) and `target(i)` is what it is scored on. Inputs run in equal batches of at most `batchSize`
  /// (see `evenChunk`); a last partial batch is padded with zeros, so one execution plan serves every batch
  /// (building a plan costs more than the padding).
  /// - Parameters:
  ///   - graphOverride: a modified graph to run instead of the explainer's (Ablation-CAM's masked graph), with its
  ///     extra inputs given by `extraInputs(range)`.
  ///   - softmaxOnTop: score `softmax(o)` over the last axis, `o` the model's output (its pre-activation for
  ///     `.logit` targets; a `.probability` target then reads the output as `.output` does), as tf-keras-vis's
  ///     Score-CAM scores `softmax(model.predict(...))`.
  /// - Throws: `KerasVisError` from the targets, `TensorError` from the engine.
  func batchedScores(
    count: Int, batchSize: Int, sampleShape: [Int], target: (Int) -> ExplanationTarget, softmaxOnTop: Bool = false,
    model: CompiledModel? = nil, extraInputs: ((Range<Int>, Int) throws -> [Tensor])? = nil,
    fill: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void
  ) throws -> [Float] {
    guard count > 0 else { return [] }
    guard batchSize > 0 else {
      throw KerasVisError.invalidArgument("the batch size must be positive (got \(batchSize))")
    }
    let (reading, source) = try outputReading(for: [target(0)])
    if model != nil, source.keptLayer != nil {
      throw KerasVisError.invalidArgument("this method scores model outputs only, not a layer's output")
    }
    let compiled =
      try model
      ?? self.model(
        keeping: source.keptLayer.map { [$0] } ?? [], linearLayer: reading.linearLayer, gradients: false)
    let location = try location(of: source)
    let size = sampleShape.reduce(1, *)
    let chunk = evenChunk(count: count, batchSize: batchSize)
    var scores: [Float] = []
    scores.reserveCapacity(count)
    for start in stride(from: 0, to: count, by: chunk) {
      let range = start..<min(start + chunk, count)
      var batch = try Tensor(zeros: [chunk] + sampleShape)
      try batch.withUnsafeMutableBufferPointer { values in
        for (slot, index) in range.enumerated() {
          try fill(index, UnsafeMutableBufferPointer(rebasing: values[(slot * size)..<((slot + 1) * size)]))
        }
      }
      let extra = try extraInputs?(range, chunk) ?? []
      let output = try source.value(in: compiled.run([batch] + extra))
      for (slot, index) in range.enumerated() {
        var read = try output.sample(slot).reshaped(Array(output.shape.dropFirst()))
        if softmaxOnTop {
          read = try softmaxOverLastAxis(read)
        } else if reading.appliesSoftmax {
          read = try squashed(read)
        }
        scores.append(try target(index).evaluate(read, layer: location).score)
      }
    }
    return scores
  }
}

extension Explainer {
  /// The height, width and channels of an image batch `(N, H, W, C)`, what the perturbation methods perturb.
  /// - Throws: `KerasVisError.invalidInput` naming `method` for a 1-D or 3-D model's input.
  func imageSampleShape(_ input: Tensor, method: String) throws -> (height: Int, width: Int, channels: Int) {
    guard input.rank == 4 else {
      throw KerasVisError.invalidInput(
        "\(method) perturbs images (N, H, W, C); this model's input is \(input.shape) (use a gradient method)")
    }
    return (input.shape[1], input.shape[2], input.shape[3])
  }
}

/// The batch size that splits `count` inputs into the fewest batches of at most `batchSize` with the least padding:
/// 20 inputs at 16 run as two batches of 10, 1591 at 32 as 50 batches of 32 (the last padded by 9).
func evenChunk(count: Int, batchSize: Int) -> Int {
  guard count > 0, batchSize > 0 else { return max(batchSize, 1) }
  let batches = (count + batchSize - 1) / batchSize
  return (count + batches - 1) / batches
}

/// `softmax` over the last axis, also for an axis of one element (which gives 1, as Keras's `K.softmax` does).
func softmaxOverLastAxis(_ tensor: Tensor) throws -> Tensor {
  let classes = tensor.shape.last ?? 1
  var values = tensor.scalars
  for start in stride(from: 0, to: values.count, by: max(classes, 1)) {
    let row = start..<(start + classes)
    let largest = values[row].max() ?? 0
    var total: Float = 0
    for i in row {
      values[i] = exp(values[i] - largest)
      total += values[i]
    }
    for i in row { values[i] /= total }
  }
  return try Tensor(shape: tensor.shape, values: values)
}

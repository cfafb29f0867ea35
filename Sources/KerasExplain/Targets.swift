import Foundation
import KerasGraph
import KerasRuntime

/// What an explanation explains: one number per sample, computed from a model output, whose gradient (or whose
/// change under perturbation) the methods use. pytorch-grad-cam calls these `targets`, tf-keras-vis `scores`.
///
/// ```swift
/// .category(281)                              // output[:, 281] as the model computes it
/// .category(281, score: .logit)               // the value before the output layer's softmax
/// .categories([281, 285])                     // output[:, 281] + output[:, 285]
/// .binary(positive: false)                    // -output[:, 0] of a (N, 1) output
/// .custom("margin") { output in ... }         // any score with its gradient
/// ```
///
/// For an output with more axes than `(N, classes)` (e.g. `(N, H, W, classes)`), a class score is the mean over
/// the extra axes, as tf-keras-vis's `CategoricalScore` computes it.
public struct ExplanationTarget: Sendable, CustomStringConvertible {
  /// Which value of the model output a target scores.
  public enum Score: String, Sendable, CaseIterable {
    /// The output as the model computes it (a probability when the model ends in softmax); pytorch-grad-cam's
    /// `ClassifierOutputTarget`.
    case output
    /// The value before the output layer's softmax or sigmoid: that activation is swapped to linear (keras-vis's
    /// `apply_modifications` advice, tf-keras-vis's `ReplaceToLinear`). The same as `output` for a linear output.
    case logit
    /// The probability: the model's own softmax or sigmoid output when it ends in one, else `softmax(output)` over
    /// the last axis (`sigmoid(output)` for one unit), pytorch-grad-cam's `ClassifierOutputSoftmaxTarget`.
    case probability
  }

  /// A score of one sample: its value and its gradient with respect to the sample's output.
  public typealias CustomScore = @Sendable (_ output: Tensor) throws -> (score: Float, gradient: Tensor)

  enum Kind: Sendable {
    case classes([Int])
    case binary(positive: Bool)
    case custom(name: String, function: CustomScore)
  }

  let kind: Kind
  /// Which value of the output is scored.
  public var score: Score
  /// The model output (by position in `model.outputs`) the target reads.
  public var output: Int
  /// The layer whose output the target reads instead of a model output (an address through nested models), nil for
  /// the model output: keras-vis's `layer_idx`, so that a class (or channel) of any layer can be explained. A
  /// channel's score of a feature map is its mean over positions, as keras-vis's `ActivationMaximization` loss.
  public var layer: [Int]?

  /// This target read from the output of the layer at `address` instead of a model output (see `layer`):
  /// `.category(7).reading(layer: [5])` explains channel 7 of layer 5.
  public func reading(layer address: [Int]) -> ExplanationTarget {
    var target = self
    target.layer = address
    return target
  }

  /// The score of class `index` (negative counts from the end), `output[:, index]`.
  public static func category(_ index: Int, score: Score = .output, output: Int = 0) -> ExplanationTarget {
    ExplanationTarget(kind: .classes([index]), score: score, output: output)
  }

  /// The sum of the scores of several classes, `sum_k output[:, k]` (keras-vis's `filter_indices` with more than
  /// one index, up to keras-vis's averaging over the batch).
  public static func categories(_ indices: [Int], score: Score = .output, output: Int = 0) -> ExplanationTarget {
    ExplanationTarget(kind: .classes(indices), score: score, output: output)
  }

  /// A binary classifier's score for its positive class (`output[:, 0]`) or negative class (`-output[:, 0]`), of
  /// a `(N, 1)` output: tf-keras-vis's `BinaryScore`, pytorch-grad-cam's `BinaryClassifierOutputTarget`.
  public static func binary(positive: Bool, score: Score = .output, output: Int = 0) -> ExplanationTarget {
    ExplanationTarget(kind: .binary(positive: positive), score: score, output: output)
  }

  /// A score computed by `function` from one sample's output (its shape without the batch axis), returning the
  /// score and its gradient with respect to that output (the same shape). `score` chooses what `function` sees.
  public static func custom(
    _ name: String, score: Score = .output, output: Int = 0, _ function: @escaping CustomScore
  ) -> ExplanationTarget {
    ExplanationTarget(kind: .custom(name: name, function: function), score: score, output: output)
  }

  /// The classes scored, for class targets.
  public var classIndices: [Int]? {
    if case .classes(let indices) = kind { return indices }
    return nil
  }

  public var description: String {
    let suffix = score == .output ? "" : " (\(score.rawValue))"
    switch kind {
    case .classes(let indices) where indices.count == 1: return "class \(indices[0])\(suffix)"
    case .classes(let indices): return "classes \(indices.map(String.init).joined(separator: "+"))\(suffix)"
    case .binary(let positive): return (positive ? "positive class" : "negative class") + suffix
    case .custom(let name, _): return name + suffix
    }
  }

  /// The score of one sample's output (the output without its batch axis, classes last) and its gradient.
  /// - Throws: `KerasVisError.filterIndexOutOfRange` (naming `layer`) for a class the output does not have,
  ///   `.invalidArgument` for a binary target on an output with more than one unit.
  func evaluate(_ sample: Tensor, layer: LayerLocation) throws -> (score: Float, gradient: Tensor) {
    let values = sample.scalars
    let classes = sample.shape.last ?? 1
    let positions = max(values.count / max(classes, 1), 1)
    switch kind {
    case .classes(let indices):
      var gradient = [Float](repeating: 0, count: values.count)
      var total: Float = 0
      for index in indices {
        let k = index < 0 ? index + classes : index
        guard (0..<classes).contains(k) else {
          throw KerasVisError.filterIndexOutOfRange(index: index, layer: layer, available: classes)
        }
        for position in 0..<positions {
          total += values[position * classes + k] / Float(positions)
          gradient[position * classes + k] += 1 / Float(positions)
        }
      }
      return (total, try Tensor(shape: sample.shape, values: gradient))
    case .binary(let positive):
      guard classes == 1 else {
        throw KerasVisError.invalidArgument(
          "a binary target needs a (N, 1) output; \(layer) outputs \(sample.shape) per sample")
      }
      let sign: Float = positive ? 1 : -1
      let total = values.reduce(0, +) * sign / Float(positions)
      return (
        total, try Tensor(shape: sample.shape, values: [Float](repeating: sign / Float(positions), count: values.count))
      )
    case .custom(let name, let function):
      let (score, gradient) = try function(sample)
      guard gradient.shape == sample.shape else {
        throw KerasVisError.invalidArgument(
          "target '\(name)' returned a gradient of shape \(gradient.shape) for an output of shape \(sample.shape)")
      }
      return (score, gradient)
    }
  }
}

/// How the targets of one request read the compiled model's output.
struct OutputReading: Hashable {
  /// The address of the layer whose activation is swapped to linear, if any.
  var linearLayer: [Int]?
  /// Whether the scores see `softmax(output)` (or `sigmoid` for one unit) computed here.
  var appliesSoftmax: Bool
}

extension Explainer {
  /// The address of the layer that produces model output `output` (inside nested models when a nested model
  /// produces it), or nil when a Keras 3 operation does.
  func outputLayerAddress(_ output: Int) -> [Int]? {
    var current = graph
    guard current.outputs.indices.contains(output) else { return nil }
    var source = current.outputs[output]
    var address: [Int] = []
    while case .layerOutput(let layer, _, let tensor) = source, current.layers.indices.contains(layer) {
      address.append(layer)
      guard let inner = current.layers[layer].nestedGraph else { return address }
      guard inner.outputs.indices.contains(tensor) else { return nil }
      current = inner
      source = inner.outputs[tensor]
    }
    return nil
  }

  /// The location of the layer that produces model output `output`, for messages.
  func outputLocation(_ output: Int) -> LayerLocation {
    if let address = outputLayerAddress(output), let layer = graph.layer(atAddress: address) {
      return LayerLocation(
        path: graph.path(ofAddress: address) ?? layer.name, index: layer.index, className: layer.className)
    }
    return LayerLocation(path: "\(graph.name) output \(output)", index: -1, className: "output")
  }

  /// How `targets` read the output: which activation to swap, whether softmax is applied here, and which tensor
  /// they read.
  /// - Throws: `KerasVisError.invalidArgument` when targets disagree on the score, the output or the layer, the
  ///   output index is out of range, or no layer is at the target's layer address.
  func outputReading(for targets: [ExplanationTarget]) throws -> (reading: OutputReading, source: ScoreSource) {
    guard let first = targets.first else {
      return (OutputReading(linearLayer: nil, appliesSoftmax: false), .output(0))
    }
    guard targets.allSatisfy({ $0.score == first.score && $0.output == first.output && $0.layer == first.layer })
    else {
      throw KerasVisError.invalidArgument(
        "the targets of one request must read the same output the same way (got \(targets.map(\.description)))")
    }
    let source: ScoreSource
    let address: [Int]?
    if let layer = first.layer {
      _ = try layerLocation(layer)
      (source, address) = (.layer(layer), layer)
    } else {
      guard graph.outputs.indices.contains(first.output) else {
        throw KerasVisError.invalidArgument(
          "target output \(first.output) is out of range: the model has \(graph.outputs.count) outputs")
      }
      (source, address) = (.output(first.output), outputLayerAddress(first.output))
    }
    let activation = address.flatMap { graph.activation(ofLayerAt: $0) }
    let squashing = activation == .softmax || activation == .sigmoid
    switch first.score {
    case .output:
      return (OutputReading(linearLayer: nil, appliesSoftmax: false), source)
    case .logit:
      return (OutputReading(linearLayer: squashing ? address : nil, appliesSoftmax: false), source)
    case .probability:
      return (OutputReading(linearLayer: nil, appliesSoftmax: !squashing), source)
    }
  }

  /// The location of what `source` names, for messages.
  func location(of source: ScoreSource) throws -> LayerLocation {
    switch source {
    case .output(let index): return outputLocation(index)
    case .layer(let address): return try layerLocation(address)
    }
  }
}

/// The tensor a request's targets read: a model output, or a layer's output.
enum ScoreSource: Hashable, Sendable {
  /// Model output `index`.
  case output(Int)
  /// The output of the layer at an address through nested models.
  case layer([Int])

  /// The layer the compiled model must keep for this source.
  var keptLayer: LayerOutputKey? {
    if case .layer(let address) = self { return LayerOutputKey(address: address) }
    return nil
  }

  /// The gradient seed's key in a compiled model.
  var tensor: ModelTensor {
    switch self {
    case .output(let index): return .output(index)
    case .layer(let address): return .layer(LayerOutputKey(address: address))
    }
  }

  /// The tensor in a forward result.
  func value(in forward: ForwardResult) throws -> Tensor {
    switch self {
    case .output(let index): return forward.outputs[index]
    case .layer(let address): return try forward.layer(address)
    }
  }
}

/// `softmax` over the last axis (`sigmoid` when it has one element) of a sample's output.
func squashed(_ sample: Tensor) throws -> Tensor {
  let classes = sample.shape.last ?? 1
  var values = sample.scalars
  if classes == 1 {
    for i in values.indices { values[i] = 1 / (1 + exp(-values[i])) }
    return try Tensor(shape: sample.shape, values: values)
  }
  for start in stride(from: 0, to: values.count, by: classes) {
    let row = start..<(start + classes)
    let largest = values[row].max() ?? 0
    var total: Float = 0
    for i in row {
      values[i] = exp(values[i] - largest)
      total += values[i]
    }
    for i in row { values[i] /= total }
  }
  return try Tensor(shape: sample.shape, values: values)
}

/// The gradient with respect to the pre-activation `z` of `gradient` (taken with respect to `p = squashed(z)`):
/// `p * (g - sum(g * p))` per softmax row, `g * p * (1 - p)` for a sigmoid.
func unsquashedGradient(_ gradient: Tensor, probabilities p: Tensor) throws -> Tensor {
  let classes = p.shape.last ?? 1
  let g = gradient.scalars
  let q = p.scalars
  var result = [Float](repeating: 0, count: g.count)
  if classes == 1 {
    for i in g.indices { result[i] = g[i] * q[i] * (1 - q[i]) }
  } else {
    for start in stride(from: 0, to: g.count, by: classes) {
      var dot: Float = 0
      for i in start..<(start + classes) { dot += g[i] * q[i] }
      for i in start..<(start + classes) { result[i] = q[i] * (g[i] - dot) }
    }
  }
  return try Tensor(shape: p.shape, values: result)
}

import Foundation
import KerasGraph
import KerasRuntime

/// A model prepared for explanations: it compiles the model (with the layer outputs an explanation needs kept,
/// and the softmax swapped to linear where asked) once per configuration and reuses it, so that repeated
/// explanations cost one forward and one backward pass each. Thread-safe.
///
/// ```swift
/// let explainer = Explainer(graph: try KerasModelFile.load(path: "inception_v3.h5"))
/// let cam = try explainer.visualizeCam(layerIdx: -1, filterIndices: [281], seedInput: image,
///                                      penultimateLayerIdx: 310)          // (299, 299), values in 0...1
/// ```
///
/// The methods that came after keras-vis (Grad-CAM++, Score-CAM, SmoothGrad, Integrated Gradients, ...) run through
/// `explain(_:with:)`, on batches and nested models:
///
/// ```swift
/// let request = ExplanationRequest(input: batch, targets: [.category(281, score: .logit)])
/// let maps = try explainer.explain(request, with: GradCAMPlusPlus()).maps   // (N, 299, 299)
/// ```
public final class Explainer: @unchecked Sendable {
  /// The model as imported.
  public let graph: Graph
  /// The convolutions' arithmetic in every model the explainer compiles (`.float32`, Keras's, by default).
  public let precision: ConvolutionPrecision

  private struct Key: Hashable {
    var kept: [LayerOutputKey]
    var linearLayer: [Int]?
    var gradients: Bool
    var inputGradients: Bool
  }

  private let lock = NSLock()
  private var compiled: [Key: CompiledModel] = [:]
  private var modified: [String: CompiledModel] = [:]

  /// Prepares `graph` for explanations (nothing is compiled until the first request); `precision: .bfloat16`
  /// makes them about twice as fast and approximate (see `ConvolutionPrecision`).
  public init(graph: Graph, precision: ConvolutionPrecision = .float32) {
    self.graph = graph
    self.precision = precision
  }

  /// The compiled model keeping `layers` (indices into `model.layers`), with the activation of `linearLayer`
  /// swapped to linear when given; `inputGradients: false` when gradients will only be taken with respect to kept
  /// layers (faster: see `CompiledModel.init`).
  func model(keeping layers: [Int], linearLayer: Int?, inputGradients: Bool = true) throws -> CompiledModel {
    try model(
      keeping: layers.map { LayerOutputKey(address: [$0]) }, linearLayer: linearLayer.map { [$0] },
      inputGradients: inputGradients)
  }

  /// The compiled model keeping `kept` (layers addressed through nested models), with the activation of the layer
  /// at `linearLayer` swapped to linear when given; `gradients: false` compiles a forward-only model (with
  /// activations fused, faster) for methods that only run the model forward, `inputGradients: false` one whose
  /// gradients are only taken with respect to kept layers.
  func model(
    keeping kept: [LayerOutputKey], linearLayer: [Int]?, gradients: Bool = true, inputGradients: Bool = true
  ) throws -> CompiledModel {
    let key = Key(
      kept: kept, linearLayer: linearLayer, gradients: gradients, inputGradients: gradients && inputGradients)
    lock.lock()
    defer { lock.unlock() }
    if let existing = compiled[key] { return existing }
    var target = graph
    if let linearLayer { target = try target.replacingActivation(ofLayerAt: linearLayer, with: .linear) }
    let model = CompiledModel(
      graph: target, keeping: key.kept, gradients: gradients, inputGradients: key.inputGradients,
      precision: precision)
    compiled[key] = model
    return model
  }

  /// A compiled modified model (e.g. Ablation-CAM's masked graph), built by `build` the first time `key` is asked.
  func cachedModel(key: String, build: () throws -> CompiledModel) throws -> CompiledModel {
    lock.lock()
    defer { lock.unlock() }
    if let existing = modified[key] { return existing }
    let model = try build()
    modified[key] = model
    return model
  }

  /// Adds a batch axis to a single sample and checks the seed against the model's input.
  /// - Throws: `KerasVisError.invalidInput` for a model with several inputs (this method explains one; the gradient
  ///   and CAM methods take `ExplanationRequest(inputs:)`) or a shape that does not fit.
  func batched(_ seedInput: Tensor) throws -> Tensor {
    guard graph.inputs.count == 1 else {
      throw KerasVisError.invalidInput(
        "this explanation needs a model with one input; model '\(graph.name)' has \(graph.inputs.count) "
          + "(\(graph.inputs.map(\.name).joined(separator: ", ")))")
    }
    return try batched(seedInput, forInput: 0)
  }

  /// `seedInput` for model input `index`, with a batch axis added to a single sample, checked against the input's
  /// shape.
  func batched(_ seedInput: Tensor, forInput index: Int) throws -> Tensor {
    let input = graph.inputs[index]
    var seed = seedInput
    if seed.rank == input.shape.rank - 1 { seed = try seed.reshaped([1] + seed.shape) }
    guard seed.rank == input.shape.rank,
      zip(seed.shape.dropFirst(), input.shape.featureDimensions).allSatisfy({ $1 == nil || $0 == $1 })
    else {
      let named = graph.inputs.count > 1 ? " '\(input.name)' (input \(index))" : ""
      throw KerasVisError.invalidInput("shape \(seedInput.shape) does not fit the model input\(named) \(input.shape)")
    }
    return seed
  }

  /// Refuses a model with several inputs for `method`, which perturbs or masks one input (or, as `work` says,
  /// otherwise works on one input only).
  /// - Throws: `KerasVisError.invalidInput` naming the model's inputs.
  func requireOneInput(_ method: String, work: String = "perturbs one input") throws {
    guard graph.inputs.count == 1 else {
      throw KerasVisError.invalidInput(
        "\(method) \(work); model '\(graph.name)' has \(graph.inputs.count) "
          + "(\(graph.inputs.map(\.name).joined(separator: ", "))): explain it with a gradient or CAM method")
    }
  }

  /// Refuses a channels_first model for `method`, which perturbs channels-last images (or, as `work` says,
  /// otherwise works on one channels-last input only).
  /// - Throws: `KerasVisError.invalidInput` naming the model's input.
  func requireChannelsLastInput(_ method: String, work: String = "perturbs channels-last images") throws {
    try requireOneInput(method, work: work)
    guard graph.channelLayout(ofInput: 0) != .channelsFirst else {
      throw KerasVisError.invalidInput(
        "\(method) \(work); model '\(graph.name)' takes its input '\(graph.inputs[0].name)' "
          + "\(graph.inputs[0].shape) channels_first: explain it with a gradient or CAM method")
    }
  }

  /// Every model input of a request, batched and checked (tf-keras-vis's `_get_seed_inputs_for_multiple_inputs`):
  /// one tensor per model input, in order, with one batch size.
  /// - Throws: `KerasVisError.invalidInput` naming what the model expects and what was given.
  func batchedInputs(_ inputs: [Tensor]) throws -> [Tensor] {
    guard inputs.count == graph.inputs.count else {
      throw KerasVisError.invalidInput(
        "model '\(graph.name)' takes \(graph.inputs.count) inputs (\(graph.inputs.map { "\($0.name) \($0.shape)" }.joined(separator: ", "))); "
          + "the request gives \(inputs.count) (\(inputs.map { "\($0.shape)" }.joined(separator: ", ")))")
    }
    let batches = try inputs.indices.map { try batched(inputs[$0], forInput: $0) }
    if let count = batches.first?.shape[0], let other = batches.first(where: { $0.shape[0] != count }) {
      throw KerasVisError.invalidInput(
        "the inputs of one request must have one batch size: \(count) and \(other.shape[0]) samples")
    }
    return batches
  }

  /// The gradient seed of keras-vis's `ActivationMaximization(layer, filter_indices)` loss with weight -1:
  /// `d/d output` of `sum_f mean(output[..., f])` (mean over the batch and all spatial positions), or of
  /// `mean(output)` when `filterIndices` is nil.
  /// - Throws: `KerasVisError.filterIndexOutOfRange` naming the layer and its output count.
  func activationMaximizationSeed(output: Tensor, filterIndices: [Int]?, layerIdx: Int) throws -> Tensor {
    var seed = try Tensor(zeros: output.shape)
    guard let filterIndices else {
      let share = 1 / Float(output.count)
      seed.withUnsafeMutableBufferPointer { values in for i in values.indices { values[i] = share } }
      return seed
    }
    let channels = output.shape.last ?? 1
    let positions = output.count / max(channels, 1)
    let share = 1 / Float(positions)
    try seed.withUnsafeMutableBufferPointer { values in
      for filter in filterIndices {
        let channel = filter < 0 ? filter + channels : filter
        guard (0..<channels).contains(channel) else {
          throw KerasVisError.filterIndexOutOfRange(
            index: filter, layer: LayerSearch.location(graph, layerIdx), available: channels)
        }
        for position in 0..<positions { values[position * channels + channel] += share }
      }
    }
    return seed
  }

  /// The gradient of keras-vis's activation-maximization objective for `layerIdx`/`filterIndices` with respect to
  /// `target` (the input, or a layer output), with the forward result.
  /// With `topClass`, `filterIndices` is ignored and the filter is the largest output of the first sample at
  /// `layerIdx`, read from the same forward pass (`chosen` reports it): no second compiled model.
  func objectiveGradient(
    seedInput: Tensor, layerIdx: Int, filterIndices: [Int]?, wrtLayer: Int?, linear: Bool, rule: ReLUGradientRule,
    extraKept: [Int] = [], topClass: Bool = false, chosen: ChosenClass? = nil
  ) throws -> (gradient: Tensor, forward: ForwardResult) {
    let (gradients, forward) = try objectiveGradients(
      seedInputs: [try batched(seedInput)], layerIdx: layerIdx, filterIndices: filterIndices, wrtLayer: wrtLayer,
      linear: linear, rule: rule, extraKept: extraKept, topClass: topClass, chosen: chosen)
    return (gradients[0], forward)
  }

  /// `objectiveGradient` for every model input (`seedInputs`, one per model input, batched): the gradients with
  /// respect to each input (or to `wrtLayer`'s output, then one).
  func objectiveGradients(
    seedInputs: [Tensor], layerIdx: Int, filterIndices: [Int]?, wrtLayer: Int?, linear: Bool, rule: ReLUGradientRule,
    extraKept: [Int] = [], topClass: Bool = false, chosen: ChosenClass? = nil
  ) throws -> (gradients: [Tensor], forward: ForwardResult) {
    let inputs = try batchedInputs(seedInputs)
    let kept = Array(Set([layerIdx] + (wrtLayer.map { [$0] } ?? []) + extraKept)).sorted()
    let model = try self.model(keeping: kept, linearLayer: linear ? layerIdx : nil, inputGradients: wrtLayer == nil)
    let targets: [ModelTensor] =
      wrtLayer.map { [.layer(LayerOutputKey(address: [$0]))] } ?? inputs.indices.map { .input($0) }
    let objective = LayerOutputKey(address: [layerIdx])
    let (forward, gradients) = try model.gradients(inputs, targets: targets, rule: rule) { forward in
      guard let output = forward.layers[objective] else { return [:] }
      var filters = filterIndices
      if topClass {
        let top = try self.largestOutput(output, layerIdx: layerIdx)
        chosen?.index = top
        filters = [top]
      }
      if output.rank == 2, let width = output.shape.last {
        chosen?.firstOutput = Array(output.scalars.prefix(width))
      }
      return [
        .layer(objective): try self.activationMaximizationSeed(
          output: output, filterIndices: filters, layerIdx: layerIdx)
      ]
    }
    return (gradients, forward)
  }
}

/// The class an explanation chose from its own forward pass (see `objectiveGradient`'s `topClass`), and the first
/// sample's `(classes)` output row of that pass (empty when the explained layer's output is not `(N, classes)`).
final class ChosenClass {
  var index = 0
  var firstOutput: [Float] = []
}

/// A keras-vis map of the class the model predicts for the first sample.
public struct TopClassMap: Sendable {
  /// The map, as `visualizeCam` or `visualizeSaliency` returns it.
  public var map: Tensor
  /// The explained class: the largest output of the first sample at the explained layer.
  public var topClass: Int
}

extension Explainer {
  /// The output of layer `layerIdx` for `seedInput` (a forward pass with the model the explanations use).
  public func layerOutput(layerIdx: Int, seedInput: Tensor) throws -> Tensor {
    let layer = try LayerSearch.normalizedIndex(layerIdx, in: graph)
    return try model(keeping: [layer], linearLayer: nil).run([try batched(seedInput)]).layer([layer])
  }

  /// The index of the largest output of the first sample at `layerIdx` (the predicted class, for a
  /// `(N, classes)` output), what an explanation targets when no filter is given.
  /// - Throws: `KerasVisError.unsuitableLayer` when the layer's output is not `(N, classes)`.
  public func topClass(layerIdx: Int, seedInput: Tensor) throws -> Int {
    try largestOutput(try layerOutput(layerIdx: layerIdx, seedInput: seedInput), layerIdx: layerIdx)
  }

  /// The index of the largest value of the first sample of a `(N, classes)` layer output.
  /// - Throws: `KerasVisError.unsuitableLayer` when the output is not `(N, classes)`.
  func largestOutput(_ output: Tensor, layerIdx: Int) throws -> Int {
    guard output.rank == 2, let classes = output.shape.last, classes > 0 else {
      let layer = try LayerSearch.normalizedIndex(layerIdx, in: graph)
      throw KerasVisError.unsuitableLayer(
        layer: LayerSearch.location(graph, layer),
        detail: "its output \(output.shape) is not (N, classes): name the filters")
    }
    let first = output.scalars.prefix(classes)
    return first.indices.max { first[$0] < first[$1] } ?? 0
  }
}

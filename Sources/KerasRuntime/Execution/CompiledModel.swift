import Foundation
import KerasGraph

/// A tensor of a model run: a model input, a model output, or a layer's output.
public enum ModelTensor: Hashable, Sendable, CustomStringConvertible {
  /// Model input number `index`.
  case input(Int)
  /// Model output number `index`.
  case output(Int)
  /// The output of a layer the model was compiled to keep.
  case layer(LayerOutputKey)

  public var description: String {
    switch self {
    case .input(let index): return "model input \(index)"
    case .output(let index): return "model output \(index)"
    case .layer(let key): return key.description
    }
  }
}

/// The tensors a forward pass produced.
public struct ForwardResult: Sendable {
  /// The model's outputs, in order.
  public var outputs: [Tensor]
  /// The outputs of the layers the model was compiled to keep.
  public var layers: [LayerOutputKey: Tensor]

  /// The output of the layer at `address` (kept at compile time).
  public func layer(_ address: [Int], tensor: Int = 0) throws -> Tensor {
    guard let value = layers[LayerOutputKey(address: address, tensor: tensor)] else {
      throw TensorError.unknownTap(
        detail:
          "\(LayerOutputKey(address: address, tensor: tensor)) was not kept; compile the model with it in keeping:")
    }
    return value
  }
}

/// A Keras `Graph` ready to run on oneDNN: forward passes for any batch size (and any spatial size the model
/// allows), and backward passes (gradients of any kept tensor with respect to the input or kept layer outputs).
///
/// Plans (primitives, layouts and buffers) are made once per input shape and reused; several threads may call
/// one model at once (each concurrent call gets its own plan).
///
/// ```swift
/// let model = try CompiledModel(graph: graph, keeping: [LayerOutputKey(address: [310])], gradients: true)
/// let probabilities = try model.predict([image])[0]           // (1, 1000)
/// ```
public final class CompiledModel: @unchecked Sendable {
  /// The graph being run.
  public let graph: Graph
  /// The layer outputs kept readable (and usable as gradient seeds or targets).
  public let keptLayers: [LayerOutputKey]
  /// Whether backward passes are supported.
  public let supportsGradients: Bool
  /// Whether backward passes may target the model inputs.
  public let supportsInputGradients: Bool
  /// The convolutions' arithmetic.
  public let precision: ConvolutionPrecision
  /// Layer outputs replaced by inputs given after the model's own (`.input(graph.inputs.count + k)` is
  /// `substitutes[k]`): the model runs from the given values there (their masks still come from the layers'
  /// inputs), so a text model can be explained at its Embedding output.
  public let substitutes: [LayerOutputKey]

  /// How many plans of one input shape may exist at once: as many requests run at the same time, the others wait
  /// for a plan to come free. Each plan holds its own activations (and gradients), so this bounds the memory of
  /// many concurrent requests; oneDNN already spreads one request over every core.
  public let maximumConcurrentPlans: Int

  private let condition = NSCondition()
  private var idlePlans: [[[Int]]: [ExecutionPlan]] = [:]
  private var planCounts: [[[Int]]: Int] = [:]
  /// The weights every plan shares, each prepared once per layout.
  private let weightStore = WeightStore()

  /// Compiles `graph`. Layers in `keeping` keep their own outputs (no fusion hides them); `gradients` enables
  /// backward passes, with respect to the inputs and the kept layers, or with `inputGradients: false` to the kept
  /// layers only (which lets more convolutions use the faster Winograd kernels: only those whose outputs decide
  /// a max pooling's routing in some backward pass must sum as TensorFlow does).
  /// `precision: .bfloat16` trades exactness for speed (see `ConvolutionPrecision`). The outputs of
  /// `substituting` are replaced by extra inputs (see `substitutes`). At most
  /// `maximumConcurrentPlans` requests of one input shape run at once (default: the number of cores, at least 2).
  public init(
    graph: Graph, keeping: [LayerOutputKey] = [], gradients: Bool = false, inputGradients: Bool = true,
    precision: ConvolutionPrecision = .float32, substituting: [LayerOutputKey] = [], maximumConcurrentPlans: Int? = nil
  ) {
    substitutes = substituting
    self.graph = graph
    keptLayers = keeping
    supportsGradients = gradients
    supportsInputGradients = gradients && inputGradients
    self.precision = precision
    self.maximumConcurrentPlans = max(maximumConcurrentPlans ?? max(ProcessInfo.processInfo.activeProcessorCount, 2), 1)
  }

  /// The bytes of prepared weights the model's plans share (for measurements).
  public var preparedWeightBytes: Int { weightStore.byteCount }

  /// The bytes of the activation buffers of the model's idle plans (for measurements): a forward-only plan shares
  /// buffers between values whose lifetimes do not overlap.
  public var activationBytes: Int {
    condition.lock()
    defer { condition.unlock() }
    return idlePlans.values.joined().reduce(0) { $0 + $1.bufferBytes }
  }

  /// The bytes the idle plans' values would take with a buffer each (for measurements).
  public var unsharedActivationBytes: Int {
    condition.lock()
    defer { condition.unlock() }
    return idlePlans.values.joined().reduce(0) { $0 + $1.unsharedBytes }
  }

  /// How many plans the model holds, over every input shape (for measurements).
  public var planCount: Int {
    condition.lock()
    defer { condition.unlock() }
    return planCounts.values.reduce(0, +)
  }

  /// Runs the model on `inputs` (one tensor per model input, batch first) and returns its outputs.
  public func predict(_ inputs: [Tensor]) throws -> [Tensor] {
    try run(inputs).outputs
  }

  /// Runs the model on `inputs`; returns its outputs and the kept layer outputs.
  public func run(_ inputs: [Tensor]) throws -> ForwardResult {
    try withPlan(for: inputs) { plan in
      try plan.forward(inputs)
      return try result(of: plan)
    }
  }

  /// Runs the model forward, then backward: `seeds` computes, from the forward result, the gradient of the
  /// quantity being explained with respect to some tensors (e.g. `d loss / d output`), and the gradients of that
  /// quantity with respect to `targets` are returned, in order. ReLU gradients follow `rule`.
  public func gradients(
    _ inputs: [Tensor], targets: [ModelTensor], rule: ReLUGradientRule = .standard,
    seeds: (ForwardResult) throws -> [ModelTensor: Tensor]
  ) throws -> (forward: ForwardResult, gradients: [Tensor]) {
    guard supportsGradients else {
      throw TensorError.unknownTap(detail: "the model was compiled without gradients (gradients: true)")
    }
    if !supportsInputGradients, targets.contains(where: { if case .input = $0 { true } else { false } }) {
      throw TensorError.unknownTap(detail: "the model was compiled without input gradients (inputGradients: true)")
    }
    return try withPlan(for: inputs) { plan in
      try plan.forward(inputs)
      let forward = try result(of: plan)
      var seedValues: [Int: Tensor] = [:]
      for (tensor, seed) in try seeds(forward) { seedValues[try value(tensor, in: plan)] = seed }
      let gradients = try plan.backward(
        seeds: seedValues, targets: try targets.map { try value($0, in: plan) }, rule: rule)
      return (forward, gradients)
    }
  }

  private func value(_ tensor: ModelTensor, in plan: ExecutionPlan) throws -> Int {
    switch tensor {
    case .input(let index):
      guard plan.inputValues.indices.contains(index) else { throw TensorError.unknownTap(detail: "no \(tensor)") }
      return plan.inputValues[index]
    case .output(let index):
      guard plan.outputValues.indices.contains(index) else { throw TensorError.unknownTap(detail: "no \(tensor)") }
      return plan.outputValues[index]
    case .layer(let key):
      guard let id = plan.taps[key] else {
        throw TensorError.unknownTap(detail: "\(key) was not kept; compile the model with it in keeping:")
      }
      return id
    }
  }

  private func result(of plan: ExecutionPlan) throws -> ForwardResult {
    ForwardResult(outputs: try plan.outputValues.map(plan.read), layers: try plan.taps.mapValues(plan.read))
  }

  /// Gives back the resident pages of the memory-mapped files the graph's weights come from (a native file): the
  /// plan holds the weights in its primitives' layouts now, and a later plan reads the file again.
  private func releaseMappedWeights() {
    var seen = Set<ObjectIdentifier>()
    func visit(_ graph: Graph) {
      for layer in graph.layers {
        for weight in layer.weights {
          if let storage = weight.values.releasableStorage, seen.insert(ObjectIdentifier(storage)).inserted {
            storage.releaseResidentPages()
          }
        }
        if let inner = layer.nestedGraph { visit(inner) }
      }
    }
    visit(graph)
  }

  /// Runs `body` with an idle plan for the input shapes (building one if none is idle and fewer than
  /// `maximumConcurrentPlans` exist, else waiting for one), returning it after.
  private func withPlan<Result>(for inputs: [Tensor], _ body: (ExecutionPlan) throws -> Result) throws -> Result {
    let shapes = inputs.map(\.shape)
    condition.lock()
    var plan = idlePlans[shapes]?.popLast()
    while plan == nil && planCounts[shapes, default: 0] >= maximumConcurrentPlans {
      condition.wait()
      plan = idlePlans[shapes]?.popLast()
    }
    if plan == nil { planCounts[shapes, default: 0] += 1 }
    condition.unlock()
    if plan == nil {
      do {
        plan = try PlanBuilder.build(
          graph: graph, inputShapes: shapes, keep: keptLayers, gradients: supportsGradients,
          inputGradients: supportsInputGradients, precision: precision, substitutes: substitutes,
          weightStore: weightStore)
        releaseMappedWeights()
      } catch {
        condition.lock()
        planCounts[shapes, default: 1] -= 1
        condition.signal()
        condition.unlock()
        throw error
      }
    }
    guard let plan else { throw TensorError.invalidInput(detail: "no plan") }
    defer {
      condition.lock()
      idlePlans[shapes, default: []].append(plan)
      condition.signal()
      condition.unlock()
    }
    return try body(plan)
  }
}

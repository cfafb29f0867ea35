import CDNNL
import CDNNLShim
import Foundation

/// How the gradient passes through ReLU activations during a backward pass (keras-vis's backprop modifiers).
public enum ReLUGradientRule: String, Sendable, CaseIterable {
  /// The true gradient: `dx = dy * (y > 0)`.
  case standard
  /// Guided backpropagation (Springenberg et al., arXiv 1412.6806): `dx = dy * (y > 0) * (dy > 0)`.
  case guided
  /// keras-vis's `rectified` (its `deconv`/`relu` modifiers, after Zeiler & Fergus, arXiv 1311.2901):
  /// `dx = dy * (dy > 0)`, no forward gate.
  case rectified
}

/// A tensor inside an execution plan: its Keras shape, its physical oneDNN layout and its buffer.
final class PlanValue {
  let shape: [Int]
  let desc: MemoryDesc
  /// The layout of the value's gradient: `desc` in float32 (a bfloat16 copy of a value made for a bfloat16
  /// convolution still gets a float32 gradient).
  let gradientDesc: MemoryDesc
  /// Where the value came from, for error messages and debugging.
  let label: String
  /// The value's memory object; it points at `buffer` once the value is bound.
  let memory: DNNLMemory
  private var storage: AlignedBuffer?
  /// Whether the buffer is shared with other values whose lifetimes do not overlap (forward-only plans).
  private(set) var isShared = false
  var gradient: AlignedBuffer?
  var gradientMemory: DNNLMemory?
  /// Whether the current backward pass has written the gradient.
  var gradientWritten = false

  init(shape: [Int], desc: MemoryDesc, label: String, engine: dnnl_engine_t) throws {
    self.shape = shape
    self.desc = desc
    gradientDesc = try Desc.float32(desc)
    self.label = label
    memory = try DNNLMemory(desc: desc, engine: engine, pointer: nil)
  }

  /// The bytes the value's layout takes.
  var byteCount: Int { Desc.byteSize(desc) }

  /// Whether the value has its buffer yet.
  var isBound: Bool { storage != nil }

  /// The value's buffer: its own (zeroed, made on first use) unless the plan bound it to a shared one.
  var buffer: AlignedBuffer {
    if let storage { return storage }
    let own = AlignedBuffer(byteCount: byteCount)
    storage = own
    try? memory.setPointer(own.pointer)
    return own
  }

  /// Binds the value to `shared` (at least `byteCount` bytes), whose other users are not live while it is.
  func bind(shared: AlignedBuffer) throws {
    storage = shared
    isShared = true
    try memory.setPointer(shared.pointer)
  }

  /// Binds the value to its own buffer, if it has none yet.
  func bindOwn() throws {
    guard storage == nil else { return }
    let own = AlignedBuffer(byteCount: byteCount)
    storage = own
    try memory.setPointer(own.pointer)
  }

  /// Whether the layout is Keras's row-major one.
  var isPlain: Bool { (try? Desc.plain(keras: shape)).map { Desc.equal($0, desc) } ?? false }

  var elementCount: Int { shape.reduce(1, *) }
}

/// One operation of a plan: reads `inputs`, writes `outputs` (indices into the plan's values).
class Step {
  /// The layer (or internal operation) the step computes, for error messages.
  let label: String
  var inputs: [Int] = []
  var outputs: [Int] = []
  /// Whether the plan zeroes this step's outputs before it runs when their buffers are shared (set for Swift
  /// kernels; oneDNN primitives overwrite every element).
  var zeroesSharedOutputs = false

  init(label: String) { self.label = label }

  func forward(_ plan: ExecutionPlan) throws {}

  /// Creates what the backward pass needs (once, before the first backward pass).
  func prepareBackward(_ plan: ExecutionPlan) throws {}

  /// Adds the gradients of the inputs, given the gradients of the outputs.
  func backward(_ plan: ExecutionPlan) throws {
    throw TensorError.unknownTap(detail: "\(label): no gradient is implemented for this operation")
  }
}

/// A model lowered to oneDNN primitives and Swift kernels for one set of input shapes: the values with their
/// buffers, and the steps in execution order. Not thread-safe: a plan serves one request at a time.
final class ExecutionPlan {
  let engine: dnnl_engine_t
  let stream: DNNLStream
  var values: [PlanValue]
  var steps: [Step]
  let inputValues: [Int]
  let outputValues: [Int]
  /// The value of every kept layer output, by the key the caller used.
  let taps: [LayerOutputKey: Int]
  let supportsGradients: Bool
  /// The compiled model's prepared weights, shared with its other plans.
  let weightStore: WeightStore
  var reluRule: ReLUGradientRule = .standard
  /// Which steps have created their backward primitives (made on a step's first backward pass, so that a
  /// gradient that stops early, as Grad-CAM's does, never pays for the rest).
  private var preparedSteps: [Bool] = []
  private var scratch = AlignedBuffer(byteCount: 0)
  private var reorders: [[MemoryDesc]: DNNLPrimitive] = [:]
  private var sums: [MemoryDesc: DNNLPrimitive] = [:]

  init(
    engine: dnnl_engine_t, stream: DNNLStream, values: [PlanValue], steps: [Step], inputValues: [Int],
    outputValues: [Int], taps: [LayerOutputKey: Int], supportsGradients: Bool, weightStore: WeightStore
  ) {
    self.engine = engine
    self.stream = stream
    self.values = values
    self.steps = steps
    self.inputValues = inputValues
    self.outputValues = outputValues
    self.taps = taps
    self.supportsGradients = supportsGradients
    self.weightStore = weightStore
  }

  /// The bytes the values would take with a buffer each.
  var unsharedBytes: Int { values.reduce(0) { $0 + $1.byteCount } }

  /// The bytes of the values' buffers, each shared buffer counted once.
  var bufferBytes: Int {
    var seen = Set<ObjectIdentifier>()
    var total = 0
    for value in values where value.isBound {
      let buffer = value.buffer
      if seen.insert(ObjectIdentifier(buffer)).inserted { total += buffer.byteCount }
    }
    return total
  }

  /// Copies `inputs` into the input values and runs every step.
  let profiling = ExecutionProfile.enabled

  func forward(_ inputs: [Tensor]) throws {
    guard inputs.count == inputValues.count else {
      throw TensorError.invalidInput(detail: "the model takes \(inputValues.count) inputs, got \(inputs.count)")
    }
    for (tensor, id) in zip(inputs, inputValues) {
      let value = values[id]
      guard tensor.shape == value.shape else {
        throw TensorError.invalidInput(detail: "input of shape \(tensor.shape) where the plan expects \(value.shape)")
      }
      tensor.withUnsafeBufferPointer { source in
        value.buffer.floats.update(from: source.baseAddress!, count: tensor.count)
      }
    }
    for step in steps {
      let started = profiling ? DispatchTime.now().uptimeNanoseconds : 0
      if step.zeroesSharedOutputs {
        // Swift kernels may accumulate into their output, which a shared buffer's earlier user left non-zero.
        for id in step.outputs where values[id].isShared {
          values[id].buffer.pointer.initializeMemory(as: UInt8.self, repeating: 0, count: values[id].byteCount)
        }
      }
      try step.forward(self)
      if profiling {
        ExecutionProfile.add("forward " + ExecutionProfile.key(step), since: started)
      }
    }
  }

  /// The value `id` as a Keras-layout tensor.
  func read(_ id: Int) throws -> Tensor {
    let value = values[id]
    var result = try Tensor(zeros: value.shape)
    try result.withUnsafeMutableBufferPointer { output in
      try copyToPlain(value.memory, desc: value.desc, shape: value.shape, into: output.baseAddress!)
    }
    return result
  }

  /// Copies a memory of layout `desc` into a row-major buffer of `shape`.
  func copyToPlain(_ memory: DNNLMemory, desc: MemoryDesc, shape: [Int], into output: UnsafeMutablePointer<Float>)
    throws
  {
    let plainDesc = try Desc.plain(keras: shape)
    if Desc.equal(plainDesc, desc) {
      let handle = try dataHandle(memory)
      output.update(from: handle.assumingMemoryBound(to: Float.self), count: shape.reduce(1, *))
      return
    }
    let target = try DNNLMemory(desc: plainDesc, engine: engine, pointer: UnsafeMutableRawPointer(output))
    try cachedReorder(from: desc, to: plainDesc).execute(stream, [(DNNL_ARG_FROM, memory), (DNNL_ARG_TO, target)])
  }

  /// `memory` itself, or a memory object of layout `desc` over its buffer (a plain value seen as rows, see
  /// `Desc.rows`).
  func view(_ memory: DNNLMemory, as desc: MemoryDesc?) throws -> DNNLMemory {
    guard let desc else { return memory }
    return try DNNLMemory(desc: desc, engine: engine, pointer: try dataHandle(memory))
  }

  func dataHandle(_ memory: DNNLMemory) throws -> UnsafeMutableRawPointer {
    var handle: UnsafeMutableRawPointer?
    try check(dnnl_memory_get_data_handle(memory.memory, &handle), "reading a memory handle")
    guard let handle else { throw TensorError.dnnl(operation: "reading a memory handle", status: "no handle") }
    return handle
  }

  // MARK: Backward

  /// Runs the backward pass after `forward`: seeds the gradients of some values (Keras-layout tensors of their
  /// shapes), propagates through every step between the seeds and `targets`, and returns the gradients of the
  /// targets as Keras-layout tensors (zeros where no path leads).
  func backward(seeds: [Int: Tensor], targets: [Int], rule: ReLUGradientRule) throws -> [Tensor] {
    guard supportsGradients else {
      throw TensorError.unknownTap(detail: "the model was compiled without gradients")
    }
    if preparedSteps.count != steps.count { preparedSteps = [Bool](repeating: false, count: steps.count) }
    reluRule = rule
    for value in values { value.gradientWritten = false }
    for (id, seed) in seeds {
      let value = values[id]
      guard seed.shape == value.shape else {
        throw TensorError.invalidShape(shape: seed.shape, detail: "seeds a gradient of a value of shape \(value.shape)")
      }
      var plainSeed = seed
      try plainSeed.withUnsafeMutableBufferPointer { pointer in
        let plainDesc = try Desc.plain(keras: value.shape)
        let source = try DNNLMemory(
          desc: plainDesc, engine: engine, pointer: UnsafeMutableRawPointer(pointer.baseAddress!))
        try accumulateGradient(into: id) { target in
          try self.reorder(source, to: target)
        }
      }
    }
    // Only steps downstream of a target matter.
    var relevant = Set(targets)
    for step in steps where step.inputs.contains(where: relevant.contains) {
      relevant.formUnion(step.outputs)
    }
    // Steps before the earliest target's producer cannot matter (a model input has no producer: run them all).
    let producers = targets.map { target in steps.firstIndex { $0.outputs.contains(target) } }
    let earliest = producers.contains { $0 == nil } ? -1 : producers.compactMap { $0 }.min() ?? -1
    for (position, step) in steps.enumerated().reversed() {
      if position < earliest { break }
      guard step.outputs.contains(where: { values[$0].gradientWritten }),
        step.inputs.contains(where: relevant.contains)
      else { continue }
      if !preparedSteps[position] {
        try step.prepareBackward(self)
        preparedSteps[position] = true
      }
      let started = profiling ? DispatchTime.now().uptimeNanoseconds : 0
      try step.backward(self)
      if profiling {
        ExecutionProfile.add(ExecutionProfile.key(step), since: started)
      }
    }
    return try targets.map { id in
      let value = values[id]
      guard value.gradientWritten, let memory = value.gradientMemory else { return try Tensor(zeros: value.shape) }
      var result = try Tensor(zeros: value.shape)
      try result.withUnsafeMutableBufferPointer { output in
        try copyToPlain(memory, desc: value.gradientDesc, shape: value.shape, into: output.baseAddress!)
      }
      return result
    }
  }

  /// The gradient of value `id`, or nil when the backward pass has not reached it (it is zero).
  func gradient(of id: Int) -> DNNLMemory? {
    values[id].gradientWritten ? values[id].gradientMemory : nil
  }

  /// Adds a gradient contribution to value `id`: `produce` writes the contribution (in the value's layout) into
  /// the memory it is given, which is the gradient itself for the first contribution and scratch space after.
  /// `addInPlace`, when given, adds a later contribution straight into the gradient (`gradient += contribution`)
  /// instead of going through scratch space and a sum.
  func accumulateGradient(
    into id: Int, produce: (DNNLMemory) throws -> Void, addInPlace: ((DNNLMemory) throws -> Void)? = nil
  ) throws {
    let value = values[id]
    if value.gradient == nil {
      let buffer = AlignedBuffer(byteCount: Desc.byteSize(value.gradientDesc))
      value.gradient = buffer
      value.gradientMemory = try DNNLMemory(desc: value.gradientDesc, engine: engine, pointer: buffer.pointer)
    }
    guard let gradient = value.gradient, let gradientMemory = value.gradientMemory else { return }
    if !value.gradientWritten {
      try produce(gradientMemory)
      value.gradientWritten = true
      return
    }
    if let addInPlace {
      try addInPlace(gradientMemory)
      return
    }
    let scratchMemory = try scratchMemory(desc: value.gradientDesc, byteCount: gradient.byteCount)
    try produce(scratchMemory)
    // gradient += scratch, on oneDNN's sum primitive (in place).
    try cachedSum(desc: value.gradientDesc).execute(
      stream,
      [
        (DNNL_ARG_MULTIPLE_SRC, gradientMemory), (DNNL_ARG_MULTIPLE_SRC + 1, scratchMemory),
        (DNNL_ARG_DST, gradientMemory),
      ])
  }

  /// `dst = src0 + src1` for one layout, made once and kept.
  private func cachedSum(desc: MemoryDesc) throws -> DNNLPrimitive {
    if let cached = sums[desc] { return cached }
    let engine = engine
    let created = try DNNLPrimitive(name: "gradient sum") {
      kvdnnl_sum_create($0, engine, desc.handle, 2, [1, 1], handles([desc, desc]), nil)
    }
    sums[desc] = created
    return created
  }

  /// A memory object over the plan's scratch buffer (grown as needed; contents undefined).
  func scratchMemory(desc: MemoryDesc, byteCount: Int) throws -> DNNLMemory {
    if scratch.byteCount < byteCount { scratch = AlignedBuffer(byteCount: byteCount) }
    return try DNNLMemory(desc: desc, engine: engine, pointer: scratch.pointer)
  }

  /// Reorders (or copies) `source` into `target`.
  /// A new float32 buffer holding `source` reordered into `layout` (the Keras layout of a step's weights, recovered
  /// from its primitive's when a backward pass first needs it).
  func reorderedCopy(of source: DNNLMemory, into layout: MemoryDesc) throws -> AlignedBuffer {
    let buffer = AlignedBuffer(byteCount: Desc.byteSize(layout))
    try reorder(source, to: try DNNLMemory(desc: layout, engine: engine, pointer: buffer.pointer))
    try stream.wait()
    return buffer
  }

  func reorder(_ source: DNNLMemory, to target: DNNLMemory) throws {
    if Desc.equal(source.desc, target.desc) {
      let count = Desc.byteSize(source.desc)
      try dataHandle(target).copyMemory(from: dataHandle(source), byteCount: count)
      return
    }
    try cachedReorder(from: source.desc, to: target.desc).execute(
      stream, [(DNNL_ARG_FROM, source), (DNNL_ARG_TO, target)])
  }

  /// A reorder primitive between two layouts, made once per pair and kept.
  func cachedReorder(from source: MemoryDesc, to destination: MemoryDesc) throws -> DNNLPrimitive {
    let key = [source, destination]
    if let cached = reorders[key] { return cached }
    let created = try makeReorder(from: source, to: destination, engine: engine)
    reorders[key] = created
    return created
  }
}

/// A layer output a caller asked to keep: the layer's address through nested models and its output tensor.
public struct LayerOutputKey: Hashable, Sendable, CustomStringConvertible {
  /// Indices through nested models: `[299]`, or `[0, 153]` for layer 153 of the model at index 0.
  public var address: [Int]
  /// Which output of the layer (0 for every single-output layer).
  public var tensor: Int

  public init(address: [Int], tensor: Int = 0) {
    self.address = address
    self.tensor = tensor
  }

  public var description: String {
    "layer " + address.map(String.init).joined(separator: "/") + (tensor == 0 ? "" : " output \(tensor)")
  }
}

/// Time spent per kind of step, collected when the environment sets `KERASVIS_PROFILE` (a development aid that
/// `kerasvis bench` prints); `KERASVIS_PROFILE=steps` times each step on its own.
public enum ExecutionProfile {
  /// Whether profiling is on.
  public static let enabled = ProcessInfo.processInfo.environment["KERASVIS_PROFILE"] != nil
  private static let perStep = ProcessInfo.processInfo.environment["KERASVIS_PROFILE"] == "steps"

  static func key(_ step: Step) -> String {
    perStep ? "\(type(of: step)) \(step.label)" : String(describing: type(of: step))
  }
  private static let lock = NSLock()
  nonisolated(unsafe) private static var milliseconds: [String: Double] = [:]

  static func add(_ name: String, since start: UInt64) {
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    lock.lock()
    milliseconds[name, default: 0] += elapsed
    lock.unlock()
  }

  /// Milliseconds per step kind (`forward ConvolutionStep`, `ConvolutionStep` for backward, ...).
  public static func snapshot() -> [String: Double] {
    lock.lock()
    defer { lock.unlock() }
    return milliseconds
  }
}

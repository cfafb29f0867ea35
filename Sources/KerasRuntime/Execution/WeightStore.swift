import Foundation

/// The weights of one compiled model, prepared once in each layout a primitive asks for and shared by every plan
/// (every input shape and every concurrent request): read-only while primitives run, so plans on several threads
/// read the same buffers.
final class WeightStore: @unchecked Sendable {
  /// What a prepared weight is: the step it belongs to, its role there, and its layout.
  struct Key: Hashable {
    /// The step's label (the call's location in the graph, unique per call).
    var label: String
    /// `forward`, `backward`, `user`: which of the step's copies.
    var role: String
    /// The layout (and data type) of the copy.
    var desc: MemoryDesc
    /// A fingerprint of the values (see `fingerprint(of:)`): one step may hold several weights of one layout (a
    /// Bidirectional RNN's two directions), told apart by their values.
    var fingerprint: Int
  }

  /// A hash of `values`' count and bit patterns: of every value up to 65536 of them, else of 4096 values spread over
  /// them (cheap for the 95 MB of InceptionV3; trained weights of one step and layout differ there).
  static func fingerprint(of values: UnsafeBufferPointer<Float>) -> Int {
    var hasher = Hasher()
    hasher.combine(values.count)
    let stride = values.count <= 65536 ? 1 : max(values.count / 4096, 1)
    for index in Swift.stride(from: 0, to: values.count, by: stride) { hasher.combine(values[index].bitPattern) }
    if let last = values.last { hasher.combine(last.bitPattern) }
    return hasher.finalize()
  }

  private let lock = NSLock()
  private var buffers: [Key: AlignedBuffer] = [:]
  /// The algorithm and layout choices the plans share.
  let choices = PlanChoices()

  /// The buffer for `key`, made by `make` the first time it is asked for.
  func buffer(for key: Key, make: () throws -> AlignedBuffer) rethrows -> AlignedBuffer {
    lock.lock()
    defer { lock.unlock() }
    if let existing = buffers[key] { return existing }
    let made = try make()
    buffers[key] = made
    return made
  }

  /// The bytes held, for measurements.
  var byteCount: Int {
    lock.lock()
    defer { lock.unlock() }
    return buffers.values.reduce(0) { $0 + $1.byteCount }
  }
}

/// Where a step's backward passes find its weights in their Keras layout (to reorder them into the layouts the
/// backward primitives choose, or to flip a kernel): recovered from the forward primitive's copy when a backward pass
/// first needs them, or, where that copy's layout cannot be reordered back (oneDNN's Winograd weights), a shared
/// Keras-layout copy kept from the build.
struct KerasLayoutWeights {
  /// The Keras layout.
  let layout: MemoryDesc
  private let stored: AlignedBuffer?

  /// The source for a step whose weights `values` (laid out as `layout`) the forward primitive holds as `chosen`.
  init(_ values: [Float], label: String, layout: MemoryDesc, chosen: MemoryDesc, builder: PlanBuilder) {
    self.layout = layout
    stored = Desc.isBlocked(chosen) ? nil : builder.sharedUserWeights(values, label: label, desc: layout)
  }

  /// The weights in the Keras layout: the kept copy, or `forward` (the primitive's weights) reordered back into a
  /// transient float32 buffer.
  func weights(from forward: DNNLMemory, plan: ExecutionPlan) throws -> (buffer: AlignedBuffer, desc: MemoryDesc) {
    if let stored { return (stored, layout) }
    return (try plan.reorderedCopy(of: forward, into: layout), layout)
  }
}

/// The choices a plan makes by trying what oneDNN offers (a convolution's Winograd or direct algorithm, the layout
/// of a matrix product), made once per compiled model, by the first plan that needs one, and followed by every
/// other plan: concurrently built plans then compute alike, to the last bit (a plan that made its own choice could
/// pick another algorithm and round differently). Keys name the step and the choice.
final class PlanChoices: @unchecked Sendable {
  private final class Entry {
    let lock = NSLock()
    var value: Int?
  }
  private let lock = NSLock()
  private var entries: [String: Entry] = [:]

  /// The choice recorded for `key`, or the one `decide` makes now (other plans asking for the same key wait for it;
  /// different keys are decided concurrently).
  func choice(_ key: String, decide: () throws -> Int) rethrows -> Int {
    lock.lock()
    let entry = entries[key] ?? Entry()
    entries[key] = entry
    lock.unlock()
    entry.lock.lock()
    defer { entry.lock.unlock() }
    if let value = entry.value { return value }
    let value = try decide()
    entry.value = value
    return value
  }
}

import CDNNL
import Foundation

/// A oneDNN memory descriptor (`dnnl_memory_desc_t`, a plain C struct in oneDNN 2.x).
typealias MemoryDesc = dnnl_memory_desc_t

/// Throws `TensorError.dnnl` unless `status` is `dnnl_success`.
@inline(__always)
func check(_ status: dnnl_status_t, _ operation: @autoclosure () -> String) throws {
  guard status != dnnl_success else { return }
  throw TensorError.dnnl(operation: operation(), status: statusName(status))
}

func statusName(_ status: dnnl_status_t) -> String {
  switch status {
  case dnnl_out_of_memory: return "out of memory"
  case dnnl_invalid_arguments: return "invalid arguments"
  case dnnl_unimplemented: return "unimplemented for these shapes and formats"
  case dnnl_iterator_ends: return "iterator ends"
  case dnnl_runtime_error: return "runtime error"
  case dnnl_not_required: return "not required"
  default: return "status \(status.rawValue)"
  }
}

/// The process-wide oneDNN CPU engine.
final class DNNLEngine: @unchecked Sendable {
  let engine: dnnl_engine_t

  private init() throws {
    var engine: dnnl_engine_t?
    try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
    guard let engine else { throw TensorError.dnnl(operation: "creating the CPU engine", status: "no engine") }
    self.engine = engine
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var cached: DNNLEngine?

  /// The shared engine, created on first use.
  static func shared() throws -> DNNLEngine {
    lock.lock()
    defer { lock.unlock() }
    if let cached { return cached }
    let created = try DNNLEngine()
    cached = created
    return created
  }

  /// A new execution stream (one per execution plan: streams are not shared between threads).
  func makeStream() throws -> DNNLStream { try DNNLStream(engine: engine) }
}

/// A oneDNN stream on the CPU engine.
final class DNNLStream {
  let stream: dnnl_stream_t

  init(engine: dnnl_engine_t) throws {
    var stream: dnnl_stream_t?
    try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
    guard let stream else { throw TensorError.dnnl(operation: "creating a stream", status: "no stream") }
    self.stream = stream
  }

  func wait() throws { try check(dnnl_stream_wait(stream), "waiting for the stream") }

  deinit { dnnl_stream_destroy(stream) }
}

/// Memory descriptor helpers. oneDNN orders logical dimensions `(N, C, spatial...)` whatever the layout;
/// Keras's channels-last tensors are `(N, spatial..., C)` in row-major order.
enum Desc {
  /// The oneDNN logical dimensions of a Keras shape: channels moved to position 1.
  static func dnnlDims(keras shape: [Int]) -> [Int] {
    guard shape.count >= 3 else { return shape }
    return [shape[0], shape[shape.count - 1]] + shape[1..<(shape.count - 1)]
  }

  /// The oneDNN axis of Keras axis `axis` (non-negative) for a tensor of `rank`.
  static func dnnlAxis(keras axis: Int, rank: Int) -> Int {
    guard rank >= 3, axis > 0 else { return axis }
    return axis == rank - 1 ? 1 : axis + 1
  }

  /// The row-major Keras layout of `shape`, described in oneDNN's logical dimension order.
  static func plain(keras shape: [Int]) throws -> MemoryDesc {
    let rank = shape.count
    guard rank >= 1, rank <= Int(DNNL_MAX_NDIMS) else {
      throw TensorError.invalidShape(shape: shape, detail: "has a rank oneDNN cannot describe")
    }
    var kerasStrides = [Int](repeating: 1, count: rank)
    for axis in stride(from: rank - 2, through: 0, by: -1) {
      kerasStrides[axis] = kerasStrides[axis + 1] * shape[axis + 1]
    }
    let dims = dnnlDims(keras: shape)
    let strides = rank >= 3 ? dnnlDims(keras: kerasStrides) : kerasStrides
    return try strided(dims: dims, strides: strides)
  }

  /// A descriptor with explicit strides (in elements).
  static func strided(dims: [Int], strides: [Int]) throws -> MemoryDesc {
    var desc = MemoryDesc()
    let dims64 = dims.map(Int64.init)
    let strides64 = strides.map(Int64.init)
    try check(
      dnnl_memory_desc_init_by_strides(&desc, Int32(dims.count), dims64, dnnl_f32, strides64),
      "describing memory of dims \(dims)")
    return desc
  }

  /// A descriptor with a format tag (`dnnl_format_tag_any` lets a primitive choose), float32 unless `dataType`
  /// says otherwise.
  static func tagged(dims: [Int], tag: dnnl_format_tag_t, dataType: dnnl_data_type_t = dnnl_f32) throws -> MemoryDesc {
    var desc = MemoryDesc()
    let dims64 = dims.map(Int64.init)
    try check(
      dnnl_memory_desc_init_by_tag(&desc, Int32(dims.count), dims64, dataType, tag), "describing memory of dims \(dims)"
    )
    return desc
  }

  /// The same layout holding float32 elements (strides count elements, so they stay valid).
  static func float32(_ desc: MemoryDesc) -> MemoryDesc {
    var copy = desc
    copy.data_type = dnnl_f32
    return copy
  }

  /// The size of the memory a descriptor describes, in bytes (padding included).
  static func byteSize(_ desc: MemoryDesc) -> Int {
    var copy = desc
    return Int(dnnl_memory_desc_get_size(&copy))
  }

  static func equal(_ lhs: MemoryDesc, _ rhs: MemoryDesc) -> Bool {
    var a = lhs
    var b = rhs
    return dnnl_memory_desc_equal(&a, &b) != 0
  }

  /// The descriptor's bytes, a key for caches (equal layouts have equal bytes: oneDNN 2.x descriptors are plain
  /// structs initialised field by field).
  static func key(_ desc: MemoryDesc) -> Data {
    withUnsafeBytes(of: desc) { Data($0) }
  }

  /// Whether two descriptors lay their (possibly different) dimensions out alike: the same blocking and the same
  /// order of dimensions by stride (nhwc vs nChw16c vs nchw), whatever their sizes.
  static func sameLayout(_ lhs: MemoryDesc, _ rhs: MemoryDesc) -> Bool {
    func signature(_ desc: MemoryDesc) -> [Int64]? {
      guard desc.format_kind == dnnl_blocked else { return nil }
      let rank = Int(desc.ndims)
      let blocking = desc.format_desc.blocking
      let strides = withUnsafeBytes(of: blocking.strides) { Array($0.bindMemory(to: Int64.self).prefix(rank)) }
      let order = (0..<rank).sorted { strides[$0] > strides[$1] || (strides[$0] == strides[$1] && $0 < $1) }
      let blockCount = Int(blocking.inner_nblks)
      let blocks = withUnsafeBytes(of: blocking.inner_blks) { Array($0.bindMemory(to: Int64.self).prefix(blockCount)) }
      let indices = withUnsafeBytes(of: blocking.inner_idxs) { Array($0.bindMemory(to: Int64.self).prefix(blockCount)) }
      return [Int64(rank)] + order.map(Int64.init) + blocks + indices
    }
    guard let left = signature(lhs), let right = signature(rhs) else { return false }
    return left == right
  }

  /// The logical dimensions of a descriptor.
  static func dims(_ desc: MemoryDesc) -> [Int] {
    withUnsafeBytes(of: desc.dims) { raw in
      Array(raw.bindMemory(to: Int64.self).prefix(Int(desc.ndims))).map(Int.init)
    }
  }

  /// Whether the descriptor's physical size equals its logical element count (no padded blocks).
  static func isDense(_ desc: MemoryDesc) -> Bool {
    byteSize(desc) == dims(desc).reduce(1, *) * 4
  }
}

/// A oneDNN memory object over a buffer it does not own (the buffer outlives it).
final class DNNLMemory {
  let memory: dnnl_memory_t
  let desc: MemoryDesc

  init(desc: MemoryDesc, engine: dnnl_engine_t, pointer: UnsafeMutableRawPointer?) throws {
    var memory: dnnl_memory_t?
    var copy = desc
    try check(dnnl_memory_create(&memory, &copy, engine, pointer), "creating a memory object")
    guard let memory else { throw TensorError.dnnl(operation: "creating a memory object", status: "no memory") }
    self.memory = memory
    self.desc = desc
  }

  /// Points the memory object at another buffer.
  func setPointer(_ pointer: UnsafeMutableRawPointer) throws {
    try check(dnnl_memory_set_data_handle(memory, pointer), "setting a memory handle")
  }

  deinit { dnnl_memory_destroy(memory) }
}

/// A 64-byte-aligned, zero-initialised byte buffer.
final class AlignedBuffer {
  let pointer: UnsafeMutableRawPointer
  let byteCount: Int

  init(byteCount: Int) {
    self.byteCount = byteCount
    pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 64), alignment: 64)
    pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 64))
  }

  /// A buffer holding a copy of `values`.
  convenience init(copying values: [Float]) {
    self.init(byteCount: values.count * 4)
    values.withUnsafeBufferPointer { source in
      if let base = source.baseAddress { floats.update(from: base, count: source.count) }
    }
  }

  var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }
  var floatCount: Int { byteCount / 4 }

  func zero() { pointer.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount) }

  deinit { pointer.deallocate() }
}

/// A created primitive with its descriptor.
final class DNNLPrimitive {
  let descriptor: dnnl_primitive_desc_t
  let primitive: dnnl_primitive_t
  let name: String

  /// Creates the primitive descriptor and primitive from an operation descriptor.
  convenience init(
    operationDesc: UnsafeRawPointer, attributes: dnnl_primitive_attr_t? = nil, hint: DNNLPrimitive? = nil,
    engine: dnnl_engine_t, name: String
  ) throws {
    var descriptor: dnnl_primitive_desc_t?
    try check(
      dnnl_primitive_desc_create(&descriptor, operationDesc, attributes, engine, hint?.descriptor), "creating \(name)")
    guard let descriptor else { throw TensorError.dnnl(operation: name, status: "no primitive descriptor") }
    try self.init(descriptor: descriptor, name: name)
  }

  /// Takes ownership of a primitive descriptor created elsewhere (concat, sum, reorder).
  init(descriptor: dnnl_primitive_desc_t, name: String) throws {
    var primitive: dnnl_primitive_t?
    let status = dnnl_primitive_create(&primitive, descriptor)
    guard status == dnnl_success, let primitive else {
      dnnl_primitive_desc_destroy(descriptor)
      throw TensorError.dnnl(operation: "creating \(name)", status: statusName(status))
    }
    self.descriptor = descriptor
    self.primitive = primitive
    self.name = name
  }

  /// The memory descriptor the primitive chose for `query` (`dnnl_query_src_md`, ...).
  func desc(_ query: dnnl_query_t, _ index: Int32 = 0) -> MemoryDesc? {
    guard let pointer = dnnl_primitive_desc_query_md(descriptor, query, index) else { return nil }
    return pointer.pointee
  }

  /// Runs the primitive with `(argument, memory)` pairs and waits for it.
  func execute(_ stream: DNNLStream, _ arguments: [(Int32, DNNLMemory)]) throws {
    var args = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
    try check(dnnl_primitive_execute(primitive, stream.stream, Int32(args.count), &args), "running \(name)")
  }

  deinit {
    dnnl_primitive_destroy(primitive)
    dnnl_primitive_desc_destroy(descriptor)
  }
}

/// Primitive attributes with optional post-ops; destroyed with the object.
final class DNNLAttributes {
  let attributes: dnnl_primitive_attr_t

  init() throws {
    var attributes: dnnl_primitive_attr_t?
    try check(dnnl_primitive_attr_create(&attributes), "creating primitive attributes")
    guard let attributes else { throw TensorError.dnnl(operation: "creating primitive attributes", status: "none") }
    self.attributes = attributes
  }

  /// Sets element-wise post-ops, applied in order to the primitive's output.
  func setEltwisePostOps(_ operations: [(algorithm: dnnl_alg_kind_t, alpha: Float, beta: Float)]) throws {
    guard !operations.isEmpty else { return }
    try setPostOps { postOps in
      for operation in operations {
        try check(
          dnnl_post_ops_append_eltwise(postOps, 1, operation.algorithm, operation.alpha, operation.beta),
          "appending an element-wise post-op")
      }
    }
  }

  /// Sets a single `sum` post-op: the primitive adds its result to what its destination holds (`dst += result`).
  func setAccumulatingPostOp() throws {
    try setPostOps { try check(dnnl_post_ops_append_sum($0, 1), "appending a sum post-op") }
  }

  /// Sets the post-ops that `append` adds to a new post-op list.
  private func setPostOps(_ append: (dnnl_post_ops_t?) throws -> Void) throws {
    var postOps: dnnl_post_ops_t?
    try check(dnnl_post_ops_create(&postOps), "creating post-ops")
    defer { dnnl_post_ops_destroy(postOps) }
    try append(postOps)
    try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "setting post-ops")
  }

  deinit { dnnl_primitive_attr_destroy(attributes) }
}

/// Creates a reorder primitive from `source` to `destination` layout.
func makeReorder(from source: MemoryDesc, to destination: MemoryDesc, engine: dnnl_engine_t) throws -> DNNLPrimitive {
  var descriptor: dnnl_primitive_desc_t?
  var sourceCopy = source
  var destinationCopy = destination
  try check(
    dnnl_reorder_primitive_desc_create(&descriptor, &sourceCopy, engine, &destinationCopy, engine, nil),
    "creating a reorder")
  guard let descriptor else { throw TensorError.dnnl(operation: "creating a reorder", status: "none") }
  return try DNNLPrimitive(descriptor: descriptor, name: "reorder")
}

/// Constant data (a bias, per-channel factors) in a buffer with a memory object over it.
func constantMemory(_ values: [Float], desc: MemoryDesc, engine: dnnl_engine_t) throws -> (
  buffer: AlignedBuffer, memory: DNNLMemory
) {
  let buffer = AlignedBuffer(copying: values)
  return (buffer, try DNNLMemory(desc: desc, engine: engine, pointer: buffer.pointer))
}

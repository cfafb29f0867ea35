import CDNNL
import CDNNLShim
import Foundation

/// A oneDNN memory descriptor: an immutable, owned handle from CDNNLShim (oneDNN 3's opaque `dnnl_memory_desc_t`, or
/// a copy of oneDNN 2's struct). Equality is oneDNN's (`dnnl_memory_desc_equal`: equal layouts need no reorder) and
/// the hash agrees with it, so descriptors key the plans' caches of reorders and sums.
final class MemoryDesc: Hashable {
  let handle: kvdnnl_md_t

  /// Takes ownership of `handle`.
  init(owning handle: kvdnnl_md_t) { self.handle = handle }

  /// A CDNNLShim call that creates a descriptor (`kvdnnl_md_create_*`).
  typealias Creation = (UnsafeMutablePointer<kvdnnl_md_t?>) -> dnnl_status_t

  /// Takes ownership of the descriptor `create` makes, or throws its failure (in `operation`).
  convenience init(_ operation: @autoclosure () -> String, _ create: Creation) throws {
    var handle: kvdnnl_md_t?
    try check(create(&handle), operation())
    guard let handle else { throw TensorError.dnnl(operation: operation(), status: "no memory descriptor") }
    self.init(owning: handle)
  }

  static func == (lhs: MemoryDesc, rhs: MemoryDesc) -> Bool {
    lhs === rhs || kvdnnl_md_equal(lhs.handle, rhs.handle) != 0
  }

  func hash(into hasher: inout Hasher) { hasher.combine(kvdnnl_md_hash(handle)) }

  deinit { kvdnnl_md_destroy(handle) }
}

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
  case dnnl_runtime_error: return "runtime error"
  case dnnl_not_required: return "not required"
  default: return "status \(status.rawValue)"
  }
}

/// The process-wide oneDNN CPU engine.
final class DNNLEngine: @unchecked Sendable {
  let engine: dnnl_engine_t

  private init() throws {
    // CDNNLShim's calls are chosen for the oneDNN major version compiled against; the library must be that one.
    let loaded = Int(kvdnnl_version())
    guard loaded / 10000 == Int(KVDNNL_VERSION_MAJOR) else {
      throw TensorError.dnnl(
        operation: "loading oneDNN",
        status: "built for oneDNN \(KVDNNL_VERSION_MAJOR).x, loaded \(loaded / 10000).\(loaded / 100 % 100)")
    }
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

/// A oneDNN stream on the CPU engine, with the scratch memory of the primitives it runs (one at a time).
final class DNNLStream {
  let stream: dnnl_stream_t
  private let engine: dnnl_engine_t
  private var scratchpadBuffer = AlignedBuffer(byteCount: 0)

  init(engine: dnnl_engine_t) throws {
    var stream: dnnl_stream_t?
    try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
    guard let stream else { throw TensorError.dnnl(operation: "creating a stream", status: "no stream") }
    self.stream = stream
    self.engine = engine
  }

  /// Scratch memory of layout `desc` for the next primitive (the stream's buffer, grown as needed; its contents
  /// are undefined).
  func scratchpad(_ desc: MemoryDesc) throws -> DNNLMemory {
    let bytes = Desc.byteSize(desc)
    if scratchpadBuffer.byteCount < bytes { scratchpadBuffer = AlignedBuffer(uninitializedByteCount: bytes) }
    return try DNNLMemory(desc: desc, engine: engine, pointer: scratchpadBuffer.pointer)
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

  /// A row-major tensor of `shape` seen as a matrix `(elements / length, length)`: its last axes (of `length`
  /// elements together) as columns. Operations along those axes (softmax, normalization, per-channel constants) get
  /// oneDNN's optimized 2D kernels this way; described with Keras's channels moved to oneDNN's axis 1, the same
  /// memory often gets only the reference ones.
  static func rows(of shape: [Int], length: Int) throws -> MemoryDesc {
    let count = shape.reduce(1, *)
    return try strided(dims: [count / max(length, 1), length], strides: [length, 1])
  }

  /// A descriptor with explicit strides (in elements).
  static func strided(dims: [Int], strides: [Int]) throws -> MemoryDesc {
    let dims64 = dims.map(Int64.init)
    let strides64 = strides.map(Int64.init)
    return try MemoryDesc("describing memory of dims \(dims)") {
      kvdnnl_md_create_with_strides($0, Int32(dims.count), dims64, dnnl_f32, strides64)
    }
  }

  /// A descriptor with a format tag (`dnnl_format_tag_any` lets a primitive choose), float32 unless `dataType`
  /// says otherwise.
  static func tagged(dims: [Int], tag: dnnl_format_tag_t, dataType: dnnl_data_type_t = dnnl_f32) throws -> MemoryDesc {
    let dims64 = dims.map(Int64.init)
    return try MemoryDesc("describing memory of dims \(dims)") {
      kvdnnl_md_create_with_tag($0, Int32(dims.count), dims64, dataType, tag)
    }
  }

  /// The region of `parent` of size `dims` starting at `offsets`.
  static func submemory(_ parent: MemoryDesc, dims: [Int], offsets: [Int]) throws -> MemoryDesc {
    let dims64 = dims.map(Int64.init)
    let offsets64 = offsets.map(Int64.init)
    return try MemoryDesc("describing a region of dims \(dims)") {
      kvdnnl_md_create_submemory($0, parent.handle, dims64, offsets64)
    }
  }

  /// The same layout holding float32 elements (strides count elements, so they stay valid).
  static func float32(_ desc: MemoryDesc) throws -> MemoryDesc {
    if kvdnnl_md_data_type(desc.handle) == dnnl_f32 { return desc }
    return try MemoryDesc("describing a float32 layout") { kvdnnl_md_create_with_data_type($0, desc.handle, dnnl_f32) }
  }

  /// The size of the memory a descriptor describes, in bytes (padding included).
  static func byteSize(_ desc: MemoryDesc) -> Int { Int(kvdnnl_md_size(desc.handle)) }

  static func equal(_ lhs: MemoryDesc, _ rhs: MemoryDesc) -> Bool { lhs == rhs }

  /// Whether two descriptors lay their (possibly different) dimensions out alike: the same blocking and the same
  /// order of dimensions by stride (nhwc vs nChw16c vs nchw), whatever their sizes.
  static func sameLayout(_ lhs: MemoryDesc, _ rhs: MemoryDesc) -> Bool {
    func signature(_ desc: MemoryDesc) -> [Int64]? {
      let rank = Int(kvdnnl_md_ndims(desc.handle))
      let maxRank = Int(DNNL_MAX_NDIMS)
      var strides = [Int64](repeating: 0, count: maxRank)
      var blocks = [Int64](repeating: 0, count: maxRank)
      var indices = [Int64](repeating: 0, count: maxRank)
      var blockCount: Int32 = 0
      guard kvdnnl_md_blocking(desc.handle, &strides, &blockCount, &blocks, &indices) != 0 else { return nil }
      let order = (0..<rank).sorted { strides[$0] > strides[$1] || (strides[$0] == strides[$1] && $0 < $1) }
      let count = Int(blockCount)
      return [Int64(rank)] + order.map(Int64.init) + blocks.prefix(count) + indices.prefix(count)
    }
    guard let left = signature(lhs), let right = signature(rhs) else { return false }
    return left == right
  }

  /// Whether the descriptor is a blocked layout (plain strided ones included), which oneDNN reorders to and from any
  /// other: false for `any` and opaque layouts such as Winograd's weights.
  static func isBlocked(_ desc: MemoryDesc) -> Bool {
    let maxRank = Int(DNNL_MAX_NDIMS)
    var strides = [Int64](repeating: 0, count: maxRank)
    var blocks = [Int64](repeating: 0, count: maxRank)
    var indices = [Int64](repeating: 0, count: maxRank)
    var blockCount: Int32 = 0
    return kvdnnl_md_blocking(desc.handle, &strides, &blockCount, &blocks, &indices) != 0
  }

  /// The logical dimensions of a descriptor.
  static func dims(_ desc: MemoryDesc) -> [Int] {
    var dims = [Int64](repeating: 0, count: Int(DNNL_MAX_NDIMS))
    kvdnnl_md_dims(desc.handle, &dims)
    return dims.prefix(Int(kvdnnl_md_ndims(desc.handle))).map(Int.init)
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
    try check(kvdnnl_memory_create(&memory, desc.handle, engine, pointer), "creating a memory object")
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

  /// A buffer whose contents are undefined (scratch memory: not zeroed, so its pages are touched only when used).
  init(uninitializedByteCount byteCount: Int) {
    self.byteCount = byteCount
    pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 64), alignment: 64)
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
  /// The layout of the scratch memory the primitive needs at execution (nil: none).
  private let scratchpadDesc: MemoryDesc?

  /// Creates the primitive from the primitive descriptor `create` makes (a CDNNLShim `kvdnnl_*_create` call).
  convenience init(name: String, _ create: (UnsafeMutablePointer<dnnl_primitive_desc_t?>) -> dnnl_status_t) throws {
    var descriptor: dnnl_primitive_desc_t?
    try check(create(&descriptor), "creating \(name)")
    guard let descriptor else { throw TensorError.dnnl(operation: name, status: "no primitive descriptor") }
    try self.init(descriptor: descriptor, name: name)
  }

  /// Takes ownership of a primitive descriptor created elsewhere (by CDNNLShim, with the user scratchpad mode).
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
    scratchpadDesc = kvdnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0).map(
      MemoryDesc.init(owning:)
    ).flatMap { Desc.byteSize($0) > 0 ? $0 : nil }
  }

  /// oneDNN's name for the implementation it chose (`brg:avx512_core`, `gemm:jit`, `ref:any`, ...).
  var implementation: String {
    var name: UnsafePointer<CChar>?
    guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else {
      return ""
    }
    return String(cString: name)
  }

  /// The memory descriptor the primitive chose for `query` (`dnnl_query_src_md`, ...).
  func desc(_ query: dnnl_query_t, _ index: Int32 = 0) -> MemoryDesc? {
    kvdnnl_primitive_desc_query_md(descriptor, query, index).map(MemoryDesc.init(owning:))
  }

  /// Runs the primitive with `(argument, memory)` pairs and waits for it.
  func execute(_ stream: DNNLStream, _ arguments: [(Int32, DNNLMemory)]) throws {
    let scratchpad = try scratchpadDesc.map { try stream.scratchpad($0) }
    var args = (arguments + (scratchpad.map { [(DNNL_ARG_SCRATCHPAD, $0)] } ?? [])).map {
      dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory)
    }
    try check(dnnl_primitive_execute(primitive, stream.stream, Int32(args.count), &args), "running \(name)")
    // OpenMP builds (Debian's, PyPI's onednn-cpu-gomp) run primitives synchronously and this returns at once; a SYCL
    // build only queues them, and Swift code reads the results next.
    try stream.wait()
    // The memory objects (the scratchpad's is made here) must outlive the execution.
    withExtendedLifetime((arguments, scratchpad)) {}
  }

  deinit {
    dnnl_primitive_destroy(primitive)
    dnnl_primitive_desc_destroy(descriptor)
  }
}

/// One operation a primitive applies to its result before writing it (oneDNN's post-ops).
enum DNNLPostOp {
  /// `dst = eltwise(dst)`.
  case eltwise(algorithm: dnnl_alg_kind_t, alpha: Float, beta: Float)
  /// `dst = binary(dst, operand)`, the operand passed at execution (`DNNL_ARG_ATTR_MULTIPLE_POST_OP(i) | SRC_1`).
  case binary(algorithm: dnnl_alg_kind_t, operand: MemoryDesc)
  /// `dst = result + dst`: the primitive adds its result to what its destination holds.
  case sum
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

  /// Attributes with `postOps` (none: plain attributes).
  convenience init(postOps: [DNNLPostOp]) throws {
    try self.init()
    try setPostOps(postOps)
  }

  /// Sets the post-ops, applied in order to the primitive's output.
  func setPostOps(_ operations: [DNNLPostOp]) throws {
    guard !operations.isEmpty else { return }
    var postOps: dnnl_post_ops_t?
    try check(dnnl_post_ops_create(&postOps), "creating post-ops")
    defer { dnnl_post_ops_destroy(postOps) }
    for operation in operations {
      switch operation {
      case .eltwise(let algorithm, let alpha, let beta):
        try check(
          kvdnnl_post_ops_append_eltwise(postOps, algorithm, alpha, beta), "appending an element-wise post-op")
      case .binary(let algorithm, let operand):
        try check(kvdnnl_post_ops_append_binary(postOps, algorithm, operand.handle), "appending a binary post-op")
      case .sum:
        try check(kvdnnl_post_ops_append_sum(postOps), "appending a sum post-op")
      }
    }
    try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "setting post-ops")
  }

  deinit { dnnl_primitive_attr_destroy(attributes) }
}

/// Creates a reorder primitive from `source` to `destination` layout.
func makeReorder(from source: MemoryDesc, to destination: MemoryDesc, engine: dnnl_engine_t) throws -> DNNLPrimitive {
  try DNNLPrimitive(name: "reorder") { kvdnnl_reorder_create($0, engine, source.handle, destination.handle, nil) }
}

/// Constant data (a bias, per-channel factors) in a buffer with a memory object over it.
func constantMemory(_ values: [Float], desc: MemoryDesc, engine: dnnl_engine_t) throws -> (
  buffer: AlignedBuffer, memory: DNNLMemory
) {
  let buffer = AlignedBuffer(copying: values)
  return (buffer, try DNNLMemory(desc: desc, engine: engine, pointer: buffer.pointer))
}

/// The handles of `descs`, for the shim calls that take arrays of descriptors (the descriptors must outlive the use).
func handles(_ descs: [MemoryDesc]) -> [const_kvdnnl_md_t?] { descs.map { Optional($0.handle) } }

import CDNNL
import CDNNLShim

/// A batched matrix inside a row-major tensor, as oneDNN's matmul sees it: einsum letters in `groups` (the batch
/// groups, then the matrix's rows, then its columns), each group one matmul dimension, over a buffer in which letter
/// `l` has extent `sizes[l]` and stride `strides[l]` (elements).
struct LetterView {
  var groups: [[Character]]
  var sizes: [Character: Int]
  var strides: [Character: Int]

  /// The view of a row-major tensor whose axes are `letters`.
  init(groups: [[Character]], letters: [Character], shape: [Int]) {
    self.groups = groups
    sizes = Dictionary(uniqueKeysWithValues: zip(letters, shape))
    strides = Dictionary(uniqueKeysWithValues: zip(letters, PlainKernels.strides(shape)))
  }

  init(groups: [[Character]], sizes: [Character: Int], strides: [Character: Int]) {
    self.groups = groups
    self.sizes = sizes
    self.strides = strides
  }

  /// Every letter, group after group.
  var letters: [Character] { groups.flatMap { $0 } }

  /// The extent of each group (1 for an empty one).
  var dims: [Int] { groups.map { $0.reduce(1) { $0 * (sizes[$1] ?? 1) } } }

  /// The matrix transposed: its two matrix groups swapped.
  var transposed: LetterView {
    var swapped = groups
    swapped.swapAt(groups.count - 2, groups.count - 1)
    return LetterView(groups: swapped, sizes: sizes, strides: strides)
  }

  /// The view with a batch dimension of 1 in front.
  var leadingUnit: LetterView { LetterView(groups: [[]] + groups, sizes: sizes, strides: strides) }

  /// The same letters in a dense row-major buffer of their order (where a staged product copies the view to).
  var canonical: LetterView {
    let order = letters
    let shape = order.map { sizes[$0] ?? 1 }
    return LetterView(groups: groups, letters: order, shape: shape)
  }

  /// The view with all batch groups merged into one (always a dimension of a canonical view).
  var mergingBatch: LetterView {
    LetterView(groups: [Array(groups.dropLast(2).joined())] + groups.suffix(2), sizes: sizes, strides: strides)
  }

  /// The stride of each group when its letters lie as one dimension (each letter's stride that of the next one times
  /// its extent; letters of extent 1 ignored), nil for a group of extent 1 (any stride fits), or nil overall when a
  /// group's letters do not lie that way.
  private var groupStrides: [Int?]? {
    var result: [Int?] = []
    for group in groups {
      let present = group.filter { (sizes[$0] ?? 1) > 1 }
      guard let last = present.last, let lastStride = strides[last] else {
        result.append(nil)
        continue
      }
      for (outer, inner) in zip(present, present.dropFirst()) {
        guard let outerStride = strides[outer], let innerStride = strides[inner],
          outerStride == innerStride * (sizes[inner] ?? 1)
        else { return nil }
      }
      result.append(lastStride)
    }
    return result
  }

  /// Whether `letters`, in that order, lie as one dimension of the view's buffer.
  func liesAsOneDimension(_ letters: [Character]) -> Bool {
    LetterView(groups: [letters, [], []], sizes: sizes, strides: strides).groupStrides != nil
  }

  /// The matmul dimensions' strides over the view's buffer, or nil when some group is not one dimension there.
  /// Groups of extent 1 get strides that keep the matrix plain (row- or column-major) and batches outermost.
  var mergedStrides: [Int]? {
    guard var found = groupStrides else { return nil }
    let count = found.count
    let outer = zip(dims, found).map { ($1 ?? 1) * $0 }.max() ?? 1
    let (rows, columns) = (count - 2, count - 1)
    switch (found[rows], found[columns]) {
    case (nil, nil): (found[rows], found[columns]) = (dims[columns], 1)
    case (nil, let column?): found[rows] = column == 1 ? dims[columns] : 1
    case (let row?, nil): found[columns] = row == 1 ? dims[rows] : 1
    default: break
    }
    return found.map { $0 ?? outer }
  }

  /// The descriptor of the matmul dimensions over the view's buffer (nil as for `mergedStrides`).
  func mergedDesc() throws -> MemoryDesc? {
    guard let strides = mergedStrides else { return nil }
    return try Desc.strided(dims: dims, strides: strides)
  }

  /// The descriptor of every letter (extent and stride) over the view's buffer, for reorders between a view and its
  /// canonical copy.
  func letterDesc() throws -> MemoryDesc {
    let order = letters
    guard !order.isEmpty else { return try Desc.strided(dims: [1], strides: [1]) }
    return try Desc.strided(dims: order.map { sizes[$0] ?? 1 }, strides: order.map { strides[$0] ?? 0 })
  }
}

/// One oneDNN matmul `dst = scale * (src x weights) + bias (+ dst)` between letter views of three buffers. It runs on
/// the buffers themselves when oneDNN has an optimized kernel for their strides (transposing the whole product,
/// `dst^T = weights^T src^T`, where that makes the destination row-major); otherwise it is staged: the operands are
/// reordered into row-major copies first and the result reordered out of one.
final class MatrixProduct {
  /// A view the primitive reads or writes directly, or through a row-major copy in `scratch`.
  private struct Operand {
    let desc: MemoryDesc
    let staging: (reorder: DNNLPrimitive, letters: MemoryDesc, canonicalLetters: MemoryDesc, scratch: AlignedBuffer)?
  }

  private let primitive: DNNLPrimitive
  private let src: Operand
  private let weights: Operand
  private let dst: Operand
  /// Whether the operands trade places (the transposed product).
  private let swapsOperands: Bool
  private let bias: (buffer: AlignedBuffer, memory: DNNLMemory)?
  /// Whether the primitive runs on row-major copies.
  let isStaged: Bool

  /// `bias` holds one value per column of `dst` (broadcast over its rows and batches); `accumulate` adds the product to
  /// what `dst` holds. How it runs is one of `choices` (the compiled model's: every plan runs the product alike).
  init(
    src: LetterView, weights: LetterView, dst: LetterView, scale: Float = 1, bias biasValues: [Float]? = nil,
    accumulate: Bool = false, engine: dnnl_engine_t, label: String, choices: PlanChoices = PlanChoices()
  ) throws {
    func postOps(sum: Bool) -> [DNNLPostOp] {
      (scale == 1 ? [] : [.eltwise(algorithm: dnnl_eltwise_linear, alpha: scale, beta: 0)]) + (sum ? [.sum] : [])
    }
    func biasDesc(columns: Int, rank: Int, transposed: Bool) throws -> MemoryDesc {
      var dims = [Int](repeating: 1, count: rank)
      dims[transposed ? rank - 2 : rank - 1] = columns
      return try Desc.strided(dims: dims, strides: [Int](repeating: 1, count: rank))
    }
    func create(_ src: MemoryDesc, _ weights: MemoryDesc, _ dst: MemoryDesc, bias: MemoryDesc?, sum: Bool) throws
      -> DNNLPrimitive?
    {
      let attributes = try DNNLAttributes(postOps: postOps(sum: sum))
      let created = try? DNNLPrimitive(name: label) {
        kvdnnl_matmul_create($0, engine, src.handle, weights.handle, bias?.handle, dst.handle, attributes.attributes)
      }
      // oneDNN's reference kernel is two orders of magnitude slower than its GEMM ones: staging beats it.
      guard let created, !created.implementation.hasPrefix("ref") else { return nil }
      return created
    }
    let columns = dst.dims.last ?? 1
    // Directly on the buffers, oriented so that the destination's columns are contiguous where that is possible;
    // also tried with a leading batch dimension of 1, for which oneDNN 2.6 and 3.2 choose their brgemm kernels
    // where they choose a slower GEMM for three dimensions with interleaved batches (attention heads).
    typealias Direct = (primitive: DNNLPrimitive, descs: [MemoryDesc], bias: MemoryDesc?)
    let dstStrides = dst.groups.count < Int(DNNL_MAX_NDIMS) ? dst.mergedStrides : nil
    let transpose = dstStrides.map { $0.last != 1 && $0[$0.count - 2] == 1 } ?? false
    func direct(leading: Bool) throws -> Direct? {
      guard dstStrides != nil else { return nil }
      let oriented = transpose ? (weights.transposed, src.transposed, dst.transposed) : (src, weights, dst)
      let (a, b, c) = leading ? (oriented.0.leadingUnit, oriented.1.leadingUnit, oriented.2.leadingUnit) : oriented
      guard let aDesc = try a.mergedDesc(), let bDesc = try b.mergedDesc(), let cDesc = try c.mergedDesc() else {
        return nil
      }
      let biasDesc = try biasValues.map { _ in
        try biasDesc(columns: columns, rank: c.groups.count, transposed: transpose)
      }
      guard let created = try create(aDesc, bDesc, cDesc, bias: biasDesc, sum: accumulate) else { return nil }
      return (created, [aDesc, bDesc, cDesc], biasDesc)
    }
    // 0 and 1: direct without and with the leading dimension; 2: staged. The compiled model's first plan chooses
    // (brgemm if either direct form gets it, else the first direct form oneDNN accepts), the others follow.
    var found: Direct?
    let key = "\(label) \(src.groups) \(src.dims) \(weights.groups) \(weights.dims) \(dst.dims) \(accumulate)"
    let chosen = try choices.choice(key) {
      var best: (index: Int, direct: Direct)?
      for (index, leading) in [false, true].enumerated() {
        guard let candidate = try direct(leading: leading) else { continue }
        let fast = candidate.primitive.implementation.hasPrefix("brg")
        if best == nil || fast { best = (index, candidate) }
        if fast { break }
      }
      found = best?.direct
      return best?.index ?? 2
    }
    if chosen < 2, found == nil { found = try direct(leading: chosen == 1) }
    if chosen < 2, let (created, descs, biasDesc) = found {
      primitive = created
      (self.src, self.weights, self.dst) = (
        Operand(desc: descs[0], staging: nil), Operand(desc: descs[1], staging: nil),
        Operand(desc: descs[2], staging: nil)
      )
      swapsOperands = transpose
      bias = try biasDesc.map { try constantMemory(biasValues ?? [], desc: $0, engine: engine) }
      isStaged = false
      return
    }
    // Staged: row-major copies, every batch letter in one dimension.
    func staged(_ view: LetterView, output: Bool) throws -> Operand {
      let merged = view.mergingBatch
      let canonical = merged.canonical
      let letters = try merged.letterDesc()
      let canonicalLetters = try canonical.letterDesc()
      guard let desc = try canonical.mergedDesc() else {
        throw TensorError.dnnl(operation: label, status: "no row-major layout for the matrix product")
      }
      // Already row-major (a kernel as Keras stores it): read or written in place.
      if let direct = try merged.mergedDesc(), direct == desc { return Operand(desc: desc, staging: nil) }
      let attributes = try DNNLAttributes(postOps: output && accumulate ? [.sum] : [])
      let reorder = try DNNLPrimitive(name: label + " (staging)") {
        kvdnnl_reorder_create(
          $0, engine, (output ? canonicalLetters : letters).handle, (output ? letters : canonicalLetters).handle,
          attributes.attributes)
      }
      return Operand(
        desc: desc, staging: (reorder, letters, canonicalLetters, AlignedBuffer(byteCount: Desc.byteSize(desc))))
    }
    let (a, b, c) = (try staged(src, output: false), try staged(weights, output: false), try staged(dst, output: true))
    let biasDesc = try biasValues.map { _ in try biasDesc(columns: columns, rank: 3, transposed: false) }
    let attributes = try DNNLAttributes(postOps: postOps(sum: accumulate && c.staging == nil))
    primitive = try DNNLPrimitive(name: label) {
      kvdnnl_matmul_create(
        $0, engine, a.desc.handle, b.desc.handle, biasDesc?.handle, c.desc.handle, attributes.attributes)
    }
    (self.src, self.weights, self.dst) = (a, b, c)
    swapsOperands = false
    bias = try biasValues.map { try constantMemory($0, desc: biasDesc!, engine: engine) }
    isStaged = true
  }

  /// Runs the product on the buffers of the views given at creation.
  func run(
    src srcPointer: UnsafeMutableRawPointer, weights weightsPointer: UnsafeMutableRawPointer,
    dst dstPointer: UnsafeMutableRawPointer, engine: dnnl_engine_t, stream: DNNLStream
  ) throws {
    let (a, b) = swapsOperands ? (weightsPointer, srcPointer) : (srcPointer, weightsPointer)
    func input(_ operand: Operand, _ pointer: UnsafeMutableRawPointer) throws -> DNNLMemory {
      guard let staging = operand.staging else {
        return try DNNLMemory(desc: operand.desc, engine: engine, pointer: pointer)
      }
      try staging.reorder.execute(
        stream,
        [
          (DNNL_ARG_FROM, try DNNLMemory(desc: staging.letters, engine: engine, pointer: pointer)),
          (
            DNNL_ARG_TO,
            try DNNLMemory(desc: staging.canonicalLetters, engine: engine, pointer: staging.scratch.pointer)
          ),
        ])
      return try DNNLMemory(desc: operand.desc, engine: engine, pointer: staging.scratch.pointer)
    }
    var arguments: [(Int32, DNNLMemory)] = [
      (DNNL_ARG_SRC, try input(src, a)), (DNNL_ARG_WEIGHTS, try input(weights, b)),
      (
        DNNL_ARG_DST,
        try DNNLMemory(desc: dst.desc, engine: engine, pointer: dst.staging?.scratch.pointer ?? dstPointer)
      ),
    ]
    if let bias { arguments.append((DNNL_ARG_BIAS, bias.memory)) }
    try primitive.execute(stream, arguments)
    if let staging = dst.staging {
      try staging.reorder.execute(
        stream,
        [
          (
            DNNL_ARG_FROM,
            try DNNLMemory(desc: staging.canonicalLetters, engine: engine, pointer: staging.scratch.pointer)
          ),
          (DNNL_ARG_TO, try DNNLMemory(desc: staging.letters, engine: engine, pointer: dstPointer)),
        ])
    }
  }
}

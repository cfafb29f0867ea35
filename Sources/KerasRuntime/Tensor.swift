import Foundation

/// Aligned, reference-counted Float32 storage shared by `Tensor` values until one of them writes.
final class TensorStorage: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>
  let count: Int

  /// Zero-filled storage for `count` floats, 64-byte aligned (what oneDNN's AVX-512 kernels like).
  init(count: Int) {
    self.count = count
    let bytes = max(count, 1) * MemoryLayout<Float>.stride
    let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
  }

  func copy() -> TensorStorage {
    let storage = TensorStorage(count: count)
    storage.pointer.update(from: pointer, count: count)
    return storage
  }

  deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A dense Float32 tensor in row-major order with Keras's channels-last layout: an image batch is
/// `(batch, height, width, channels)` (NHWC), a Dense output `(batch, units)`.
///
/// `Tensor` has value semantics: copies share storage until one of them is written.
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
  /// The dimensions, outermost first (batch first for model inputs and outputs).
  public let shape: [Int]
  var storage: TensorStorage

  /// A zero tensor of `shape`.
  /// - Throws: `TensorError.invalidShape` for a negative dimension or a size that overflows.
  public init(zeros shape: [Int]) throws {
    self.shape = shape
    storage = TensorStorage(count: try Tensor.elementCount(of: shape))
  }

  /// A tensor of `shape` holding `values` in row-major order.
  /// - Throws: `TensorError.invalidShape` when `values.count` is not the product of `shape`.
  public init(shape: [Int], values: [Float]) throws {
    let count = try Tensor.elementCount(of: shape)
    guard values.count == count else {
      throw TensorError.invalidShape(
        shape: shape, detail: "\(values.count) values given for a shape of \(count) elements")
    }
    self.shape = shape
    storage = TensorStorage(count: count)
    values.withUnsafeBufferPointer { source in
      if let base = source.baseAddress { storage.pointer.update(from: base, count: count) }
    }
  }

  /// A tensor of `shape` with every element produced by `value(flatIndex)`.
  public init(shape: [Int], generating value: (Int) -> Float) throws {
    try self.init(zeros: shape)
    for index in 0..<storage.count { storage.pointer[index] = value(index) }
  }

  init(shape: [Int], storage: TensorStorage) {
    self.shape = shape
    self.storage = storage
  }

  /// The number of elements (the product of `shape`).
  public var count: Int { storage.count }

  /// The number of dimensions.
  public var rank: Int { shape.count }

  /// The elements in row-major order.
  public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: storage.count)) }

  /// The element at row-major position `index`.
  public subscript(flat index: Int) -> Float {
    get { storage.pointer[index] }
    set {
      makeUnique()
      storage.pointer[index] = newValue
    }
  }

  /// The element at a multi-dimensional position (one index per dimension).
  public subscript(_ indices: Int...) -> Float {
    var offset = 0
    for (axis, index) in indices.enumerated() { offset = offset * shape[axis] + index }
    return storage.pointer[offset]
  }

  /// Calls `body` with the elements in row-major order.
  public func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result
  {
    try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
  }

  /// Calls `body` with writable access to the elements (copying shared storage first).
  public mutating func withUnsafeMutableBufferPointer<Result>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> Result
  ) rethrows -> Result {
    makeUnique()
    return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
  }

  private mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
  }

  /// The same elements under another shape with the same element count.
  public func reshaped(_ newShape: [Int]) throws -> Tensor {
    guard try Tensor.elementCount(of: newShape) == count else {
      throw TensorError.invalidShape(shape: newShape, detail: "cannot reshape \(shape) (\(count) elements) to it")
    }
    return Tensor(shape: newShape, storage: storage)
  }

  /// The `index`-th entry along the first axis, keeping a batch axis of 1: `sample(2)` of a
  /// `(8, 299, 299, 3)` batch is `(1, 299, 299, 3)`.
  public func sample(_ index: Int) throws -> Tensor {
    guard rank >= 1, (0..<shape[0]).contains(index) else {
      throw TensorError.invalidShape(shape: shape, detail: "has no sample \(index)")
    }
    let size = count / shape[0]
    let result = try Tensor(zeros: [1] + shape.dropFirst())
    result.storage.pointer.update(from: storage.pointer + index * size, count: size)
    return result
  }

  /// Stacks tensors of equal shape `(1, ...)` or `(...)` along a new or the existing first axis:
  /// `(1, H, W, C)` x n gives `(n, H, W, C)`.
  public static func concatenatingBatches(_ parts: [Tensor]) throws -> Tensor {
    guard let first = parts.first else { throw TensorError.invalidShape(shape: [], detail: "no tensors to stack") }
    let inner = Array(first.shape.dropFirst())
    guard parts.allSatisfy({ Array($0.shape.dropFirst()) == inner }) else {
      throw TensorError.invalidShape(
        shape: first.shape, detail: "cannot stack tensors of shapes \(parts.map(\.shape)) along the batch axis")
    }
    let batch = parts.reduce(0) { $0 + ($1.shape.first ?? 1) }
    let result = try Tensor(zeros: [batch] + inner)
    var offset = 0
    for part in parts {
      result.storage.pointer.advanced(by: offset).update(from: part.storage.pointer, count: part.count)
      offset += part.count
    }
    return result
  }

  /// The product of `shape`, checked for negative dimensions and overflow.
  static func elementCount(of shape: [Int]) throws -> Int {
    var product = 1
    for dimension in shape {
      guard dimension >= 0 else { throw TensorError.invalidShape(shape: shape, detail: "has a negative dimension") }
      let (result, overflow) = product.multipliedReportingOverflow(by: dimension)
      guard !overflow, result <= TensorLimits.maxElements else {
        throw TensorError.invalidShape(
          shape: shape, detail: "has more than \(TensorLimits.maxElements) elements (TensorLimits.maxElements)")
      }
      product = result
    }
    return product
  }

  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    lhs.shape == rhs.shape
      && (lhs.storage === rhs.storage || memcmp(lhs.storage.pointer, rhs.storage.pointer, lhs.count * 4) == 0)
  }

  /// `Tensor(shape: [1, 3], first values: [0.1, 0.2, 0.3])`.
  public var description: String {
    let preview = scalars.prefix(6).map { String(format: "%.5g", $0) }.joined(separator: ", ")
    return "Tensor(shape: \(shape), values: [\(preview)\(count > 6 ? ", ..." : "")])"
  }
}

/// Limits that keep hostile shapes from exhausting memory.
public enum TensorLimits {
  /// The largest tensor accepted, in elements (default 2^31, 8 GiB of Float32).
  nonisolated(unsafe) public static var maxElements = 1 << 31
}

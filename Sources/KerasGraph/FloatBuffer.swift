/// Storage whose resident pages can be given back to the system and read again on demand (a memory-mapped file):
/// once a model's weights are reordered into the layouts its primitives use, their file-backed pages are not needed
/// until another plan is built.
public protocol ReleasableStorage: AnyObject {
  /// Gives the resident pages back; later reads fault them in again.
  func releaseResidentPages()
}

/// Immutable Float32 storage for a weight tensor. It either owns its memory or borrows it from an owner
/// object (for example a memory-mapped file) that it keeps alive.
public final class FloatBuffer: @unchecked Sendable, Equatable {
  /// The first element.
  public let baseAddress: UnsafePointer<Float>
  /// The number of elements.
  public let count: Int
  private let owner: AnyObject?
  private let ownsMemory: Bool

  /// Copies `values` into new storage.
  public init(_ values: [Float]) {
    let memory = UnsafeMutablePointer<Float>.allocate(capacity: max(values.count, 1))
    values.withUnsafeBufferPointer { source in
      if let base = source.baseAddress { memory.initialize(from: base, count: source.count) }
    }
    baseAddress = UnsafePointer(memory)
    count = values.count
    owner = nil
    ownsMemory = true
  }

  /// Uses `count` floats at `baseAddress` in place, keeping `owner` alive for as long as this buffer lives.
  public init(borrowing baseAddress: UnsafePointer<Float>, count: Int, owner: AnyObject) {
    self.baseAddress = baseAddress
    self.count = count
    self.owner = owner
    ownsMemory = false
  }

  deinit {
    if ownsMemory { UnsafeMutablePointer(mutating: baseAddress).deallocate() }
  }

  /// The storage this buffer borrows from, when its pages can be released (see `ReleasableStorage`).
  public var releasableStorage: (any ReleasableStorage)? { owner as? any ReleasableStorage }

  /// The elements as a buffer pointer, valid while this object lives.
  public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: baseAddress, count: count) }

  /// A copy of the elements.
  public var array: [Float] { Array(buffer) }

  /// The element at `index`.
  public subscript(index: Int) -> Float { baseAddress[index] }

  public static func == (lhs: FloatBuffer, rhs: FloatBuffer) -> Bool {
    lhs.count == rhs.count && (lhs.baseAddress == rhs.baseAddress || lhs.buffer.elementsEqual(rhs.buffer))
  }
}

/// One weight tensor of a layer, in Keras's layout (e.g. a Conv2D kernel is `(kh, kw, in, out)`).
public struct Weight: Sendable, Equatable {
  /// The weight's role, as Keras names it: `kernel`, `bias`, `gamma`, `moving_mean`, ...
  public var name: String
  /// The dimensions, outermost first.
  public var shape: [Int]
  /// The values in C order.
  public var values: FloatBuffer

  public init(name: String, shape: [Int], values: FloatBuffer) {
    self.name = name
    self.shape = shape
    self.values = values
  }

  /// The number of elements.
  public var elementCount: Int { shape.reduce(1, *) }
}

/// The weight a layer expects, derived from its config and input shape.
public struct WeightSpecification: Sendable, Equatable {
  /// Keras's name for the weight (`kernel`, `bias`, `moving_variance`, ...).
  public var name: String
  /// The expected dimensions.
  public var shape: [Int]
  /// Whether Keras trains the weight (BatchNormalization's moving statistics are not trainable); this decides
  /// where the weight sits in the weight order of a legacy `.h5` nested model.
  public var trainable: Bool

  public init(name: String, shape: [Int], trainable: Bool = true) {
    self.name = name
    self.shape = shape
    self.trainable = trainable
  }
}

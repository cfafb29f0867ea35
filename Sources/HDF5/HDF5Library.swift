import CHDF5
import Foundation

/// Process-wide limits applied while reading HDF5 objects, so that a hostile file cannot make the reader
/// allocate without bound.
public enum HDF5Limits {
  /// Largest number of elements a single dataset or attribute may claim (default 2^28, 1 GiB of Float32: four
  /// times the largest weight of keras.applications, VGG16's 25088 x 4096 `fc1` kernel).
  nonisolated(unsafe) public static var maxElements = 1 << 28
}

/// Serializes access to libhdf5 (the Debian build is not thread-safe) and turns its failures into messages.
enum HDF5Library {
  private static let lock: NSRecursiveLock = {
    let lock = NSRecursiveLock()
    lock.lock()
    _ = H5open()
    kv_h5_silence_errors()
    lock.unlock()
    return lock
  }()

  /// Runs `body` while holding the library lock, with libhdf5's error printing switched off.
  static func withLock<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    kv_h5_silence_errors()
    return try body()
  }

  /// libhdf5's description of the most recent failure on this thread (its error stack, outermost first).
  static func lastErrorMessage() -> String {
    var buffer = [CChar](repeating: 0, count: 1024)
    kv_h5_error_message(&buffer, buffer.count)
    let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    return message.isEmpty ? "unknown HDF5 error" : message
  }
}

/// Owns one HDF5 identifier and closes it with the matching close function.
final class HandleBox: @unchecked Sendable {
  let id: hid_t
  private let close: (hid_t) -> herr_t

  init(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
    self.id = id
    self.close = close
  }

  deinit {
    HDF5Library.withLock { _ = close(id) }
  }
}

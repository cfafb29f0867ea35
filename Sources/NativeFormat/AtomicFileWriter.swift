#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension NativeModelFile {
  /// The temporary file `write` fills before renaming it to `destination`: `.<name>.kerasvis-partial` in the same
  /// folder (the same folder, so that the rename is atomic). A program that wants to clean up when it is
  /// interrupted (as `kerasvis convert` does on SIGINT and SIGTERM) removes this file.
  public static func temporaryPath(for destination: String) -> String {
    let slash = destination.lastIndex(of: "/")
    let folder = slash.map { String(destination[...$0]) } ?? ""
    let name = slash.map { String(destination[destination.index(after: $0)...]) } ?? destination
    return folder + "." + name + ".kerasvis-partial"
  }
}

/// Writes a file through a temporary file in the same folder that is renamed into place on `commit`. The
/// temporary file is locked (`flock`) while it is written, so two writers of one destination cannot mix their
/// bytes.
final class AtomicFileWriter {
  let destination: String
  let temporaryPath: String
  private var descriptor: Int32

  init(destination: String) throws(NativeFormatError) {
    self.destination = destination
    temporaryPath = NativeModelFile.temporaryPath(for: destination)
    descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw .ioFailure(
        file: destination, detail: "cannot create the temporary file \(temporaryPath): \(AtomicFileWriter.lastError)")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      close(descriptor)
      descriptor = -1
      throw .ioFailure(
        file: destination, detail: "another process is writing it (its temporary file \(temporaryPath) is locked)")
    }
    guard ftruncate(descriptor, 0) == 0 else {
      let detail = "cannot truncate the temporary file \(temporaryPath): \(AtomicFileWriter.lastError)"
      abandon()
      throw .ioFailure(file: destination, detail: detail)
    }
  }

  deinit { abandon() }

  static var lastError: String { String(cString: strerror(errno)) }

  /// Appends `bytes`.
  func write(_ bytes: UnsafeRawBufferPointer) throws(NativeFormatError) {
    guard descriptor >= 0 else { throw .ioFailure(file: destination, detail: "the file is already closed") }
    var offset = 0
    while offset < bytes.count {
      guard let base = bytes.baseAddress else { return }
      let written = systemWrite(descriptor, base + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        throw .ioFailure(file: destination, detail: "cannot write \(temporaryPath): \(AtomicFileWriter.lastError)")
      }
      offset += written
    }
  }

  /// Appends `bytes`.
  func write(_ bytes: [UInt8]) throws(NativeFormatError) {
    let result = bytes.withUnsafeBytes { buffer in Result { () throws(NativeFormatError) in try write(buffer) } }
    try result.get()
  }

  /// Flushes the data to disk and renames the temporary file to the destination.
  func commit() throws(NativeFormatError) {
    guard descriptor >= 0 else { throw .ioFailure(file: destination, detail: "the file is already closed") }
    guard fsync(descriptor) == 0 else {
      throw .ioFailure(file: destination, detail: "cannot flush \(temporaryPath): \(AtomicFileWriter.lastError)")
    }
    guard rename(temporaryPath, destination) == 0 else {
      throw .ioFailure(
        file: destination, detail: "cannot rename \(temporaryPath) to the destination: \(AtomicFileWriter.lastError)")
    }
    close(descriptor)
    descriptor = -1
  }

  /// Removes the temporary file (a no-op after `commit`).
  func abandon() {
    guard descriptor >= 0 else { return }
    // Unlink before closing: the lock keeps other writers away until the name is gone.
    unlink(temporaryPath)
    close(descriptor)
    descriptor = -1
  }
}

/// `write(2)`, named apart from the method.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  write(descriptor, buffer, count)
}

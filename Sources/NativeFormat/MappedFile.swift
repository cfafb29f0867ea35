import KerasGraph

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A whole file mapped read-only into memory (`mmap`), unmapped when the last reference goes away. Weights loaded
/// from a native file borrow their memory from this object and keep it alive.
///
/// The mapping is private and read-only: replacing the file (as `kerasvis convert` does, by renaming a new file
/// into place) does not change a loaded model. Truncating the file in place while it is mapped would make reads
/// of the lost pages fault, as with any memory-mapped file.
final class MappedFile: @unchecked Sendable, ReleasableStorage {
  /// The file's path, for error messages.
  let path: String
  /// The mapped bytes (empty for an empty file, which is not mapped).
  let bytes: UnsafeRawBufferPointer

  /// Maps the file at `path`.
  /// - Throws: `NativeFormatError.fileNotFound` or `.ioFailure`.
  init(path: String) throws(NativeFormatError) {
    self.path = path
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
      let code = errno
      if code == ENOENT || code == ENOTDIR { throw .fileNotFound(file: path) }
      throw .ioFailure(file: path, detail: "cannot open the file: \(String(cString: strerror(code)))")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw .ioFailure(file: path, detail: "cannot read the file's size: \(String(cString: strerror(errno)))")
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
      if (status.st_mode & S_IFMT) == S_IFDIR { throw .fileNotFound(file: path) }
      throw .ioFailure(file: path, detail: "not a regular file")
    }
    let size = Int(status.st_size)
    guard size > 0 else {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
      throw .ioFailure(file: path, detail: "cannot map the file into memory: \(String(cString: strerror(errno)))")
    }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  deinit {
    if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
  }

  /// Drops the mapping's resident pages (`madvise(MADV_DONTNEED)` on a read-only private file mapping: the next
  /// read faults them in from the file again).
  func releaseResidentPages() {
    guard let base = bytes.baseAddress else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_DONTNEED)
  }
}

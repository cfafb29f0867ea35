import CHDF5
import Foundation

/// An HDF5 file opened read-only. The file stays open while any `File`, `Group` or `Dataset` from it lives.
public final class File: @unchecked Sendable {
  /// The path the file was opened from (or the name given to an in-memory image), used in error messages.
  public let path: String
  let handle: HandleBox

  /// Opens the HDF5 file at `path` read-only.
  /// - Throws: `HDF5Error.fileNotFound`, `.notHDF5` or `.cannotOpen`.
  public init(path: String) throws {
    self.path = path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
      FileManager.default.isReadableFile(atPath: path)
    else { throw HDF5Error.fileNotFound(file: path) }
    handle = try HDF5Library.withLock {
      if H5Fis_hdf5(path) <= 0 { throw HDF5Error.notHDF5(file: path) }
      let id = H5Fopen(path, kv_h5f_acc_rdonly(), kv_h5p_default())
      guard id >= 0 else {
        throw HDF5Error.cannotOpen(file: path, reason: HDF5Library.lastErrorMessage())
      }
      return HandleBox(id, close: H5Fclose)
    }
  }

  /// Opens an HDF5 file held in memory (for example a member of a zip archive) read-only.
  /// - Parameters:
  ///   - bytes: the complete bytes of the HDF5 file; libhdf5 copies them.
  ///   - name: a name for error messages, e.g. `model.keras:model.weights.h5`.
  public init(image bytes: Data, name: String) throws {
    self.path = name
    let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]
    guard bytes.count >= 8, bytes.prefix(8).elementsEqual(signature) else {
      throw HDF5Error.notHDF5(file: name)
    }
    handle = try HDF5Library.withLock {
      let access = H5Pcreate(kv_h5p_file_access())
      guard access >= 0 else {
        throw HDF5Error.cannotOpen(file: name, reason: HDF5Library.lastErrorMessage())
      }
      defer { H5Pclose(access) }
      let configured = bytes.withUnsafeBytes { raw in
        H5Pset_fapl_core(access, 1 << 16, false) >= 0
          && H5Pset_file_image(access, UnsafeMutableRawPointer(mutating: raw.baseAddress), raw.count) >= 0
      }
      guard configured else {
        throw HDF5Error.cannotOpen(file: name, reason: HDF5Library.lastErrorMessage())
      }
      let id = H5Fopen(name, kv_h5f_acc_rdonly(), access)
      guard id >= 0 else {
        throw HDF5Error.cannotOpen(file: name, reason: HDF5Library.lastErrorMessage())
      }
      return HandleBox(id, close: H5Fclose)
    }
  }

  /// The root group `/`.
  public var root: Group {
    get throws { try Group(file: self, path: "/") }
  }

  /// The group at an absolute or root-relative `path`.
  public func group(_ path: String) throws -> Group {
    try root.group(path)
  }
}

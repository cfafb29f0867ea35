import CHDF5

/// A group inside an open HDF5 file: it holds named links to groups and datasets, and attributes.
public final class Group: AttributeHolder, @unchecked Sendable {
  /// The file this group belongs to.
  public let file: File
  /// The absolute path of the group, e.g. `/model_weights/conv2d_1`.
  public let path: String
  let handle: HandleBox

  init(file: File, path: String) throws {
    self.file = file
    self.path = path
    handle = try HDF5Library.withLock {
      let id = H5Gopen2(file.handle.id, path, kv_h5p_default())
      guard id >= 0 else { throw HDF5Error.missingObject(file: file.path, path: path) }
      return HandleBox(id, close: H5Gclose)
    }
  }

  var objectID: hid_t { handle.id }

  /// The names of the group's direct members (groups and datasets), in HDF5's name order.
  public func memberNames() throws -> [String] {
    try HDF5Library.withLock {
      var info = H5G_info_t()
      guard H5Gget_info(handle.id, &info) >= 0 else {
        throw HDF5Error.readFailed(file: file.path, path: path, reason: HDF5Library.lastErrorMessage())
      }
      var names: [String] = []
      names.reserveCapacity(Int(info.nlinks))
      for index in 0..<info.nlinks {
        let length = H5Lget_name_by_idx(
          handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, kv_h5p_default())
        guard length >= 0 else {
          throw HDF5Error.readFailed(file: file.path, path: path, reason: HDF5Library.lastErrorMessage())
        }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        _ = H5Lget_name_by_idx(
          handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, kv_h5p_default())
        names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
      }
      return names
    }
  }

  /// What kind of object `name` (a path relative to this group) is, or nil if there is none.
  public func memberKind(_ name: String) -> ObjectKind? {
    HDF5Library.withLock {
      guard linkExists(name) else { return nil }
      let id = H5Oopen(handle.id, name, kv_h5p_default())
      guard id >= 0 else { return nil }
      defer { H5Oclose(id) }
      switch H5Iget_type(id) {
      case H5I_GROUP: return .group
      case H5I_DATASET: return .dataset
      default: return .other
      }
    }
  }

  /// Whether a group or dataset exists at `name`, a path relative to this group.
  public func contains(_ name: String) -> Bool {
    HDF5Library.withLock { linkExists(name) }
  }

  /// Checks every component of a relative path, as `H5Lexists` requires.
  private func linkExists(_ name: String) -> Bool {
    var prefix = ""
    for component in name.split(separator: "/", omittingEmptySubsequences: true) {
      prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
      if H5Lexists(handle.id, prefix, kv_h5p_default()) <= 0 { return false }
    }
    return !prefix.isEmpty || name == "/"
  }

  /// The group at `name`, a path relative to this group.
  public func group(_ name: String) throws -> Group {
    guard memberKind(name) == .group else {
      throw HDF5Error.missingObject(file: file.path, path: joined(name))
    }
    return try Group(file: file, path: joined(name))
  }

  /// The dataset at `name`, a path relative to this group.
  public func dataset(_ name: String) throws -> Dataset {
    guard memberKind(name) == .dataset else {
      throw HDF5Error.missingObject(file: file.path, path: joined(name))
    }
    return try Dataset(file: file, path: joined(name))
  }

  /// The absolute path of `name` relative to this group.
  func joined(_ name: String) -> String {
    if name.hasPrefix("/") { return name }
    return path == "/" ? "/" + name : path + "/" + name
  }
}

/// The kind of an object reached through a link.
public enum ObjectKind: Sendable, Equatable {
  case group
  case dataset
  case other
}

import CHDF5

/// A dataset inside an open HDF5 file: an n-dimensional array of numbers (Keras weights).
public final class Dataset: AttributeHolder, @unchecked Sendable {
  /// The file this dataset belongs to.
  public let file: File
  /// The absolute path of the dataset, e.g. `/model_weights/conv2d_1/conv2d_1/kernel:0`.
  public let path: String
  /// The dataset's dimensions, outermost first (HDF5's C order); empty for a scalar.
  public let shape: [Int]
  /// The stored element type.
  public let elementType: ElementType
  let handle: HandleBox

  init(file: File, path: String) throws {
    self.file = file
    self.path = path
    (handle, shape, elementType) = try HDF5Library.withLock {
      let id = H5Dopen2(file.handle.id, path, kv_h5p_default())
      guard id >= 0 else { throw HDF5Error.missingObject(file: file.path, path: path) }
      let box = HandleBox(id, close: H5Dclose)
      let space = H5Dget_space(id)
      guard space >= 0 else {
        throw HDF5Error.readFailed(file: file.path, path: path, reason: HDF5Library.lastErrorMessage())
      }
      defer { H5Sclose(space) }
      let shape = try readExtent(space: space, file: file.path, path: path)
      let type = H5Dget_type(id)
      guard type >= 0 else {
        throw HDF5Error.readFailed(file: file.path, path: path, reason: HDF5Library.lastErrorMessage())
      }
      defer { H5Tclose(type) }
      return (box, shape, ElementType(type: type))
    }
  }

  var objectID: hid_t { handle.id }

  /// The number of elements (the product of `shape`; 1 for a scalar).
  public var elementCount: Int { shape.reduce(1, *) }

  /// Reads the whole dataset as Float32, converting from float16, float64 or integer storage.
  /// - Returns: the values in C order (last dimension fastest); `shape` gives the dimensions.
  /// - Parameter maxElements: refuse datasets with more elements than this (default `HDF5Limits.maxElements`).
  /// - Throws: `HDF5Error.unsupportedType` for strings and compound types, `.tooLarge` past
  ///   `maxElements`, `.readFailed` when libhdf5 cannot read the data.
  public func readFloats(maxElements: Int = HDF5Limits.maxElements) throws -> [Float] {
    guard elementType.isNumeric else {
      throw HDF5Error.unsupportedType(
        file: file.path, path: path, detail: "holds \(elementType), expected numbers")
    }
    let count = elementCount
    guard count <= maxElements else {
      throw HDF5Error.tooLarge(file: file.path, path: path, elements: count, limit: maxElements)
    }
    return try HDF5Library.withLock {
      var values = [Float](repeating: 0, count: count)
      let status = values.withUnsafeMutableBytes { raw in
        H5Dread(handle.id, kv_h5t_native_float(), kv_h5s_all(), kv_h5s_all(), kv_h5p_default(), raw.baseAddress)
      }
      guard status >= 0 else {
        throw HDF5Error.readFailed(file: file.path, path: path, reason: HDF5Library.lastErrorMessage())
      }
      return values
    }
  }
}

/// The stored type of a dataset's or attribute's elements.
public enum ElementType: Sendable, Equatable, CustomStringConvertible {
  case float(bits: Int)
  case integer(bits: Int, signed: Bool)
  case string(variableLength: Bool)
  case other(String)

  init(type: hid_t) {
    let size = H5Tget_size(type) * 8
    switch H5Tget_class(type) {
    case H5T_FLOAT: self = .float(bits: size)
    case H5T_INTEGER: self = .integer(bits: size, signed: H5Tget_sign(type) != H5T_SGN_NONE)
    case H5T_STRING: self = .string(variableLength: H5Tis_variable_str(type) > 0)
    case H5T_ENUM: self = .other("enum")
    case H5T_COMPOUND: self = .other("compound")
    default: self = .other("type class \(H5Tget_class(type).rawValue)")
    }
  }

  /// Whether the values convert to Float32.
  public var isNumeric: Bool {
    switch self {
    case .float, .integer: return true
    case .string, .other: return false
    }
  }

  public var description: String {
    switch self {
    case .float(let bits): return "float\(bits)"
    case .integer(let bits, let signed): return signed ? "int\(bits)" : "uint\(bits)"
    case .string(let variable): return variable ? "variable-length strings" : "fixed-length strings"
    case .other(let name): return name
    }
  }
}

/// Reads a dataspace's dimensions, refusing extents that overflow `Int`.
func readExtent(space: hid_t, file: String, path: String) throws -> [Int] {
  let rank = H5Sget_simple_extent_ndims(space)
  guard rank >= 0, rank <= 32 else {
    throw HDF5Error.readFailed(file: file, path: path, reason: "invalid rank \(rank)")
  }
  var dims = [hsize_t](repeating: 0, count: Int(rank))
  if rank > 0 { H5Sget_simple_extent_dims(space, &dims, nil) }
  var total = 1
  for dim in dims {
    guard dim <= hsize_t(Int.max) else {
      throw HDF5Error.tooLarge(file: file, path: path, elements: Int.max, limit: HDF5Limits.maxElements)
    }
    let (product, overflow) = total.multipliedReportingOverflow(by: Int(dim))
    guard !overflow else {
      throw HDF5Error.tooLarge(file: file, path: path, elements: Int.max, limit: HDF5Limits.maxElements)
    }
    total = product
  }
  return dims.map { Int($0) }
}

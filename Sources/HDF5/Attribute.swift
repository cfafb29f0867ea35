import CHDF5

/// The decoded value of an HDF5 attribute.
public enum AttributeValue: Sendable, Equatable {
  /// Strings (variable- or fixed-length, scalar or array); `isScalar` is true for a scalar dataspace.
  case strings([String], isScalar: Bool)
  /// Integers of any width, widened to Int64.
  case integers([Int64], shape: [Int])
  /// Floating-point values of any width, widened to Double.
  case floats([Double], shape: [Int])

  /// The value as one string: a scalar string, or a one-element string array.
  public var string: String? {
    if case .strings(let values, _) = self, values.count == 1 { return values[0] }
    return nil
  }

  /// The value as a list of strings (a scalar string gives a one-element list).
  public var stringArray: [String]? {
    if case .strings(let values, _) = self { return values }
    return nil
  }
}

/// Something that carries HDF5 attributes: a group or a dataset.
public protocol AttributeHolder: AnyObject {
  /// The file the object belongs to.
  var file: File { get }
  /// The object's absolute path inside the file.
  var path: String { get }
}

protocol AttributeHolderInternal: AttributeHolder {
  var objectID: hid_t { get }
}

extension Group: AttributeHolderInternal {}
extension Dataset: AttributeHolderInternal {}

extension AttributeHolder {
  private var internalID: hid_t {
    (self as? any AttributeHolderInternal)?.objectID ?? -1
  }

  /// Whether the object has an attribute called `name`.
  public func hasAttribute(_ name: String) -> Bool {
    HDF5Library.withLock { H5Aexists(internalID, name) > 0 }
  }

  /// The names of all the object's attributes, in creation or name order as libhdf5 reports them.
  public func attributeNames() throws -> [String] {
    try HDF5Library.withLock {
      let collector = NameCollector()
      var index: hsize_t = 0
      let status = withExtendedLifetime(collector) {
        H5Aiterate2(
          internalID, H5_INDEX_NAME, H5_ITER_INC, &index,
          { _, name, _, context in
            guard let name, let context else { return 0 }
            Unmanaged<NameCollector>.fromOpaque(context).takeUnretainedValue().names.append(String(cString: name))
            return 0
          }, Unmanaged.passUnretained(collector).toOpaque())
      }
      guard status >= 0 else {
        throw HDF5Error.readFailed(file: file.path, path: path, reason: HDF5Library.lastErrorMessage())
      }
      return collector.names
    }
  }

  /// Reads the attribute `name`.
  /// - Throws: `HDF5Error.missingObject` if there is none, `.unsupportedType` for types other than strings
  ///   and numbers, `.readFailed` if libhdf5 fails.
  public func attribute(_ name: String) throws -> AttributeValue {
    try HDF5Library.withLock {
      let attributePath = "\(path == "/" ? "" : path)@\(name)"
      guard H5Aexists(internalID, name) > 0 else {
        throw HDF5Error.missingObject(file: file.path, path: attributePath)
      }
      let attribute = H5Aopen(internalID, name, kv_h5p_default())
      guard attribute >= 0 else {
        throw HDF5Error.readFailed(file: file.path, path: attributePath, reason: HDF5Library.lastErrorMessage())
      }
      defer { H5Aclose(attribute) }
      let space = H5Aget_space(attribute)
      let type = H5Aget_type(attribute)
      defer {
        if space >= 0 { H5Sclose(space) }
        if type >= 0 { H5Tclose(type) }
      }
      guard space >= 0, type >= 0 else {
        throw HDF5Error.readFailed(file: file.path, path: attributePath, reason: HDF5Library.lastErrorMessage())
      }
      let shape = try readExtent(space: space, file: file.path, path: attributePath)
      let count = shape.reduce(1, *)
      guard count <= HDF5Limits.maxElements else {
        throw HDF5Error.tooLarge(file: file.path, path: attributePath, elements: count, limit: HDF5Limits.maxElements)
      }
      let failure = {
        HDF5Error.readFailed(file: self.file.path, path: attributePath, reason: HDF5Library.lastErrorMessage())
      }
      switch H5Tget_class(type) {
      case H5T_STRING:
        let strings = try readStrings(attribute: attribute, type: type, count: count, failure: failure)
        return .strings(strings, isScalar: shape.isEmpty)
      case H5T_INTEGER:
        var values = [Int64](repeating: 0, count: count)
        guard H5Aread(attribute, kv_h5t_native_int64(), &values) >= 0 else { throw failure() }
        return .integers(values, shape: shape)
      case H5T_FLOAT:
        var values = [Double](repeating: 0, count: count)
        guard H5Aread(attribute, kv_h5t_native_double(), &values) >= 0 else { throw failure() }
        return .floats(values, shape: shape)
      default:
        throw HDF5Error.unsupportedType(
          file: file.path, path: attributePath, detail: "attribute of type \(ElementType(type: type)) is not supported")
      }
    }
  }

  /// Reads a string attribute (scalar, or a one-element array).
  public func stringAttribute(_ name: String) throws -> String {
    let value = try attribute(name)
    guard let string = value.string else {
      throw HDF5Error.unsupportedType(
        file: file.path, path: "\(path)@\(name)", detail: "expected a string attribute, found \(value)")
    }
    return string
  }

  /// Reads a string-array attribute that a writer may have split into `name0`, `name1`, ... because HDF5
  /// object headers hold at most 64 KB (Keras does this for `layer_names` and `weight_names`).
  /// - Returns: the concatenation of the chunks in order, or the attribute `name` itself when present.
  public func chunkedStringArrayAttribute(_ name: String) throws -> [String] {
    if hasAttribute(name) {
      let value = try attribute(name)
      guard let strings = value.stringArray else {
        throw HDF5Error.unsupportedType(
          file: file.path, path: "\(path)@\(name)", detail: "expected strings, found \(value)")
      }
      return strings
    }
    var result: [String] = []
    var chunk = 0
    while hasAttribute("\(name)\(chunk)") {
      let value = try attribute("\(name)\(chunk)")
      guard let strings = value.stringArray else {
        throw HDF5Error.unsupportedType(
          file: file.path, path: "\(path)@\(name)\(chunk)", detail: "expected strings, found \(value)")
      }
      result += strings
      chunk += 1
    }
    guard chunk > 0 else { throw HDF5Error.missingObject(file: file.path, path: "\(path)@\(name)") }
    return result
  }
}

/// Accumulates attribute names reported by `H5Aiterate2`.
private final class NameCollector {
  var names: [String] = []
}

/// Reads `count` strings from a string attribute, variable- or fixed-length.
private func readStrings(
  attribute: hid_t, type: hid_t, count: Int, failure: () -> HDF5Error
) throws -> [String] {
  if H5Tis_variable_str(type) > 0 {
    let memoryType = H5Tcopy(kv_h5t_c_s1())
    defer { H5Tclose(memoryType) }
    H5Tset_size(memoryType, kv_h5t_variable())
    H5Tset_cset(memoryType, H5Tget_cset(type))
    var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
    guard H5Aread(attribute, memoryType, &pointers) >= 0 else { throw failure() }
    defer { for pointer in pointers where pointer != nil { H5free_memory(pointer) } }
    return pointers.map { $0.map { String(cString: $0) } ?? "" }
  }
  let size = H5Tget_size(type)
  guard size > 0, size < 1 << 24 else { throw failure() }
  let memoryType = H5Tcopy(type)
  defer { H5Tclose(memoryType) }
  var bytes = [UInt8](repeating: 0, count: size * count)
  guard H5Aread(attribute, memoryType, &bytes) >= 0 else { throw failure() }
  return (0..<count).map { index in
    var slice = bytes[(index * size)..<((index + 1) * size)]
    while let last = slice.last, last == 0 || last == 0x20 { slice = slice.dropLast() }
    if let nul = slice.firstIndex(of: 0) { slice = slice[slice.startIndex..<nul] }
    return String(decoding: slice, as: UTF8.self)
  }
}

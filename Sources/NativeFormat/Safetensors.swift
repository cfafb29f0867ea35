import KerasGraph

/// The element types kerasvis reads and writes as weights, by their safetensors names.
public enum NativeDType: String, Sendable, CaseIterable {
  /// IEEE 754 binary32, used in place when the file is mapped.
  case float32 = "F32"
  /// IEEE 754 binary16, converted to Float32 when loaded.
  case float16 = "F16"
  /// bfloat16 (the upper half of a binary32), converted to Float32 when loaded.
  case bfloat16 = "BF16"

  /// The size of one element in bytes.
  public var byteCount: Int {
    switch self {
    case .float32: return 4
    case .float16, .bfloat16: return 2
    }
  }

  /// The dtypes the safetensors format defines, which kerasvis recognises but does not read as weights.
  static let otherSafetensorsNames: Set<String> = [
    "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "I16", "U16", "I32", "U32",
    "F64", "I64", "U64", "C64",
  ]
}

/// Limits that keep a hostile file from exhausting memory.
public enum NativeFormatLimits {
  /// The largest header accepted, in bytes (100 MB, as the reference safetensors implementation).
  public static let maximumHeaderBytes = 100_000_000
  /// The most dimensions a tensor may have.
  public static let maximumRank = 32
}

/// One tensor of a safetensors file.
public struct NativeTensorInfo: Sendable, Equatable {
  /// The tensor's name (for weights: `<layer path>/<weight name>`).
  public var name: String
  /// The element type.
  public var dtype: NativeDType
  /// The dimensions, outermost first (empty for a scalar).
  public var shape: [Int]
  /// The byte range inside the data section (which starts right after the header).
  public var dataOffsets: Range<Int>

  /// Creates a tensor description.
  public init(name: String, dtype: NativeDType, shape: [Int], dataOffsets: Range<Int>) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.dataOffsets = dataOffsets
  }

  /// The number of elements.
  public var elementCount: Int { shape.reduce(1, *) }
}

/// The parsed and validated header of a safetensors file: the tensors (in data order) and the `__metadata__`.
///
/// Layout: an unsigned 64-bit little-endian header length `N`, `N` bytes of UTF-8 JSON (an object whose members are
/// tensors, `{"dtype", "shape", "data_offsets": [begin, end]}`, plus an optional `__metadata__` object of strings),
/// then the data section; offsets count from the first byte after the header. The tensors must cover the data
/// section exactly, without overlaps or holes.
public struct SafetensorsHeader: Sendable {
  /// The tensors, ordered by their position in the data section.
  public var tensors: [NativeTensorInfo]
  /// The `__metadata__` map (empty when the file has none).
  public var metadata: [String: String]
  /// The header length `N` from the first eight bytes (the JSON text, padding included).
  public var headerByteCount: Int

  /// The file offset of the data section: `8 + N`.
  public var dataStart: Int { 8 + headerByteCount }

  /// Parses and validates the header of a safetensors file.
  /// - Parameters:
  ///   - bytes: the whole file (the tensors' offsets are checked against its size).
  ///   - file: the file's name for error messages.
  /// - Throws: `NativeFormatError` for every kind of malformed header; never traps.
  public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(NativeFormatError) -> SafetensorsHeader
  {
    guard bytes.count >= 8 else { throw .truncated(file: file, size: bytes.count) }
    let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
    guard declared <= UInt64(bytes.count - 8) else {
      throw .headerLengthOutOfRange(file: file, headerLength: declared, fileSize: bytes.count)
    }
    let length = Int(declared)
    guard length <= NativeFormatLimits.maximumHeaderBytes else {
      throw .headerTooLarge(file: file, headerLength: length, limit: NativeFormatLimits.maximumHeaderBytes)
    }
    let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + length)]).bindMemory(to: UInt8.self)
    let root: JSONValue
    do {
      root = try JSONValue.parseStrict(headerBytes)
    } catch {
      throw .invalidHeaderJSON(file: file, detail: error.description)
    }
    guard case .object(let object) = root else { throw .headerNotObject(file: file, found: root.kind) }
    let dataSize = bytes.count - 8 - length
    var tensors: [NativeTensorInfo] = []
    tensors.reserveCapacity(object.members.count)
    var metadata: [String: String] = [:]
    for member in object.members {
      if member.key == "__metadata__" {
        metadata = try parseMetadata(member.value, file: file)
      } else {
        tensors.append(try parseTensor(name: member.key, member.value, dataSize: dataSize, file: file))
      }
    }
    tensors.sort {
      ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound)
    }
    var covered = 0
    var previous: NativeTensorInfo?
    for tensor in tensors {
      if tensor.dataOffsets.lowerBound < covered, let previous {
        throw .overlappingTensors(file: file, first: previous.name, second: tensor.name)
      }
      if tensor.dataOffsets.lowerBound > covered {
        throw .unindexedData(file: file, range: covered..<tensor.dataOffsets.lowerBound)
      }
      covered = tensor.dataOffsets.upperBound
      previous = tensor
    }
    guard covered == dataSize else { throw .unindexedData(file: file, range: covered..<dataSize) }
    return SafetensorsHeader(tensors: tensors, metadata: metadata, headerByteCount: length)
  }

  /// Parses the header of a file held in memory.
  public static func parse(_ bytes: [UInt8], file: String) throws(NativeFormatError) -> SafetensorsHeader {
    let result = bytes.withUnsafeBytes { buffer in
      Result { () throws(NativeFormatError) in try parse(buffer, file: file) }
    }
    return try result.get()
  }

  private static func parseMetadata(_ value: JSONValue, file: String) throws(NativeFormatError) -> [String: String] {
    switch value {
    case .null: return [:]
    case .object(let object):
      var metadata: [String: String] = [:]
      for member in object.members {
        guard case .string(let text) = member.value else {
          throw .invalidMetadata(
            file: file, detail: "member '\(member.key)' is \(member.value.kind); the format allows only strings")
        }
        metadata[member.key] = text
      }
      return metadata
    default:
      throw .invalidMetadata(file: file, detail: "is \(value.kind); the format requires an object of strings")
    }
  }

  /// A non-negative integer that fits in an `Int`, from a JSON number.
  private static func count(_ node: JSONValue) -> Int? {
    guard case .number(let number) = node, let value = UInt64(number.text), value <= UInt64(Int.max) else { return nil }
    return Int(value)
  }

  private static func parseTensor(name: String, _ value: JSONValue, dataSize: Int, file: String)
    throws(NativeFormatError) -> NativeTensorInfo
  {
    guard case .object = value else {
      throw .invalidTensorEntry(file: file, tensor: name, detail: "expected an object, found \(value.kind)")
    }
    guard case .string(let dtypeName)? = value["dtype"] else {
      throw .invalidTensorEntry(file: file, tensor: name, detail: "'dtype' is missing or not a string")
    }
    guard case .array(let dimensions)? = value["shape"], dimensions.count <= NativeFormatLimits.maximumRank else {
      throw .invalidTensorEntry(
        file: file, tensor: name,
        detail: "'shape' is missing or not a list of at most \(NativeFormatLimits.maximumRank) dimensions")
    }
    var shape: [Int] = []
    for dimension in dimensions {
      guard let size = count(dimension) else {
        throw .invalidTensorEntry(
          file: file, tensor: name, detail: "'shape' holds \(dimension.kind), not a non-negative integer")
      }
      shape.append(size)
    }
    guard case .array(let offsets)? = value["data_offsets"], offsets.count == 2 else {
      throw .invalidTensorEntry(file: file, tensor: name, detail: "'data_offsets' is missing or not [begin, end]")
    }
    guard case .number(let beginText) = offsets[0], case .number(let endText) = offsets[1],
      let begin = UInt64(beginText.text), let end = UInt64(endText.text)
    else {
      throw .invalidTensorEntry(
        file: file, tensor: name,
        detail: "'data_offsets' must be two non-negative integers, found \(offsets.map(\.kind))")
    }
    guard begin <= end, end <= UInt64(dataSize) else {
      throw .offsetsOutOfRange(file: file, tensor: name, offsets: [begin, end], dataSize: dataSize)
    }
    guard let dtype = NativeDType(rawValue: dtypeName) else {
      if NativeDType.otherSafetensorsNames.contains(dtypeName) {
        throw .unsupportedDType(file: file, tensor: name, dtype: dtypeName)
      }
      throw .unknownDType(file: file, tensor: name, dtype: dtypeName)
    }
    let range = Int(begin)..<Int(end)
    var bytes = dtype.byteCount
    for size in shape {
      let (product, overflow) = bytes.multipliedReportingOverflow(by: size)
      guard !overflow else {
        throw .sizeMismatch(file: file, tensor: name, shape: shape, dtype: dtypeName, byteCount: range.count)
      }
      bytes = product
    }
    guard bytes == range.count else {
      throw .sizeMismatch(file: file, tensor: name, shape: shape, dtype: dtypeName, byteCount: range.count)
    }
    return NativeTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: range)
  }

  /// The bytes that start a safetensors file: the header length and the JSON header, padded with spaces so that
  /// the data section starts at a multiple of 8 bytes.
  /// - Parameters:
  ///   - tensors: the tensors in data order; their offsets must be contiguous from 0.
  ///   - metadata: the `__metadata__` members, written in this order.
  static func encode(tensors: [NativeTensorInfo], metadata: [(key: String, value: String)]) -> [UInt8] {
    var header = JSONObject()
    if !metadata.isEmpty {
      header.append(
        "__metadata__", .object(JSONObject(metadata.map { JSONMember(key: $0.key, value: .string($0.value)) })))
    }
    for tensor in tensors {
      header.append(
        tensor.name,
        .object([
          "dtype": .string(tensor.dtype.rawValue), "shape": .ints(tensor.shape),
          "data_offsets": .ints([tensor.dataOffsets.lowerBound, tensor.dataOffsets.upperBound]),
        ]))
    }
    var json: [UInt8] = []
    JSONValue.object(header).write(to: &json)
    while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
    var result: [UInt8] = []
    result.reserveCapacity(8 + json.count)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { result += $0 }
    result += json
    return result
  }
}

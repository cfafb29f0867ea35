import Foundation

/// Reads and writes NumPy `.npy` files (format versions 1-3), the exchange format of `kerasvis predict --npy`
/// and of the test fixtures.
public enum NPY {
  /// The largest header accepted, in bytes.
  static let maxHeaderBytes = 1 << 20

  /// Reads a `.npy` file holding a C-order array of float32, float64, float16, int8-64 or uint8-64 into a Float32
  /// tensor of the same shape.
  /// - Throws: `TensorError.npy` naming the file for a missing file, a bad header, an unsupported dtype, Fortran
  ///   order, or a data section shorter than the shape needs.
  public static func read(path: String) throws -> Tensor {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw TensorError.npy(file: path, detail: "no such file or not readable")
    }
    return try decode(data, file: path)
  }

  /// Decodes the bytes of a `.npy` file; `file` names it in errors.
  public static func decode(_ data: Data, file: String = "<data>") throws -> Tensor {
    func fail(_ detail: String) -> TensorError { .npy(file: file, detail: detail) }
    let bytes = [UInt8](data)
    guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
      throw fail("not a .npy file (no \\x93NUMPY magic)")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw fail("truncated header") }
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      headerStart = 12
    default:
      throw fail("unsupported .npy format version \(major)")
    }
    guard headerLength <= maxHeaderBytes, headerStart + headerLength <= bytes.count else {
      throw fail("header length \(headerLength) runs past the end of the file")
    }
    let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
    guard let descr = field("descr", in: header), let order = field("fortran_order", in: header),
      let shapeText = field("shape", in: header)
    else {
      throw fail("header \(header.trimmingCharacters(in: .whitespacesAndNewlines)) lacks descr, fortran_order or shape")
    }
    guard order == "False" else { throw fail("Fortran-order arrays are not supported; save with np.ascontiguousarray") }
    let shape = try parseShape(shapeText, fail: fail)
    let count = try Tensor.elementCount(of: shape)
    let type = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
    guard let elementType = ElementType(descr: type) else { throw fail("unsupported dtype \(type)") }
    let dataStart = headerStart + headerLength
    let (needed, overflow) = count.multipliedReportingOverflow(by: elementType.size)
    guard !overflow, bytes.count - dataStart >= needed else {
      throw fail("the data section holds \(bytes.count - dataStart) bytes; shape \(shape) of \(type) needs \(needed)")
    }
    var tensor = try Tensor(zeros: shape)
    tensor.withUnsafeMutableBufferPointer { output in
      bytes.withUnsafeBufferPointer { input in
        let base = UnsafeRawPointer(input.baseAddress!) + dataStart
        for index in 0..<count { output[index] = elementType.load(base + index * elementType.size) }
      }
    }
    return tensor
  }

  /// Writes `tensor` as a little-endian float32 `.npy` file (version 1.0).
  public static func write(_ tensor: Tensor, to path: String) throws {
    do {
      try encode(tensor).write(to: URL(fileURLWithPath: path))
    } catch {
      throw TensorError.npy(file: path, detail: "cannot write (\(error.localizedDescription))")
    }
  }

  /// The bytes of a float32 `.npy` file holding `tensor`.
  public static func encode(_ tensor: Tensor) -> Data {
    let shapeText =
      tensor.shape.isEmpty
      ? "()"
      : tensor.shape.count == 1
        ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
    // Pad with spaces so that the data starts at a multiple of 64 bytes, ending the header with a newline.
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
    data.append(contentsOf: Array(header.utf8))
    tensor.withUnsafeBufferPointer { values in
      for value in values {
        let bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: bits) { data.append(contentsOf: $0) }
      }
    }
    return data
  }

  private static func field(_ key: String, in header: String) -> String? {
    guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
    var rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
    if rest.first == "(" {
      guard let close = rest.firstIndex(of: ")") else { return nil }
      return String(rest[...close])
    }
    rest = rest.prefix { $0 != "," && $0 != "}" }
    return rest.trimmingCharacters(in: .whitespaces)
  }

  private static func parseShape(_ text: String, fail: (String) -> TensorError) throws -> [Int] {
    let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
    if inner.isEmpty { return [] }
    return try inner.split(separator: ",").compactMap { part -> Int? in
      let trimmed = part.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { return nil }
      guard let value = Int(trimmed), value >= 0 else { throw fail("invalid shape \(text)") }
      return value
    }
  }

  private enum ElementType {
    case float32, float64, float16, signed(Int), unsigned(Int)

    init?(descr: String) {
      guard descr.count >= 3 else { return nil }
      let byteOrder = descr.first!
      guard byteOrder == "<" || byteOrder == "|" || byteOrder == "=" else { return nil }
      switch descr.dropFirst() {
      case "f4": self = .float32
      case "f8": self = .float64
      case "f2": self = .float16
      case "i1", "i2", "i4", "i8": self = .signed(Int(String(descr.last!))!)
      case "u1", "u2", "u4", "u8", "b1": self = .unsigned(Int(String(descr.last!))!)
      default: return nil
      }
    }

    var size: Int {
      switch self {
      case .float32: return 4
      case .float64: return 8
      case .float16: return 2
      case .signed(let size), .unsigned(let size): return size
      }
    }

    func load(_ pointer: UnsafeRawPointer) -> Float {
      switch self {
      case .float32: return Float(bitPattern: UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self)))
      case .float64: return Float(Double(bitPattern: UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self))))
      case .float16: return halfToFloat(UInt16(littleEndian: pointer.loadUnaligned(as: UInt16.self)))
      case .signed(1): return Float(pointer.loadUnaligned(as: Int8.self))
      case .signed(2): return Float(Int16(littleEndian: pointer.loadUnaligned(as: Int16.self)))
      case .signed(4): return Float(Int32(littleEndian: pointer.loadUnaligned(as: Int32.self)))
      case .signed: return Float(Int64(littleEndian: pointer.loadUnaligned(as: Int64.self)))
      case .unsigned(1): return Float(pointer.loadUnaligned(as: UInt8.self))
      case .unsigned(2): return Float(UInt16(littleEndian: pointer.loadUnaligned(as: UInt16.self)))
      case .unsigned(4): return Float(UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self)))
      case .unsigned: return Float(UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self)))
      }
    }
  }
}

/// IEEE 754 binary16 to Float32.
func halfToFloat(_ bits: UInt16) -> Float {
  let sign = UInt32(bits & 0x8000) << 16
  let exponent = Int(bits >> 10) & 0x1F
  let mantissa = UInt32(bits & 0x3FF)
  if exponent == 0 {
    return Float(bitPattern: sign) + (sign != 0 ? -1 : 1) * Float(mantissa) * 0x1p-24
  }
  if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
  return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
}

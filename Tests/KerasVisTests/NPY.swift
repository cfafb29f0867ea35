import Foundation

/// A float32 array read from a NumPy `.npy` file (format versions 1-3, little-endian `<f4`, C order only): just
/// enough to read fixtures that `np.save` wrote.
struct NPYArray {
  /// The array's shape, outermost axis first.
  var shape: [Int]
  /// The values in C (row-major) order.
  var values: [Float]

  /// Why a file could not be read.
  enum ReadError: Error, CustomStringConvertible {
    case notNPY(String)
    case unsupported(String)

    var description: String {
      switch self {
      case .notNPY(let detail): "not an .npy file: \(detail)"
      case .unsupported(let detail): "unsupported .npy content: \(detail)"
      }
    }
  }

  /// Reads `url`.
  init(contentsOf url: URL) throws {
    try self.init(data: Data(contentsOf: url))
  }

  /// Parses the bytes of an `.npy` file.
  init(data: Data) throws {
    let bytes = [UInt8](data)
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw ReadError.notNPY("bad magic") }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw ReadError.notNPY("truncated header length") }
      headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
      headerStart = 12
    default:
      throw ReadError.unsupported("format version \(major)")
    }
    let dataStart = headerStart + headerLength
    guard bytes.count >= dataStart,
      let header = String(bytes: bytes[headerStart..<dataStart], encoding: .utf8)
    else { throw ReadError.notNPY("truncated header") }
    guard header.contains("'descr': '<f4'") else { throw ReadError.unsupported("dtype in \(header)") }
    guard header.contains("'fortran_order': False") else { throw ReadError.unsupported("Fortran order") }
    guard let open = header.range(of: "'shape': ("),
      let close = header.range(of: ")", range: open.upperBound..<header.endIndex)
    else { throw ReadError.notNPY("no shape in \(header)") }
    let dimensions = header[open.upperBound..<close.lowerBound].split(separator: ",")
      .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    var shape: [Int] = []
    for dimension in dimensions {
      guard let size = Int(dimension), size >= 0 else { throw ReadError.notNPY("bad shape \(header)") }
      shape.append(size)
    }
    let count = shape.reduce(1, *)
    guard bytes.count - dataStart == 4 * count else {
      throw ReadError.notNPY("\(bytes.count - dataStart) data bytes for \(count) float32 values")
    }
    var values = [Float](repeating: 0, count: count)
    for i in 0..<count {
      let p = dataStart + 4 * i
      let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
      values[i] = Float(bitPattern: bits)
    }
    self.shape = shape
    self.values = values
  }
}

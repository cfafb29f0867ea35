import Foundation
import Testing

@testable import Imaging

/// `Tests/Fixtures/images`, written with Pillow, Keras and matplotlib by `tools/make_image_fixtures.py`.
let imageFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures/images")

func imageFixturePath(_ name: String) -> String {
  imageFixtures.appendingPathComponent(name).path
}

/// A NumPy `.npy` array (format 1.0/2.0, C order) of uint8, uint16, float32 or float64.
struct NPYArray {
  enum Values {
    case uint8([UInt8])
    case uint16([UInt16])
    case float32([Float])
    case float64([Double])
  }

  var shape: [Int]
  var values: Values

  var uint8: [UInt8]? { if case .uint8(let v) = values { return v } else { return nil } }
  var uint16: [UInt16]? { if case .uint16(let v) = values { return v } else { return nil } }
  var float32: [Float]? { if case .float32(let v) = values { return v } else { return nil } }

  enum ReadError: Error { case malformed(String) }

  init(contentsOf relativePath: String) throws {
    let bytes = [UInt8](try Data(contentsOf: imageFixtures.appendingPathComponent(relativePath)))
    guard bytes.count > 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
      throw ReadError.malformed("\(relativePath): not an npy file")
    }
    let major = bytes[6]
    let headerLength: Int
    let headerStart: Int
    if major == 1 {
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      headerStart = 10
    } else {
      headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
      headerStart = 12
    }
    let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    guard header.contains("'fortran_order': False") else { throw ReadError.malformed("\(relativePath): fortran") }
    guard let descrRange = header.range(of: "'descr': '"),
      let descrEnd = header[descrRange.upperBound...].firstIndex(of: "'"),
      let shapeStart = header.range(of: "'shape': ("),
      let shapeEnd = header[shapeStart.upperBound...].firstIndex(of: ")")
    else { throw ReadError.malformed("\(relativePath): header \(header)") }
    let descr = String(header[descrRange.upperBound..<descrEnd])
    shape = header[shapeStart.upperBound..<shapeEnd].split(separator: ",")
      .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let count = shape.reduce(1, *)
    let body = Array(bytes[(headerStart + headerLength)...])
    func read<T>(_ type: T.Type) throws -> [T] {
      guard body.count == count * MemoryLayout<T>.size else {
        throw ReadError.malformed("\(relativePath): \(body.count) bytes for \(count) values")
      }
      let size = MemoryLayout<T>.size
      return body.withUnsafeBytes { raw in
        (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self) }
      }
    }
    switch descr {
    case "|u1": values = .uint8(try read(UInt8.self))
    case "<u2": values = .uint16(try read(UInt16.self))
    case "<f4": values = .float32(try read(Float.self))
    case "<f8": values = .float64(try read(Double.self))
    default: throw ReadError.malformed("\(relativePath): dtype \(descr)")
    }
  }
}

/// `manifest.json`.
struct Manifest: Decodable {
  struct LoadCase: Decodable, CustomTestStringConvertible {
    var file: String
    var colorMode: String
    var target: [Int]?
    var interpolation: String
    var keepAspectRatio: Bool
    var expected: String
    var pilMode: String

    var testDescription: String {
      let size = target.map { "\($0[0])x\($0[1])" } ?? "native"
      return "\(file) \(colorMode) \(size) \(interpolation)\(keepAspectRatio ? " keep-aspect" : "")"
    }
  }

  struct PreprocessCase: Decodable {
    var mode: String
    var input: String
    var expected: String
    var batchInput: String
    var batchExpected: String
  }

  struct ColormapCase: Decodable {
    var name: String
    var input: String
    var expected: String
  }

  struct BoxCase: Decodable, CustomTestStringConvertible {
    var file: String
    var mode: String
    var box: [Float]
    var size: [Int]
    var interpolation: String
    var expected: String

    var testDescription: String { "\(file) \(mode) box \(box) -> \(size[0])x\(size[1]) \(interpolation)" }
  }

  var loadImg: [LoadCase]
  var resizeBox: [BoxCase]
  var preprocess: [PreprocessCase]
  var colormaps: [ColormapCase]
  var overlay: [String: String]
  var width: Int
  var height: Int

  static func load() throws -> Manifest {
    let data = try Data(contentsOf: imageFixtures.appendingPathComponent("manifest.json"))
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase  // the manifest's keys are Python's
    return try decoder.decode(Manifest.self, from: data)
  }

  /// The manifest, or an empty one (so that parameterized tests still enumerate) if it cannot be read.
  static let shared: Manifest =
    (try? load())
    ?? Manifest(loadImg: [], resizeBox: [], preprocess: [], colormaps: [], overlay: [:], width: 0, height: 0)
}

/// Counts the samples that differ and the largest difference.
func differences<T: BinaryInteger>(_ a: [T], _ b: [T]) -> (count: Int, maxDelta: Int) {
  var count = 0
  var maxDelta = 0
  for (x, y) in zip(a, b) where x != y {
    count += 1
    maxDelta = max(maxDelta, abs(Int(x) - Int(y)))
  }
  return (count, maxDelta)
}

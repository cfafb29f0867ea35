import Foundation
import TestSupport
import Testing

@testable import Imaging

/// `Tests/Fixtures/images/manifest.json` (written with Pillow, Keras and matplotlib by
/// `tools/make_image_fixtures.py`).
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
    /// Table entries whose RGB doubles matplotlib computed (`cmap._lut[entry, :3]`).
    var entries: [Int]
    var rgb: [[Double]]
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
    let data = try Data(contentsOf: FixtureFolder.images.url("manifest.json"))
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

import Foundation
import KerasModel
import Testing

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Fixtures/models")

/// The `kerasvis` executable that SwiftPM built next to the test runner.
private func executable() throws -> URL {
  var directory = Bundle.main.executableURL?.deletingLastPathComponent()
    ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for _ in 0..<4 {
    let candidate = directory.appendingPathComponent("kerasvis")
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
      return candidate
    }
    directory = directory.deletingLastPathComponent()
  }
  throw CocoaError(.fileNoSuchFile)
}

/// Runs `kerasvis` with `arguments`; returns the exit code, standard output and standard error.
private func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
  let process = Process()
  process.executableURL = try executable()
  process.arguments = arguments
  let output = Pipe()
  let error = Pipe()
  process.standardOutput = output
  process.standardError = error
  try process.run()
  let outputData = output.fileHandleForReading.readDataToEndOfFile()
  let errorData = error.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
}

@Suite("kerasvis summary")
struct SummaryCommandTests {
  @Test("--json lists every layer with index, name, class, output shape, params and inbound, as Keras does")
  func jsonMatchesKeras() throws {
    let result = try run(["summary", fixtures.appendingPathComponent("inception_v3_narrow.h5").path, "--json"])
    #expect(result.status == 0, "\(result.error)")
    let summary = try JSONValue.parse(Data(result.output.utf8))
    let layers = try #require(summary["layers"]?.array)
    let expected = try JSONValue.parse(
      Data(contentsOf: fixtures.appendingPathComponent("inception_v3_narrow.expected.json")))
    let keras = try #require(expected["layers"]?.array)
    #expect(layers.count == keras.count)
    for (row, reference) in zip(layers, keras) {
      for key in ["index", "name", "class", "output_shape", "params", "inbound"] {
        #expect(row[key] == reference[key], "\(key) of \(reference["name"]?.string ?? "?")")
      }
    }
    #expect(layers[299]["name"]?.string == "conv2d_94")
    #expect(layers[0]["output_shape"]?[0] == .null)
  }

  @Test("the table shows the index column and the layer names")
  func table() throws {
    let result = try run(["summary", fixtures.appendingPathComponent("sequential_cnn.h5").path])
    #expect(result.status == 0)
    #expect(result.output.contains("Index"))
    #expect(result.output.contains("renamed_conv (Conv2D)"))
    #expect(result.output.contains("Total params:"))
  }

  @Test("a weights-only file takes --topology; without it the error names the flag")
  func topology() throws {
    let weights = fixtures.appendingPathComponent("weights_only.weights.h5").path
    let missing = try run(["summary", weights])
    #expect(missing.status == 1)
    #expect(missing.error.contains("--topology"))
    let ok = try run(["summary", weights, "--topology", fixtures.appendingPathComponent("weights_only.json").path, "--json"])
    #expect(ok.status == 0, "\(ok.error)")
  }

  @Test("bad input exits non-zero with a message naming the file")
  func badInput() throws {
    let missing = try run(["summary", "/no/such/model.h5"])
    #expect(missing.status == 1)
    #expect(missing.error.contains("/no/such/model.h5"))
    let usage = try run(["summary"])
    #expect(usage.status == 64)
  }

  @Test("--nested lists inner layers by path")
  func nested() throws {
    let result = try run(["summary", fixtures.appendingPathComponent("nested_mobilenet.h5").path, "--nested", "--json"])
    #expect(result.status == 0)
    let summary = try JSONValue.parse(Data(result.output.utf8))
    let names = try #require(summary["layers"]?.array).compactMap { $0["name"]?.string }
    #expect(names.contains { $0.hasSuffix("/block_16_project") })
  }
}

import Foundation
import KerasVis
import TestSupport
import Testing

/// One file of `Tests/Fixtures/bad/manifest.json` (written by `tools/make_bad_inputs.py`).
struct BadInput: CustomStringConvertible, Sendable {
  var file: String
  var kind: String
  var expect: String
  var message: String
  var topology: String?

  var description: String { file }

  static func all() -> [BadInput] {
    guard let data = try? Data(contentsOf: FixtureFolder.bad.url("manifest.json")),
      let json = try? JSONValue.parse(data)
    else { return [] }
    return (json["entries"]?.array ?? []).map { entry in
      BadInput(
        file: entry["file"]?.string ?? "", kind: entry["kind"]?.string ?? "", expect: entry["expect"]?.string ?? "",
        message: entry["message"]?.string ?? "", topology: entry["topology"]?.string)
    }
  }
}

@Suite("Malformed files give clear errors, never a crash")
struct BadInputCorpusTests {
  @Test("the corpus covers every kind of damage the issue lists")
  func corpus() {
    let inputs = BadInput.all()
    #expect(inputs.count >= 30)
    for needle in [
      "truncated", "bitflip", "cycle", "unknown_inbound", "negative", "huge", "kernel", "nan", "2gib",
      "not_json", "deep", ".keras", ".safetensors", ".png", ".jpg",
    ] {
      #expect(inputs.contains { $0.file.contains(needle) }, "no case for \(needle)")
    }
  }

  @Test("each malformed file", arguments: BadInput.all())
  func malformed(_ input: BadInput) throws {
    let path = fixturePath(input.file, in: .bad)
    let arguments: [String]
    switch input.kind {
    case "weights":
      arguments = ["summary", fixturePath("weights_only.weights.h5"), "--topology", path]
    case "image":
      arguments = ["predict", fixturePath("fully_convolutional.h5"), path]
    default:
      arguments = ["summary", path]
    }
    let result = try kerasvis(arguments)
    #expect(!result.signaled, "\(input): kerasvis crashed: \(result.error)")
    if input.expect == "error" {
      #expect(result.status == 1, "\(input): exit \(result.status), \(result.error)")
      // A topology that disagrees with the weights may be reported against the weights file.
      let named = result.error.contains(path) || (input.kind == "weights" && result.error.contains("weights_only"))
      #expect(named, "\(input): the message does not name the file: \(result.error)")
      if !input.message.isEmpty {
        #expect(
          result.error.lowercased().contains(input.message.lowercased()),
          "\(input): expected '\(input.message)' in: \(result.error)")
      }
    } else {
      #expect(result.status == 0 || result.status == 1, "\(input): exit \(result.status)")
    }
  }
}

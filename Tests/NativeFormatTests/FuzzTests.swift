import Foundation
import KerasVis
import TestSupport
import Testing

/// How long each fuzz test runs: `KERASVIS_FUZZ_SECONDS` (default 2 seconds each, so CI stays quick).
private let fuzzSeconds: Double = {
  ProcessInfo.processInfo.environment["KERASVIS_FUZZ_SECONDS"].flatMap(Double.init) ?? 2
}()

/// The seed: `KERASVIS_FUZZ_SEED` to repeat a run, otherwise fixed.
private let fuzzSeed: UInt64 = {
  ProcessInfo.processInfo.environment["KERASVIS_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_251_125
}()

/// Real native files to mutate: fixture models converted (plain, many layer kinds, Keras 3 operations, nested).
/// They leave out the Keras configs, which the reader does not interpret, so that more mutations hit what it does.
private func seedFiles() throws -> [[UInt8]] {
  let scratch = try ScratchFolder()
  defer { scratch.cleanUp() }
  return try [
    ("sequential_cnn.h5", nil), ("layer_zoo_k3.h5", nil), ("layer_zoo_k2.h5", nil),
    ("weights_only.weights.h5", "weights_only.json"), ("nested_k3.keras", nil), ("nested_mobilenet.h5", nil),
  ].map { file, topology in
    let path = scratch.path(file + ".safetensors")
    try ModelLoader.convert(
      from: fixturePath(file), topologyPath: topology.map(fixturePath), to: path,
      options: NativeWriteOptions(includesKerasConfig: false))
    return try readBytes(path)
  }
}

@Suite("Fuzzing the native reader (seeded, time-bounded)")
struct FuzzTests {
  /// Bytes that matter to JSON and to the length field.
  private static let interesting: [UInt8] = Array("{}[]\",:-0123456789eE.\\ nultrf".utf8) + [0, 0x7F, 0x80, 0xC3, 0xFF]

  private static func mutate(_ input: [UInt8], with other: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
    var bytes = input
    let mutations = Int.random(in: 1...4, using: &random)
    for _ in 0..<mutations {
      guard !bytes.isEmpty else { break }
      // Most mutations land in the header (the first 8 + N bytes), where the parser works.
      let headerEnd = min(
        bytes.count, 8 + Int(bytes.prefix(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } & 0xFFFFFF))
      let position = Int.random(in: 0..<max(headerEnd, 1), using: &random)
      switch Int.random(in: 0..<9, using: &random) {
      case 0: bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &random)
      case 1: bytes[position] = interesting.randomElement(using: &random) ?? 0
      case 2: bytes.insert(interesting.randomElement(using: &random) ?? 0, at: position)
      case 3:
        let end = min(bytes.count, position + Int.random(in: 1...64, using: &random))
        bytes.removeSubrange(position..<end)
      case 4:
        let end = min(bytes.count, position + Int.random(in: 1...64, using: &random))
        bytes.insert(contentsOf: bytes[position..<end], at: Int.random(in: 0...bytes.count, using: &random))
      case 5: bytes.removeSubrange(Int.random(in: 0..<bytes.count, using: &random)...)
      case 6:
        // Change the header length field a little or a lot.
        let delta = [-8, -1, 1, 8, 1 << 20, Int(Int32.max)].randomElement(using: &random) ?? 1
        let length = Int(bytes.prefix(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } & 0x7FFF_FFFF) &+ delta
        if bytes.count >= 8 {
          withUnsafeBytes(of: UInt64(truncatingIfNeeded: length).littleEndian) {
            bytes.replaceSubrange(0..<8, with: $0)
          }
        }
      case 7:
        // Replace a digit run with another number (offsets and shapes are digits).
        if let digit = bytes[position...].firstIndex(where: { (48...57).contains($0) }) {
          var end = digit
          while end < bytes.count, (48...57).contains(bytes[end]) { end += 1 }
          let replacement =
            ["0", "1", "7", "4294967296", "18446744073709551615", "99999999999999999999", "-1"]
            .randomElement(using: &random) ?? "0"
          bytes.replaceSubrange(digit..<end, with: Array(replacement.utf8))
        }
      default:
        // Splice in a piece of another file.
        guard !other.isEmpty else { break }
        let start = Int.random(in: 0..<other.count, using: &random)
        let end = min(other.count, start + Int.random(in: 1...256, using: &random))
        bytes.replaceSubrange(position..<min(bytes.count, position + (end - start)), with: other[start..<end])
      }
    }
    return bytes
  }

  @Test("mutated headers either parse or throw NativeFormatError; the parser never traps")
  func headerParser() throws {
    let seeds = try seedFiles()
    var random = SeededGenerator(state: fuzzSeed)
    var counts = (accepted: 0, rejected: 0)
    var kinds = Set<String>()
    let deadline = Date().addingTimeInterval(fuzzSeconds)
    // Time-bounded, but with a floor of iterations so that slow builds (AddressSanitizer) still cover the paths.
    var batches = 0
    while Date() < deadline || batches < 20 {
      batches += 1
      for _ in 0..<50 {
        let seed = seeds.randomElement(using: &random) ?? []
        let mutated = FuzzTests.mutate(seed, with: seeds.randomElement(using: &random) ?? [], &random)
        do {
          let header = try SafetensorsHeader.parse(mutated, file: "fuzz")
          #expect(header.dataStart <= mutated.count)
          counts.accepted += 1
        } catch {
          // Typed throws: every error is a NativeFormatError; its message must format and name the file.
          #expect(error.description.hasPrefix("fuzz: "))
          kinds.insert(Mirror(reflecting: error).children.first?.label ?? "\(error)")
          counts.rejected += 1
        }
      }
    }
    #expect(counts.rejected > 100, "the mutations must reach the error paths")
    #expect(kinds.count >= 6, "error kinds reached: \(kinds.sorted())")
    print("header fuzz: \(counts.accepted) accepted, \(counts.rejected) rejected, kinds \(kinds.sorted())")
  }

  /// A random JSON value to put in place of a graph field.
  private static func randomValue(_ random: inout SeededGenerator, like original: JSONValue?) -> JSONValue? {
    switch Int.random(in: 0..<12, using: &random) {
    case 0: return nil
    case 1: return .null
    case 2: return .bool(Bool.random(using: &random))
    case 3: return .int([-1, 0, 1, 2, 3, 7, 1 << 20, 1 << 31, 1 << 40].randomElement(using: &random) ?? 0)
    case 4: return .double(Double.random(in: -1e6...1e6, using: &random))
    case 5:
      return .string(
        ["", "relu", "same", "conv2d", "model", "dense", "Functional", "x"].randomElement(using: &random) ?? "")
    case 6: return .array([])
    case 7: return .object([:])
    case 8: return .array([.int(Int.random(in: -2...40, using: &random))])
    case 9:
      if case .number(let value) = original {
        return .double(value.double + Double(Int.random(in: -2...2, using: &random)))
      }
      return .number(1)
    case 10:
      if case .array(let elements) = original, !elements.isEmpty {
        return .array(elements + [elements[Int.random(in: 0..<elements.count, using: &random)]])
      }
      return .array([.null])
    default:
      if case .array(let elements) = original, !elements.isEmpty { return .array(Array(elements.dropLast())) }
      return .string("NaN")
    }
  }

  /// Every path to an element of `value`.
  private static func paths(_ value: JSONValue, prefix: [JSONStep] = [], into result: inout [[JSONStep]]) {
    result.append(prefix)
    switch value {
    case .object(let members):
      for member in members where member.key != "keras_config" {
        paths(member.value, prefix: prefix + [.key(member.key)], into: &result)
      }
    case .array(let elements):
      for (index, element) in elements.enumerated() { paths(element, prefix: prefix + [.index(index)], into: &result) }
    default: break
    }
  }

  private static func element(_ value: JSONValue, at path: [JSONStep]) -> JSONValue? {
    var current: JSONValue? = value
    for step in path {
      switch step {
      case .key(let key): current = current?[key]
      case .index(let index): current = current?[index]
      }
    }
    return current
  }

  @Test("mutated graph descriptions either load or throw NativeFormatError; the loader never traps")
  func graphDecoder() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let samples = try seedFiles().map {
      file -> (header: JSONValue, graph: JSONValue, data: [UInt8], paths: [[JSONStep]]) in
      let parts = splitNativeFile(file)
      let header = try JSONValue.parse(Data(parts.header.utf8))
      let graph = try JSONValue.parse(Data((header["__metadata__"]?["kerasvis.graph"]?.string ?? "").utf8))
      var paths: [[JSONStep]] = []
      FuzzTests.paths(graph, into: &paths)
      return (header, graph, parts.data, paths)
    }
    var random = SeededGenerator(state: fuzzSeed ^ 0xA5A5)
    var counts = (accepted: 0, rejected: 0)
    var kinds = Set<String>()
    let path = scratch.path("fuzz.safetensors")
    let deadline = Date().addingTimeInterval(fuzzSeconds)
    // Time-bounded, but with a floor of iterations so that slow builds (AddressSanitizer) still cover the paths.
    var iterations = 0
    while Date() < deadline || iterations < 200 {
      iterations += 1
      let sample = samples.randomElement(using: &random)!
      var graph = sample.graph
      for _ in 0..<Int.random(in: 1...3, using: &random) {
        let target = sample.paths.randomElement(using: &random) ?? []
        let replacement = FuzzTests.randomValue(&random, like: FuzzTests.element(graph, at: target))
        graph = updating(graph, at: target) { _ in replacement }
      }
      let header = updating(sample.header, at: ["__metadata__", "kerasvis.graph"]) { _ in .string(graph.jsonText) }
      try write(safetensorsFile(header: header.jsonText, data: sample.data), to: path)
      do {
        let loaded = try NativeModelFile.load(path: path)
        #expect(loaded.parameterCount >= 0)
        counts.accepted += 1
      } catch {
        #expect(error.description.hasPrefix(path + ": "))
        kinds.insert(Mirror(reflecting: error).children.first?.label ?? "\(error)")
        counts.rejected += 1
      }
    }
    #expect(counts.rejected > 20, "the mutations must reach the error paths")
    #expect(kinds.isSuperset(of: ["invalidGraph", "inconsistentGraph"]), "error kinds reached: \(kinds.sorted())")
    print("graph fuzz: \(counts.accepted) accepted, \(counts.rejected) rejected, kinds \(kinds.sorted())")
  }
}

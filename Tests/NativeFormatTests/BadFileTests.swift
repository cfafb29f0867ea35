import Foundation
import KerasVis
import TestSupport
import Testing

/// A step into a JSON value: a member name or a list index.
enum JSONStep: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
  case key(String)
  case index(Int)

  init(stringLiteral value: String) { self = .key(value) }
  init(integerLiteral value: Int) { self = .index(value) }
}

/// `value` with the element at `path` replaced by `transform(element)` (nil removes a member).
func updating(_ value: JSONValue, at path: [JSONStep], _ transform: (JSONValue?) -> JSONValue?) -> JSONValue {
  guard let step = path.first else { return transform(value) ?? .null }
  let rest = Array(path.dropFirst())
  switch (step, value) {
  case (.key(let key), .object(var members)):
    if rest.isEmpty {
      members[key] = transform(members[key])
    } else if let member = members[key] {
      members[key] = updating(member, at: rest, transform)
    }
    return .object(members)
  case (.index(let index), .array(var elements)) where elements.indices.contains(index):
    elements[index] =
      rest.isEmpty ? (transform(elements[index]) ?? .null) : updating(elements[index], at: rest, transform)
    return .array(elements)
  default:
    return value
  }
}

/// A small valid native file (sequential_cnn.h5 converted), split into its parsed header and data.
struct SampleNativeFile {
  var header: JSONValue
  var data: [UInt8]

  init() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let path = scratch.path("sample.safetensors")
    try ModelLoader.convert(from: fixturePath("sequential_cnn.h5"), to: path)
    let parts = splitNativeFile(try readBytes(path))
    header = try JSONValue.parse(Data(parts.header.utf8))
    data = parts.data
  }

  /// The graph description from the metadata.
  var graph: JSONValue {
    get throws { try JSONValue.parse(Data((header["__metadata__"]?["kerasvis.graph"]?.string ?? "").utf8)) }
  }

  /// The file with `transform` applied to the graph description.
  func withGraph(_ transform: (JSONValue) -> JSONValue) throws -> [UInt8] {
    let text = transform(try graph).jsonText
    let changed = updating(header, at: ["__metadata__", "kerasvis.graph"]) { _ in .string(text) }
    return safetensorsFile(header: changed.jsonText, data: data)
  }

  /// The file with the graph's element at `path` replaced.
  func withGraph(at path: [JSONStep], _ transform: @escaping (JSONValue?) -> JSONValue?) throws -> [UInt8] {
    try withGraph { updating($0, at: path, transform) }
  }

  /// The file with `transform` applied to the header.
  func withHeader(_ transform: (JSONValue) -> JSONValue) -> [UInt8] {
    safetensorsFile(header: transform(header).jsonText, data: data)
  }

  var bytes: [UInt8] { safetensorsFile(header: header.jsonText, data: data) }
}

@Suite("Bad native files give typed errors naming the file")
struct BadFileTests {
  /// Writes `bytes` to a file and loads it; returns the error.
  private func loadError(_ bytes: [UInt8], _ scratch: ScratchFolder, registry: LayerRegistry = LayerRegistry())
    throws -> (error: NativeFormatError?, path: String)
  {
    let path = scratch.path("bad-\(UUID().uuidString).safetensors")
    try write(bytes, to: path)
    do {
      _ = try NativeModelFile.load(path: path, registry: registry)
      return (nil, path)
    } catch {
      #expect(error.description.hasPrefix(path + ": "), "the message names the file: \(error)")
      return (error, path)
    }
  }

  @Test("the sample file itself loads (so that each failure below comes from its one change)")
  func sampleLoads() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    #expect(try loadError(try SampleNativeFile().bytes, scratch).error == nil)
  }

  @Test("files too short, missing, or not files")
  func notFiles() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let (empty, emptyPath) = try loadError([], scratch)
    #expect(empty == .truncated(file: emptyPath, size: 0))
    let (short, shortPath) = try loadError([1, 2, 3, 4, 5], scratch)
    #expect(short == .truncated(file: shortPath, size: 5))
    #expect(throws: NativeFormatError.fileNotFound(file: scratch.path("none"))) {
      try NativeModelFile.load(path: scratch.path("none"))
    }
    #expect(throws: NativeFormatError.fileNotFound(file: scratch.url.path)) {
      try NativeModelFile.load(path: scratch.url.path)
    }
  }

  @Test("a header length past the end of the file")
  func headerLengthPastEnd() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let sample = try SampleNativeFile()
    let good = sample.bytes
    for declared in [UInt64(good.count - 7), UInt64.max, 1 << 63] {
      let file = safetensorsFile(header: sample.header.jsonText, data: sample.data, declaredLength: declared)
      let (error, path) = try loadError(file, scratch)
      #expect(error == .headerLengthOutOfRange(file: path, headerLength: declared, fileSize: file.count))
    }
  }

  @Test("a header that is not JSON, not UTF-8, too deep, with duplicate names, or not an object")
  func headerNotJSONObject() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    for text in [
      "{\"a\": ", "{\"a\" 1}", "{'a': 1}", "{\"a\": 01}", "{\"a\": [1,]}", "{\"x\": \"\u{1}\"}",
      "{\"a\": 1, \"a\": 2}", String(repeating: "[", count: 100_000), "{\"a\": 1} x", "{\"\\ud800\": 1}", "",
    ] {
      let (error, _) = try loadError(safetensorsFile(header: text, data: []), scratch)
      guard case .invalidHeaderJSON? = error else {
        Issue.record("\(text.prefix(20)): \(String(describing: error))")
        continue
      }
    }
    var invalidUTF8 = Array("{\"a".utf8)
    invalidUTF8 += [0xC3, 0x28]
    invalidUTF8 += Array("\": {}}".utf8)
    var raw: [UInt8] = []
    withUnsafeBytes(of: UInt64(invalidUTF8.count).littleEndian) { raw += $0 }
    let (badBytes, _) = try loadError(raw + invalidUTF8, scratch)
    guard case .invalidHeaderJSON? = badBytes else {
      Issue.record("invalid UTF-8: \(String(describing: badBytes))")
      return
    }
    for (text, kind) in [("[1, 2]", "a list"), ("\"text\"", "a string"), ("null", "null"), ("  7  ", "the number 7")] {
      let (error, path) = try loadError(safetensorsFile(header: text, data: []), scratch)
      #expect(error == .headerNotObject(file: path, found: kind))
    }
  }

  @Test("tensor entries: offsets out of range, overlapping, holes, bad dtypes, sizes that disagree with shapes")
  func tensorEntries() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let data = [UInt8](repeating: 0, count: 16)
    func file(_ tensors: String) -> [UInt8] { safetensorsFile(header: "{\(tensors)}", data: data) }
    let cases: [(String, (String) -> NativeFormatError)] = [
      (
        "\"a\": {\"dtype\": \"F32\", \"shape\": [5], \"data_offsets\": [0, 20]}",
        { .offsetsOutOfRange(file: $0, tensor: "a", offsets: [0, 20], dataSize: 16) }
      ),
      (
        "\"a\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [9, 3]}",
        { .offsetsOutOfRange(file: $0, tensor: "a", offsets: [9, 3], dataSize: 16) }
      ),
      (
        "\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 12]}, "
          + "\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}",
        { .overlappingTensors(file: $0, first: "a", second: "b") }
      ),
      (
        "\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, "
          + "\"b\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [12, 16]}",
        { .unindexedData(file: $0, range: 8..<12) }
      ),
      (
        "\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}",
        { .unindexedData(file: $0, range: 8..<16) }
      ),
      (
        "\"a\": {\"dtype\": \"F33\", \"shape\": [4], \"data_offsets\": [0, 16]}",
        { .unknownDType(file: $0, tensor: "a", dtype: "F33") }
      ),
      (
        "\"a\": {\"dtype\": \"I64\", \"shape\": [2], \"data_offsets\": [0, 16]}",
        { .unsupportedDType(file: $0, tensor: "a", dtype: "I64") }
      ),
      (
        "\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 16]}",
        { .sizeMismatch(file: $0, tensor: "a", shape: [3], dtype: "F32", byteCount: 16) }
      ),
      (
        "\"a\": {\"dtype\": \"F16\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 16]}",
        { .sizeMismatch(file: $0, tensor: "a", shape: [4_294_967_296, 4_294_967_296], dtype: "F16", byteCount: 16) }
      ),
      (
        "\"__metadata__\": {\"kerasvis.graph\": 7}, "
          + "\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}",
        {
          .invalidMetadata(file: $0, detail: "member 'kerasvis.graph' is the number 7; the format allows only strings")
        }
      ),
      (
        "\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}",
        { .missingGraph(file: $0) }
      ),
    ]
    for (tensors, expected) in cases {
      let (error, path) = try loadError(file(tensors), scratch)
      #expect(error == expected(path), "\(tensors)")
    }
    for entry in [
      "\"a\": 3", "\"a\": {\"shape\": [4], \"data_offsets\": [0, 16]}",
      "\"a\": {\"dtype\": \"F32\", \"shape\": [-4], \"data_offsets\": [0, 16]}",
      "\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 8, 16]}",
      "\"a\": {\"dtype\": \"F32\", \"shape\": [4.0], \"data_offsets\": [0, 16]}",
      "\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 1e1]}",
    ] {
      let (error, _) = try loadError(file(entry), scratch)
      guard case .invalidTensorEntry? = error else {
        Issue.record("\(entry): \(String(describing: error))")
        continue
      }
    }
  }

  @Test("a graph from a newer kerasvis, or one that is not a graph")
  func graphVersion() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let sample = try SampleNativeFile()
    let (future, path) = try loadError(try sample.withGraph(at: ["format_version"]) { _ in .number(3) }, scratch)
    #expect(future == .unsupportedFormatVersion(file: path, found: 3, supported: 2))
    #expect(future?.description.contains("newer kerasvis") == true)
    let notJSON = sample.withHeader { updating($0, at: ["__metadata__", "kerasvis.graph"]) { _ in .string("{graph") } }
    let (broken, _) = try loadError(notJSON, scratch)
    guard case .invalidGraph? = broken else {
      Issue.record("\(String(describing: broken))")
      return
    }
  }

  @Test("a graph field of the wrong type or out of range names its JSON path")
  func graphFields() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let sample = try SampleNativeFile()
    let cases: [([JSONStep], JSONValue?, String)] = [
      (["model", "layers", 0, "op", "filters"], .string("8"), "model.layers[0].op.filters"),
      (["model", "layers", 0, "op", "filters"], .number(0), "model.layers[0].op.filters"),
      (["model", "layers", 0, "op", "kernel_size"], .array([.number(3)]), "model.layers[0].op.kernel_size"),
      (["model", "layers", 0, "op", "padding"], .string("full"), "model.layers[0].op.padding"),
      (["model", "layers", 0, "op", "activation"], .string("relu7"), "model.layers[0].op.activation"),
      (["model", "layers", 0, "op", "op"], .string("conv4d"), "model.layers[0].op.op"),
      (["model", "layers", 3, "op", "epsilon"], nil, "model.layers[3].op.epsilon"),
      (["model", "layers", 2, "index"], .number(7), "model.layers[2].index"),
      (["model", "layers", 6, "nodes"], .array([]), "model.layers[6].nodes"),
      (
        ["model", "inputs", 0, "shape"], .array([.null, .number(28), .number(-28), .number(1)]),
        "model.inputs[0].shape[2]"
      ),
      (["model", "inputs", 0, "shape"], .array([]), "model.inputs[0].shape"),
      (["model", "kind"], .string("Subclassed"), "model.kind"),
      (["model", "layers"], .object([:]), "model.layers"),
    ]
    for (location, value, expectedPath) in cases {
      let (error, _) = try loadError(try sample.withGraph(at: location) { _ in value }, scratch)
      guard case .invalidGraph(_, let path, _)? = error else {
        Issue.record("\(expectedPath): \(String(describing: error))")
        continue
      }
      #expect(path == expectedPath)
    }
  }

  @Test("a graph that references missing tensors, layers or inputs, or contradicts itself")
  func inconsistentGraphs() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let sample = try SampleNativeFile()
    let (missing, path) = try loadError(
      try sample.withGraph(at: ["model", "layers", 8, "weights", 0, "tensor"]) { _ in .string("dense/kernel:0") },
      scratch)
    #expect(missing == .missingTensor(file: path, layer: "dense", tensor: "dense/kernel:0"))

    let changes: [([JSONStep], JSONValue, String)] = [
      // Another filter count changes the output shape the file stores.
      (["model", "layers", 0, "op", "filters"], .number(9), "output shapes"),
      // The kernel of another layer has the wrong shape.
      (["model", "layers", 8, "weights", 0, "tensor"], .string("dense_1/kernel"), "has shape"),
      // A weight list that does not match the operation.
      (["model", "layers", 8, "weights"], .array([]), "needs the weights"),
      // Reads a layer that does not exist, or a later layer (a cycle).
      (
        ["model", "layers", 1, "nodes", 0, "inputs", 0],
        .object(["layer": .number(99), "node": .number(0), "tensor": .number(0)]), "does not exist"
      ),
      (["model", "layers", 1, "nodes", 0, "inputs", 0], .object(["input": .number(3)]), "does not exist"),
      (
        ["model", "layers", 0, "nodes", 0, "inputs", 0],
        .object(["layer": .number(1), "node": .number(0), "tensor": .number(0)]), "cycle"
      ),
      (
        ["model", "outputs", 0], .object(["layer": .number(9), "node": .number(1), "tensor": .number(0)]),
        "does not exist"
      ),
      // Softmax over an axis the input does not have.
      (
        ["model", "layers", 9, "op"], .object(["op": .string("softmax"), "axis": .array([.number(3)])]), "out of range"
      ),
    ]
    for (location, value, message) in changes {
      let (error, _) = try loadError(try sample.withGraph(at: location) { _ in value }, scratch)
      guard case .inconsistentGraph(_, _, let detail)? = error else {
        Issue.record("\(message): \(String(describing: error))")
        continue
      }
      #expect(detail.contains(message), "\(detail)")
    }
  }

  @Test("a topology file with a native file is refused")
  func topologyWithNativeFile() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let path = scratch.path("model.safetensors")
    try write(try SampleNativeFile().bytes, to: path)
    #expect(throws: NativeFormatError.self) {
      try ModelLoader.load(path: path, topologyPath: fixturePath("weights_only.json"))
    }
  }
}

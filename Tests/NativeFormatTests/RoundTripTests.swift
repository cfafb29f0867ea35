import Foundation
import KerasVis
import TestSupport
import Testing

@Suite("Native files give the same graph and the same results as the Keras files they came from")
struct RoundTripTests {
  @Test("layers, connections, shapes and weights are equal, and predict gives the same bits", arguments: fixtureModels)
  func roundTrip(fixture: FixtureModel) throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let original = try fixture.load()
    let path = scratch.path("model.safetensors")
    try NativeModelFile.write(original, to: path)
    let loaded = try ModelLoader.load(path: path)
    let problems = differences(original, loaded)
    #expect(problems.isEmpty, "\(fixture.file): \(problems.prefix(5))")
    #expect(allWeights(loaded).count == allWeights(original).count)
    #expect(!allWeights(loaded).isEmpty)

    let inputs = try fixture.outputs.map(fixtureInputs) ?? seededInputs(for: original)
    let expected = try CompiledModel(graph: original).predict(inputs)
    let actual = try CompiledModel(graph: loaded).predict(inputs)
    #expect(expected.count == actual.count)
    for (position, (a, b)) in zip(actual, expected).enumerated() {
      #expect(a.shape == b.shape)
      #expect(a.scalars == b.scalars, "\(fixture.file): output \(position) differs")
    }
  }

  @Test("tensors are named <layer path>/<weight name> and stored in Keras's weight order")
  func tensorNames() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let graph = try KerasModelFile.load(path: fixturePath("nested_mobilenet.h5"))
    let path = scratch.path("nested.safetensors")
    try NativeModelFile.write(graph, to: path)
    let header = try NativeModelFile.header(path: path)
    // The header lists tensors in data order, which is the graph's weight order.
    #expect(header.tensors.map(\.name) == allWeights(graph).map(\.path))
    let nested = graph.layers[0].name
    #expect(header.tensors.first?.name == "\(nested)/Conv1/kernel")
    #expect(header.tensors.contains { $0.name == "\(nested)/bn_Conv1/moving_variance" })
    #expect(header.tensors.last?.name == "dense/bias")
    #expect(header.dataStart % 8 == 0)
    #expect(header.tensors.allSatisfy { $0.dtype == .float32 })
  }

  @Test("Float32 weights are used in place: they point into the file's memory mapping")
  func weightsAreMapped() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let path = scratch.path("inception.safetensors")
    try NativeModelFile.write(try KerasModelFile.load(path: fixturePath("inception_v3_narrow.h5")), to: path)
    let graph = try NativeModelFile.load(path: path)
    // /proc/self/maps lists the mapping of the file: "start-end r--p offset dev inode path".
    // Read to the end in a loop: /proc files report a size of 0, and a busy test process has thousands of mappings.
    let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/maps"))
    let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    try? handle.close()
    let ranges = maps.split(separator: "\n").filter { $0.hasSuffix(path) }.compactMap { line -> Range<UInt>? in
      let bounds = line.split(separator: " ")[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
      return bounds.count == 2 ? bounds[0]..<bounds[1] : nil
    }
    #expect(!ranges.isEmpty, "the file is not mapped")
    let weights = allWeights(graph)
    #expect(weights.count > 300)
    for (name, weight) in weights {
      let address = UInt(bitPattern: weight.values.baseAddress)
      #expect(ranges.contains { $0.contains(address) }, "\(name) is a copy, not the mapped data")
    }
  }

  @Test("Layer.config reads back only when kept; the model runs the same without it")
  func withoutKerasConfig() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let original = try KerasModelFile.load(path: fixturePath("layer_zoo_k2.h5"))
    let path = scratch.path("zoo.safetensors")
    try NativeModelFile.write(original, to: path, options: NativeWriteOptions(includesKerasConfig: false))
    let loaded = try NativeModelFile.load(path: path)
    #expect(differences(original, loaded, comparingConfig: false).isEmpty)
    #expect(loaded.layers.allSatisfy { $0.config == .object([:]) })
    let withConfig = scratch.path("zoo-config.safetensors")
    try NativeModelFile.write(original, to: withConfig)
    let smaller = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    let larger = try FileManager.default.attributesOfItem(atPath: withConfig)[.size] as? Int ?? 0
    #expect(smaller < larger)
    let inputs = try fixtureInputs("layer_zoo_k2")
    #expect(try CompiledModel(graph: loaded).predict(inputs) == CompiledModel(graph: original).predict(inputs))
  }

  @Test("writing the same graph twice gives the same bytes")
  func deterministic() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let graph = try KerasModelFile.load(path: fixturePath("layer_zoo_k3.keras"))
    try NativeModelFile.write(graph, to: scratch.path("a.safetensors"))
    try NativeModelFile.write(graph, to: scratch.path("b.safetensors"))
    #expect(try readBytes(scratch.path("a.safetensors")) == readBytes(scratch.path("b.safetensors")))
  }

  @Test("a native file converts again (native to native) into the same bytes")
  func nativeToNative() throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    try ModelLoader.convert(from: fixturePath("sequential_cnn.h5"), to: scratch.path("a.safetensors"))
    try ModelLoader.convert(from: scratch.path("a.safetensors"), to: scratch.path("b.safetensors"))
    #expect(try readBytes(scratch.path("a.safetensors")) == readBytes(scratch.path("b.safetensors")))
  }

  @Test("custom layers round-trip through their Keras config and the registry")
  func customLayer() throws {
    struct Doubling: CustomLayer {
      var factor: Float
      func weightSpecifications(inputShapes: [TensorShape]) throws -> [WeightSpecification] { [] }
      func outputShapes(inputShapes: [TensorShape]) throws -> [TensorShape] { inputShapes }
      func forward(inputs: [[Float]], inputShapes: [[Int]], weights: [Weight], outputShape: [Int]) throws -> [Float] {
        inputs[0].map { $0 * factor }
      }
    }
    var registry = LayerRegistry()
    registry.register(className: "Lambda") { config in
      // The factory reads the Keras config: a missing name would show as a different factor.
      Doubling(factor: config["name"]?.string == "doubling" ? 2 : 3)
    }
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let path = scratch.path("lambda.safetensors")
    try ModelLoader.convert(
      from: fixturePath("lambda_layer.h5"), to: path,
      options: NativeWriteOptions(includesKerasConfig: false), registry: registry)
    let original = try KerasModelFile.load(path: fixturePath("lambda_layer.h5"), registry: registry)
    let loaded = try NativeModelFile.load(path: path, registry: registry)
    #expect(differences(original, loaded, comparingConfig: false).isEmpty)
    let inputs = try seededInputs(for: original)
    #expect(try CompiledModel(graph: loaded).predict(inputs) == CompiledModel(graph: original).predict(inputs))
    #expect(throws: NativeFormatError.customLayerNotRegistered(file: path, layer: "doubling", className: "Lambda")) {
      try NativeModelFile.load(path: path)
    }
  }
}

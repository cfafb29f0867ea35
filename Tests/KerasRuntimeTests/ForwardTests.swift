import Foundation
import KerasGraph
import KerasReaders
import KerasRuntime
import TestSupport
import Testing

/// Every fixture model with stored Keras outputs: (model file, topology or nil, fixture name).

@Suite("Forward passes equal Keras's")
struct ForwardTests {
  @Test("a model with unknown height and width runs at any size, batch 2 and batch 1")
  func anySize() throws {
    let model = CompiledModel(graph: try KerasModelFile.load(path: fixturePath("fully_convolutional.h5")))
    for size in ["size0", "size1"] {
      let input = try fixtureArray("fully_convolutional.\(size).input.npy")
      let expected = try fixtureArray("fully_convolutional.\(size).output_0.npy")
      expectAllClose(try model.predict([input])[0], expected, rtol: 1e-4, atol: 1e-5, "fully_convolutional \(size)")
    }
  }

  @Test("an input of the wrong size is refused with the model's shape")
  func wrongSize() throws {
    let model = CompiledModel(graph: try KerasModelFile.load(path: fixturePath("sequential_cnn.h5")))
    #expect(throws: TensorError.self) { try model.predict([try Tensor(zeros: [1, 30, 28, 1])]) }
    #expect(throws: TensorError.self) { try model.predict([try Tensor(zeros: [28, 28, 1])]) }
    #expect(throws: TensorError.self) { try model.predict([]) }
  }

  // Probabilities (softmax outputs) within rtol 1e-4 / atol 1e-5, as the issue asks. oneDNN and TensorFlow sum
  // in different orders (and kerasvis folds BatchNormalization into convolutions), which moves float32 results
  // by a few ulps per layer; through ~100 layers that stays well inside these bounds.
  @Test("every fixture model's outputs equal Keras's outputs", arguments: kerasFixtures.filter(\.hasOutputs))
  func matchesKeras(fixture: KerasFixture) throws {
    let graph = try KerasModelFile.load(
      path: fixturePath(fixture.file), topologyPath: fixture.topology.map(fixturePath))
    let model = CompiledModel(graph: graph)
    let outputs = try model.predict(try fixtureInputs(fixture.name))
    let expected = try fixtureOutputs(fixture.name)
    #expect(outputs.count == expected.count)
    for (position, (actual, reference)) in zip(outputs, expected).enumerated() {
      expectAllClose(actual, reference, rtol: 1e-4, atol: 1e-5, "\(fixture.file) output \(position)")
    }
  }
}

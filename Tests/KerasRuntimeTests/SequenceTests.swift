import Foundation
import KerasGraph
import KerasReaders
import KerasRuntime
import TestSupport
import Testing

@Suite("Sequence layers: refusals and token ids")
struct SequenceTests {
  @Test("a stateful LSTM is refused with an error naming the layer, its index and the field")
  func statefulRefused() throws {
    let config = #"""
      {"class_name": "Sequential", "keras_version": "2.21.0", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [2, 5, 3], "name": "in"}},
        {"class_name": "Dense", "config": {"name": "projection", "units": 3}},
        {"class_name": "LSTM", "config": {"name": "memory", "units": 4, "stateful": true}}]}}
      """#
    do {
      _ = try KerasModelFile.architecture(fromConfigJSON: Data(config.utf8), source: "stateful.json")
      Issue.record("a stateful LSTM was imported")
    } catch let error as KerasImportError {
      guard case .invalidLayerConfig(_, let layer, let field, _) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(layer.path == "memory")
      #expect(layer.index == 1)
      #expect(field == "stateful")
      #expect("\(error)".contains("stateful recurrent layers are not supported"))
    }
  }

  @Test("a token id outside the vocabulary is an error naming the Embedding and the id")
  func tokenOutOfRange() throws {
    let graph = try KerasModelFile.load(path: fixturePath("text_zoo_k2.h5"))
    let model = CompiledModel(graph: graph)
    let tokens = try Tensor(shape: [1, 6], values: [1, 2, 3, 25, 0, 0])
    do {
      _ = try model.predict([tokens])
      Issue.record("token 25 of a vocabulary of 20 was accepted")
    } catch let error as TensorError {
      guard case .invalidInput(let detail) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(detail.contains("embedding"))
      #expect(detail.contains("25"))
    }
  }

  @Test(
    "Keras 3 masks: the recorded mask operations import, a padded sample gives Keras's output, a later token counts")
  func maskedStepsCarry() throws {
    // A Keras 3 Sequential records no masks: they are filled in for every call, as Keras does.
    let graph = try KerasModelFile.load(path: fixturePath("text_zoo_k3.keras"))
    let model = CompiledModel(graph: graph)
    let padded = try model.predict([try Tensor(shape: [1, 6], values: [5, 11, 8, 0, 0, 0])])[0]
    let other = try model.predict([try Tensor(shape: [1, 6], values: [5, 11, 8, 0, 0, 7])])[0]
    let rnn = try KerasModelFile.load(path: fixturePath("rnn_zoo_k3.keras"))
    #expect(rnn.operations.contains { $0.kind is MaskOperation }, "Keras 3's recorded mask operations import")
    let expected = try fixtureOutputs("text_zoo_k3")[0]
    // Sample 1 of the fixture is [5, 11, 8, 0, 0, 0]: Keras's own output, to float32 rounding.
    expectAllClose(padded, try expected.sample(1).reshaped([1, 3]), rtol: 1e-4, atol: 1e-5, "padded tokens")
    #expect(padded.scalars != other.scalars, "a token after the padding must count")
  }
}

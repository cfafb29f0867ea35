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

  /// A tf.keras Functional config: Masking, then `merge` of the masked tensor with `other`, into an LSTM(2).
  private func mergedModel(_ merge: String, other: String) throws -> Graph {
    let config = """
      {"class_name": "Functional", "keras_version": "2.21.0", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "name": "x", "config": {"batch_input_shape": [null, 4, 3], "name": "x"},
         "inbound_nodes": []},
        {"class_name": "Masking", "name": "masking", "config": {"name": "masking", "mask_value": 0.0},
         "inbound_nodes": [[["x", 0, 0, {}]]]},
        {"class_name": "\(merge)", "name": "merged", "config": {"name": "merged"},
         "inbound_nodes": [[["masking", 0, 0, {}], ["\(other)", 0, 0, {}]]]},
        {"class_name": "LSTM", "name": "lstm", "config": {"name": "lstm", "units": 2},
         "inbound_nodes": [[["merged", 0, 0, {}]]]}],
        "input_layers": [["x", 0, 0]], "output_layers": [["lstm", 0, 0]]}}
      """
    var graph = try KerasModelFile.architecture(fromConfigJSON: Data(config.utf8), source: "merged.json")
    let lstm = try #require(graph.layerIndex(named: "lstm"))
    let features = merge == "Add" ? 3 : 6
    graph.layers[lstm].weights = [
      Weight(
        name: "kernel", shape: [features, 8], values: FloatBuffer((0..<(features * 8)).map { Float($0 % 5) * 0.1 })),
      Weight(name: "recurrent_kernel", shape: [2, 8], values: FloatBuffer((0..<16).map { Float($0 % 3) * 0.1 })),
      Weight(name: "bias", shape: [8], values: FloatBuffer([Float](repeating: 0.05, count: 8))),
    ]
    return graph
  }

  @Test("a merge of masked and unmasked tensors (tf.keras ANDs, Keras 3 ORs) is refused where an LSTM reads it")
  func ambiguousMaskRefused() throws {
    var x = [Float](repeating: 0.5, count: 12)
    for i in 9..<12 { x[i] = 0 }  // the last step is masked
    let input = try Tensor(shape: [1, 4, 3], values: x)
    let concatenated = CompiledModel(graph: try mergedModel("Concatenate", other: "x"))
    do {
      _ = try concatenated.predict([input])
      Issue.record("an ambiguous mask was applied")
    } catch let error as TensorError {
      guard case .unsupportedLayer(let layer, let detail) = error else {
        Issue.record("unexpected error \(error)")
        return
      }
      #expect(layer.path == "lstm")
      #expect(detail.contains("tf.keras and Keras 3"))
    }
    // Both inputs under one mask: the mask holds. A masked first step keeps the zero states and a masked last
    // step the final ones, so [0, b, c, d] and [b, c, d, 0] both give the LSTM over b, c, d.
    let added = CompiledModel(graph: try mergedModel("Add", other: "masking"))
    let steps: [[Float]] = [[0.5, -0.2, 0.1], [0.3, 0.9, -0.4], [-0.7, 0.2, 0.6]]
    let zero: [Float] = [0, 0, 0]
    let first = try added.predict([try Tensor(shape: [1, 4, 3], values: zero + steps.joined())])[0]
    let last = try added.predict([try Tensor(shape: [1, 4, 3], values: Array(steps.joined()) + zero)])[0]
    #expect(first.scalars == last.scalars, "masked steps carry the states")
    let unmasked = try added.predict([try Tensor(shape: [1, 4, 3], values: Array(steps.joined()) + [0, 0, 1])])[0]
    #expect(unmasked.scalars != last.scalars)
  }
}

import Foundation
import KerasGraph
import KerasReaders
import KerasRuntime
import Testing

@Suite("Max pooling gradients break ties as TensorFlow does")
struct PoolingTieTests {
  /// A one-layer model `Input(3, 3, 1) -> layer` built from its config (no weights).
  func model(_ layer: String) throws -> CompiledModel {
    let config = """
      {"class_name": "Sequential", "config": {"name": "pool", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3, 3, 1], "name": "input"}}, \(layer)]}}
      """
    let graph = try KerasModelFile.architecture(fromConfigJSON: Data(config.utf8), kerasMajorVersion: 2)
    return CompiledModel(graph: graph, gradients: true)
  }

  func gradient(_ model: CompiledModel, input: [Float]) throws -> [Float] {
    let x = try Tensor(shape: [1, 3, 3, 1], values: input)
    let outputShape = try model.predict([x])[0].shape
    let ones = try Tensor(shape: outputShape) { _ in 1 }
    return try model.gradients([x], targets: [.input(0)]) { _ in [.output(0): ones] }.gradients[0].scalars
  }

  // The expected arrays are what TensorFlow 2.21 (tf.GradientTape over tf.nn.max_pool2d and reduce_max) gives.
  @Test("MaxPooling2D: the first maximum of each window, row by row")
  func firstMaximum() throws {
    let valid = try model(
      #"{"class_name": "MaxPooling2D", "config": {"pool_size": [2, 2], "strides": [1, 1], "padding": "valid", "name": "p"}}"#
    )
    #expect(try gradient(valid, input: [Float](repeating: 1, count: 9)) == [1, 1, 0, 1, 1, 0, 0, 0, 0])
    let same = try model(
      #"{"class_name": "MaxPooling2D", "config": {"pool_size": [3, 3], "strides": [2, 2], "padding": "same", "name": "p"}}"#
    )
    #expect(try gradient(same, input: [0, 2, 2, 2, 1, 1, 1, 1, 1]) == [0, 2, 0, 1, 1, 0, 0, 0, 0])
  }

  @Test("GlobalMaxPooling2D: the gradient is split between tied maxima")
  func splitTies() throws {
    let global = try model(#"{"class_name": "GlobalMaxPooling2D", "config": {"name": "p"}}"#)
    let result = try gradient(global, input: [1, 3, 0, 3, 2, 3, 0, 0, 1])
    #expect(result.enumerated().allSatisfy { abs($1 - ([1, 3, 5].contains($0) ? 1.0 / 3 : 0)) < 1e-7 })
  }
}

import Foundation
import KerasGraph
import KerasReaders
import KerasRuntime
import TestSupport
import Testing

/// Fixtures with TensorFlow gradients (`NAME.grad.json`): (model file, fixture name).

@Suite("Backward passes equal TensorFlow's gradients")
struct GradientTests {
  // Gradients of L = sum_k sum(seed_k * output_k) (random seeds). They pass through up to ~100 layers in reverse,
  // each summing in another order than TensorFlow, so the comparison is relative to the gradient's largest
  // magnitude: |a - b| <= 1e-4 max|b| + 1e-4 |b|.
  @Test("input and layer gradients equal tf.GradientTape's", arguments: kerasFixtures.filter(\.hasGradients))
  func matchesTensorFlow(fixture: KerasFixture) throws {
    let graph = try KerasModelFile.load(
      path: fixturePath(fixture.file), topologyPath: fixture.topology.map { fixturePath($0) })
    let report = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: fixturePath("\(fixture.name).grad.json"))))
    let layers = (report["layers"]?.array ?? []).compactMap(\.int).map { LayerOutputKey(address: [$0]) }
    let model = CompiledModel(graph: graph, keeping: layers, gradients: true)
    let inputs = try fixtureInputs(fixture.name)
    var seeds: [ModelTensor: Tensor] = [:]
    for position in graph.outputs.indices {
      seeds[.output(position)] = try fixtureArray("\(fixture.name).seed_\(position).npy")
    }
    // Integer token inputs have no gradient: their fixtures list no inputs (`"inputs": []`).
    let inputPositions = report["inputs"]?.array?.compactMap(\.int) ?? Array(inputs.indices)
    let targets = inputPositions.map { ModelTensor.input($0) } + layers.map { ModelTensor.layer($0) }
    let (_, gradients) = try model.gradients(inputs, targets: targets) { _ in seeds }
    for (target, gradient) in zip(targets, gradients) {
      let file: String
      switch target {
      case .input(let position): file = "\(fixture.name).grad_input_\(position).npy"
      case .layer(let key): file = "\(fixture.name).grad_layer_\(layers.firstIndex(of: key)!).npy"
      case .output: continue
      }
      let expected = try fixtureArray(file)
      #expect(largestMagnitude(expected) > 0, "\(file) is all zeros: the fixture tests nothing")
      expectAllClose(
        gradient, expected, rtol: 1e-4, atol: 1e-4 * largestMagnitude(expected), "\(fixture.file) \(target)")
    }
  }
}

import Foundation
import KerasGraph
import KerasReaders
import KerasRuntime
import TestSupport
import Testing

@Suite("Concurrent requests share weights and a bounded number of plans")
struct SharedPlanTests {
  @Test("8 concurrent gradient requests: at most maximumConcurrentPlans plans, weights prepared once, same results")
  func eightThreads() async throws {
    let graph = try KerasModelFile.load(path: fixturePath("inception_v3_narrow.h5"))
    let seeds = try fixtureArray("inception_v3_narrow.input.npy")
    let base = try seeds.sample(0)
    let inputs = try (0..<8).map { index in
      try Tensor(shape: base.shape, values: base.scalars.map { $0 * (1 + Float(index) / 8) })
    }
    let layer = LayerOutputKey(address: [310])
    func gradient(_ model: CompiledModel, _ input: Tensor) throws -> Tensor {
      try model.gradients([input], targets: [.layer(layer)]) { forward in
        let output = forward.outputs[0]
        var seed = [Float](repeating: 0, count: output.count)
        seed[3] = 1
        return [.output(0): try Tensor(shape: output.shape, values: seed)]
      }.gradients[0]
    }
    let serialModel = CompiledModel(graph: graph, keeping: [layer], gradients: true)
    let serial = try inputs.map { try gradient(serialModel, $0) }
    let onePlanWeights = serialModel.preparedWeightBytes
    #expect(serialModel.planCount == 1 && onePlanWeights > 0)

    let shared = CompiledModel(graph: graph, keeping: [layer], gradients: true, maximumConcurrentPlans: 2)
    let concurrent = try await withThrowingTaskGroup(of: (Int, Tensor).self) { group in
      for index in 0..<8 { group.addTask { (index, try gradient(shared, inputs[index])) } }
      var results = [Tensor?](repeating: nil, count: 8)
      for try await (index, value) in group { results[index] = value }
      return results
    }
    #expect(shared.planCount <= 2, "plans: \(shared.planCount)")
    // Every plan of one shape asks for the same layouts: the weights are prepared once, whatever the plan count.
    #expect(shared.preparedWeightBytes == onePlanWeights)
    for index in 0..<8 { #expect(concurrent[index] == serial[index], "request \(index)") }
  }
}

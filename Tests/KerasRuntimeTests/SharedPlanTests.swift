import Foundation
import KerasGraph
import KerasReaders
import TestSupport
import Testing

@testable import KerasRuntime

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

  @Test("a compiled model's plans share their algorithm choices: decided once, by the first plan to ask")
  func sharedChoices() async throws {
    let choices = PlanChoices()
    let decisions = Counter()
    // 16 plans building at once ask for the same two choices; the first asker of each decides (slowly), the others
    // wait and follow, whatever each would have decided itself.
    let answers = await withTaskGroup(of: [Int].self) { group in
      for asker in 0..<16 {
        group.addTask {
          ["conv_a: winograd", "conv_b: winograd"].map { key in
            choices.choice(key) {
              decisions.increment()
              Thread.sleep(forTimeInterval: 0.01)
              return asker
            }
          }
        }
      }
      return await group.reduce(into: []) { $0.append($1) }
    }
    #expect(decisions.value == 2)
    #expect(Set(answers.map { $0[0] }).count == 1 && Set(answers.map { $0[1] }).count == 1)
  }

  @Test("a forward-only plan shares activation buffers by liveness: far fewer bytes, the same outputs")
  func liveness() throws {
    let graph = try KerasModelFile.load(path: fixturePath("inception_v3_narrow.h5"))
    let input = try fixtureArray("inception_v3_narrow.input.npy")
    let forwardOnly = CompiledModel(graph: graph)
    let kept = CompiledModel(graph: graph, gradients: true)
    let shared = try forwardOnly.predict([input])[0]
    let whole = try kept.predict([input])[0]
    // The same convolutions may run as inference or training primitives: float32 round-off.
    expectAllClose(shared, whole, rtol: 1e-5, atol: 1e-6, "forward-only against all-values plan")
    // InceptionV3's blocks keep a few maps alive at a time (the branches of one mixed block): 2.2x fewer bytes here.
    #expect(
      forwardOnly.activationBytes * 2 < forwardOnly.unsharedActivationBytes,
      "shared \(forwardOnly.activationBytes) bytes of \(forwardOnly.unsharedActivationBytes)")
    #expect(kept.activationBytes == kept.unsharedActivationBytes, "a plan with backward passes keeps every value")
    // Run twice: a shared buffer's earlier contents must not leak into the next run.
    #expect(try forwardOnly.predict([input])[0] == shared)
  }
}

/// A thread-safe count.
private final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  var value: Int {
    lock.lock()
    defer { lock.unlock() }
    return count
  }
  func increment() {
    lock.lock()
    count += 1
    lock.unlock()
  }
}

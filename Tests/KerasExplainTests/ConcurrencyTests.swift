import Foundation
import KerasVis
import TestSupport
import Testing

@Suite("One model serves several threads")
struct ConcurrencyTests {
  @Test("8 concurrent Grad-CAM and saliency requests equal a serial run")
  func concurrentRequests() async throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath("inception_v3_narrow.h5")))
    let seeds = try fixtureArray("inception_v3_narrow.input.npy")
    let base = try seeds.sample(0).reshaped([139, 139, 3])
    // Eight different inputs (the seed, scaled), each explained once serially.
    let inputs = try (0..<8).map { index in
      try Tensor(shape: base.shape, values: base.scalars.map { $0 * (1 + Float(index) / 8) })
    }
    func explain(_ index: Int) throws -> Tensor {
      if index % 2 == 0 {
        return try explainer.visualizeCam(
          layerIdx: 312, filterIndices: [index % 10], seedInput: inputs[index], penultimateLayerIdx: 310)
      }
      return try explainer.visualizeSaliency(layerIdx: 312, filterIndices: [index % 10], seedInput: inputs[index])
    }
    let serial = try (0..<8).map(explain)
    let concurrent = try await withThrowingTaskGroup(of: (Int, Tensor).self) { group in
      for index in 0..<8 { group.addTask { (index, try explain(index)) } }
      var results = [Tensor?](repeating: nil, count: 8)
      for try await (index, map) in group { results[index] = map }
      return results
    }
    for index in 0..<8 {
      #expect(concurrent[index] == serial[index], "request \(index) differs from the serial run")
    }
  }
}

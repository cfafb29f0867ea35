import KerasGraph
import KerasRuntime

/// A tensor of `shape` with values drawn uniformly from `range` by `generator`, in row-major order.
public func randomTensor(
  _ shape: [Int], in range: ClosedRange<Float> = -1...1, using generator: inout SeededGenerator
) throws -> Tensor {
  try Tensor(shape: shape) { _ in Float.random(in: range, using: &generator) }
}

/// Seeded inputs for a graph whose fixture stores none: values in -1...1 of the input shapes with batch 2
/// (unknown dimensions 8), the same on every run for a seed.
public func seededInputs(for graph: Graph, seed: UInt64 = 0x2545_F491_4F6C_DD1D) throws -> [Tensor] {
  var generator = SeededGenerator(state: seed)
  return try graph.inputs.map { input in
    try randomTensor([2] + input.shape.featureDimensions.map { $0 ?? 8 }, using: &generator)
  }
}

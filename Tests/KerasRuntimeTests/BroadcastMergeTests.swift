import KerasGraph
import KerasRuntime
import TestSupport
import Testing

/// A squeeze-and-excitation-like graph: `x * mean_hw(x)` ((N, H, W, C) times (N, 1, 1, C)), and the same with
/// the broadcast operand first and with Maximum and Subtract.
private func broadcastGraph(_ merge: MergeOperation, broadcastFirst: Bool) -> Graph {
  let shape = TensorShape([nil, 5, 4, 6])
  let input = Layer(
    index: 0, name: "x", className: "InputLayer", config: .object([:]), kind: InputLayer(),
    nodes: [Node(inputs: [.graphInput(0)], outputShapes: [shape])])
  let pooled = Layer(
    index: 1, name: "squeeze", className: "GlobalAveragePooling2D", config: .object([:]),
    kind: GlobalAveragePooling2D(keepDims: true),
    nodes: [Node(inputs: [.layerOutput(layer: 0, node: 0, tensor: 0)], outputShapes: [TensorShape([nil, 1, 1, 6])])])
  let operands: [TensorSource] = [
    .layerOutput(layer: 0, node: 0, tensor: 0), .layerOutput(layer: 1, node: 0, tensor: 0),
  ]
  let excite = Layer(
    index: 2, name: "excite", className: "Multiply", config: .object([:]), kind: Merge(merge),
    nodes: [Node(inputs: broadcastFirst ? operands.reversed() : operands, outputShapes: [shape])])
  return Graph(
    name: "se", kind: .functional, layers: [input, pooled, excite],
    inputs: [GraphInput(name: "x", shape: shape, layerIndex: 0)], outputs: [.layerOutput(layer: 2, node: 0, tensor: 0)])
}

@Suite("Broadcasting merges (squeeze-and-excitation) on oneDNN")
struct BroadcastMergeTests {
  // The forward-only plan computes the merge on oneDNN's binary primitive, the plan with gradients in Swift; both
  // are the same single float operation per element, so they agree exactly, and with a direct computation.
  @Test(
    "forward-only and gradient plans agree with x op mean(x)",
    arguments: [(MergeOperation.multiply, false), (.multiply, true), (.maximum, true), (.subtract, false)])
  func agrees(merge: MergeOperation, broadcastFirst: Bool) throws {
    let graph = broadcastGraph(merge, broadcastFirst: broadcastFirst)
    try graph.validate()
    var random = SeededGenerator(state: 7)
    let x = try randomTensor([2, 5, 4, 6], using: &random)
    let fast = try CompiledModel(graph: graph).predict([x])[0]
    let reference = try CompiledModel(graph: graph, gradients: true).predict([x])[0]
    #expect(fast.scalars == reference.scalars)
    var expected = [Float](repeating: 0, count: x.count)
    let values = x.scalars
    for n in 0..<2 {
      for c in 0..<6 {
        var sum: Float = 0
        for p in 0..<20 { sum += values[(n * 20 + p) * 6 + c] }
        let mean = sum / 20
        for p in 0..<20 {
          let i = (n * 20 + p) * 6 + c
          let (a, b) = broadcastFirst ? (mean, values[i]) : (values[i], mean)
          switch merge {
          case .multiply: expected[i] = a * b
          case .maximum: expected[i] = max(a, b)
          case .subtract: expected[i] = a - b
          default: expected[i] = .nan
          }
        }
      }
    }
    expectAllClose(fast.scalars, expected, rtol: 1e-6, atol: 1e-6, "\(merge)")
  }
}

import Foundation
import KerasGraph
import KerasReaders
import TestSupport
import Testing

@testable import KerasRuntime

/// Stride-1 3x3 convolutions may use Winograd's kernels, whose sums round differently from TensorFlow's direct
/// ones. Where that could move a gradient (a max pooling's routing of tied values), the plan keeps them direct.
@Suite("Winograd convolutions keep TensorFlow's gradient routing", .serialized)
struct WinogradTests {
  let graph: Graph
  /// A batch of uniform grey inputs (the first point of Integrated Gradients' path from a constant baseline): the
  /// first convolution's outputs are uniform per channel, so every window of the max pooling after it holds tied
  /// values; sequential_cnn is conv 3x3 -> max pooling -> conv 3x3 -> ... (At batch 24 oneDNN picks the Winograd
  /// kernel whose rounding differs across a tile; this batch made the check fail with every convolution on it.)
  let uniform: Tensor

  init() throws {
    graph = try KerasModelFile.load(path: fixturePath("sequential_cnn.h5"))
    uniform = try Tensor(shape: [24, 28, 28, 1]) { _ in 0.5 }
  }

  func inputGradient(_ model: CompiledModel) throws -> Tensor {
    let seed = try Tensor(shape: [24, 10]) { index in index % 10 == 3 ? 1 : 0 }
    return try model.gradients([uniform], targets: [.input(0)]) { _ in [.output(0): seed] }.gradients[0]
  }

  @Test("an input gradient through tied max pooling windows equals the one with every convolution direct")
  func tiesRouteAsDirect() throws {
    let planned = try inputGradient(CompiledModel(graph: graph, gradients: true))
    ConvolutionStep.winogradEnabled = false
    defer { ConvolutionStep.winogradEnabled = true }
    let direct = try inputGradient(CompiledModel(graph: graph, gradients: true))
    // Only rounding may differ (the convolution after the pooling may still use Winograd, forward and backward):
    // a gradient routed to another window position would differ by the size of the gradient itself.
    let scale = largestMagnitude(direct)
    #expect(scale > 0)
    expectAllClose(planned, direct, rtol: 1e-4, atol: 1e-5 * scale, "input gradient, uniform input")
  }

  @Test("a model compiled for layer gradients only refuses input targets and agrees on layer gradients")
  func layerGradientsOnly() throws {
    let kept = LayerOutputKey(address: [2])
    let layerOnly = CompiledModel(graph: graph, keeping: [kept], gradients: true, inputGradients: false)
    let general = CompiledModel(graph: graph, keeping: [kept], gradients: true)
    let seed = try Tensor(shape: [1, 10]) { index in index == 3 ? 1 : 0 }
    let input = try fixtureArray("sequential_cnn.input.npy").sample(0)
    #expect(throws: TensorError.self) {
      _ = try layerOnly.gradients([input], targets: [.input(0)]) { _ in [.output(0): seed] }
    }
    let fast = try layerOnly.gradients([input], targets: [.layer(kept)]) { _ in [.output(0): seed] }.gradients[0]
    let reference = try general.gradients([input], targets: [.layer(kept)]) { _ in [.output(0): seed] }.gradients[0]
    // Both sum in float32 in different orders (Winograd or direct) through two layers: rounding only.
    expectAllClose(fast, reference, rtol: 1e-4, atol: 1e-6 * largestMagnitude(reference), "layer gradient")
  }

  /// Input (13, 13, 64) -> Conv2D(80, 3x3, valid, ReLU or `activation`) -> Conv2D(64, 3x3, same), seeded random
  /// weights: the
  /// backward passes of both are Winograd convolutions of the flipped kernels with 80 and 64 output channels, the
  /// first through a zero-bordered copy of the gradient (a valid convolution's gradient pads by 2).
  func twoConvolutions(activation: String = "relu") throws -> Graph {
    let config = """
      {"class_name": "Sequential", "config": {"name": "wino", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 13, 13, 64], "name": "input"}},
        {"class_name": "Conv2D", "config": {"name": "valid", "filters": 80, "kernel_size": [3, 3], "strides": [1, 1],
          "padding": "valid", "activation": "\(activation)", "use_bias": true}},
        {"class_name": "Conv2D", "config": {"name": "same", "filters": 64, "kernel_size": [3, 3], "strides": [1, 1],
          "padding": "same", "activation": "linear", "use_bias": true}}]}}
      """
    var graph = try KerasModelFile.architecture(fromConfigJSON: Data(config.utf8), kerasMajorVersion: 2)
    var generator = SeededGenerator(state: 2_026_112_5)
    func random(_ shape: [Int]) -> FloatBuffer {
      FloatBuffer((0..<shape.reduce(1, *)).map { _ in Float.random(in: -0.1...0.1, using: &generator) })
    }
    for (index, shape) in [(0, [3, 3, 64, 80]), (1, [3, 3, 80, 64])] {
      let position = graph.layers.firstIndex { $0.name == (index == 0 ? "valid" : "same") } ?? -1
      try #require(position >= 0)
      graph.layers[position].weights = [
        Weight(name: "kernel", shape: shape, values: random(shape)),
        Weight(name: "bias", shape: [shape[3]], values: random([shape[3]])),
      ]
    }
    return graph
  }

  @Test("Winograd backward passes (one through a zero-bordered gradient) equal direct ones")
  func winogradBackward() throws {
    let graph = try twoConvolutions()
    var generator = SeededGenerator(state: 7)
    let input = try randomTensor([2, 13, 13, 64], using: &generator)
    let seed = try randomTensor([2, 11, 11, 64], using: &generator)
    func gradient() throws -> Tensor {
      try CompiledModel(graph: graph, gradients: true).gradients([input], targets: [.input(0)]) { _ in
        [.output(0): seed]
      }.gradients[0]
    }
    let planned = try gradient()
    ConvolutionStep.winogradEnabled = false
    defer { ConvolutionStep.winogradEnabled = true }
    let direct = try gradient()
    // Float32 sums of 9 x 80 and 9 x 64 products in other orders: rounding only.
    expectAllClose(planned, direct, rtol: 1e-4, atol: 1e-5 * largestMagnitude(direct), "input gradient")
  }
}

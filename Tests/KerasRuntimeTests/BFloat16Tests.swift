import Foundation
import KerasGraph
import KerasReaders
import KerasRuntime
import TestSupport
import Testing

/// The root-mean-square of `a - b` relative to that of `b`.
private func relativeRMS(_ a: Tensor, _ b: Tensor) -> Double {
  var (difference, reference) = (0.0, 0.0)
  for (x, y) in zip(a.scalars, b.scalars) {
    difference += Double(x - y) * Double(x - y)
    reference += Double(y) * Double(y)
  }
  return (difference / max(reference, .leastNormalMagnitude)).squareRoot()
}

/// Cosine of the angle between two tensors' values.
private func cosine(_ a: Tensor, _ b: Tensor) -> Double {
  var (dot, aa, bb) = (0.0, 0.0, 0.0)
  for (x, y) in zip(a.scalars, b.scalars) {
    dot += Double(x) * Double(y)
    aa += Double(x) * Double(x)
    bb += Double(y) * Double(y)
  }
  return dot / max((aa * bb).squareRoot(), .leastNormalMagnitude)
}

@Suite("bfloat16 convolutions approximate float32")
struct BFloat16Tests {
  /// Float32 and bfloat16 compilations of `graph`: outputs and input gradients for `seed` on the outputs.
  func compare(_ graph: Graph, input: Tensor, seedState: UInt64) throws -> (
    outputs: (exact: Tensor, approximate: Tensor), gradients: (exact: Tensor, approximate: Tensor)
  ) {
    let exact = CompiledModel(graph: graph, gradients: true)
    let approximate = CompiledModel(graph: graph, gradients: true, precision: .bfloat16)
    let outputShape = try exact.predict([input])[0].shape
    var generator = SeededGenerator(state: seedState)
    let seed = try randomTensor(outputShape, using: &generator)
    let (exactForward, exactGradients) = try exact.gradients([input], targets: [.input(0)]) { _ in
      [.output(0): seed]
    }
    let (approximateForward, approximateGradients) = try approximate.gradients([input], targets: [.input(0)]) { _ in
      [.output(0): seed]
    }
    return (
      (exactForward.outputs[0], approximateForward.outputs[0]), (exactGradients[0], approximateGradients[0])
    )
  }

  // bfloat16 keeps 8 significant bits (relative rounding up to 2^-9 = 0.2%) of every convolution input and weight,
  // summing in float32: through two linear convolutions outputs and gradients differ by under 1% RMS (measured
  // 0.3%). With a ReLU between them, a pre-activation within rounding of zero opens the ReLU in one and not the
  // other, which moves whole gradient contributions: still under 10% RMS (measured 4%) and pointing the same way
  // (cosine >= 0.995, measured 0.9992). The approximation must also be in effect: results differ from float32's.
  @Test("two convolutions: outputs and input gradients", arguments: ["linear", "relu"])
  func twoConvolutions(activation: String) throws {
    let graph = try WinogradTests().twoConvolutions(activation: activation)
    var generator = SeededGenerator(state: 3)
    let input = try randomTensor([2, 13, 13, 64], using: &generator)
    let (outputs, gradients) = try compare(graph, input: input, seedState: 4)
    let (outputError, gradientError) = (
      relativeRMS(outputs.approximate, outputs.exact), relativeRMS(gradients.approximate, gradients.exact)
    )
    let alignment = cosine(gradients.exact, gradients.approximate)
    print(
      "bfloat16, two convolutions (\(activation)): RMS error outputs \(outputError), gradient \(gradientError),",
      "gradient cosine \(alignment)")
    #expect(outputError <= 0.01)
    #expect(gradientError <= (activation == "linear" ? 0.01 : 0.1))
    #expect(alignment >= 0.995)
    #expect(zip(outputs.exact.scalars, outputs.approximate.scalars).contains { $0 != $1 }, "bfloat16 had no effect")
  }

  // Through the ~100 layers of the narrow InceptionV3 (4 to 24 channels, random weights) the outputs stay within 5%
  // of the largest probability and the top class is kept; the input gradient points the same way only roughly
  // (cosine >= 0.9, measured 0.96): its max poolings hold many near-ties, and a 0.2% change of a value picks
  // another window position to route the gradient to.
  @Test("InceptionV3 (narrow): outputs within 5%, gradients roughly aligned")
  func inceptionNarrow() throws {
    let graph = try KerasModelFile.load(path: fixturePath("inception_v3_narrow.h5"))
    let input = try fixtureInputs("inception_v3_narrow")[0]
    let (outputs, gradients) = try compare(graph, input: input, seedState: 16)
    expectAllClose(outputs.approximate, outputs.exact, rtol: 0, atol: 0.05 * largestMagnitude(outputs.exact), "outputs")
    let classes = outputs.exact.shape[1]
    for sample in 0..<outputs.exact.shape[0] {
      let exact = Array(outputs.exact.scalars[(sample * classes)..<((sample + 1) * classes)])
      let approximate = Array(outputs.approximate.scalars[(sample * classes)..<((sample + 1) * classes)])
      #expect(
        exact.indices.max { exact[$0] < exact[$1] } == approximate.indices.max { approximate[$0] < approximate[$1] })
    }
    print(
      "bfloat16, narrow InceptionV3: gradient RMS error \(relativeRMS(gradients.approximate, gradients.exact)),",
      "cosine \(cosine(gradients.exact, gradients.approximate))")
    #expect(cosine(gradients.exact, gradients.approximate) >= 0.9)
  }
}

import Foundation
import KerasGraph
import KerasReaders
import KerasRuntime
import TestSupport
import Testing

@Suite("Backward passes agree with finite differences")
struct FiniteDifferenceTests {
  // f(x) = sum(seed * output); the directional derivative <grad f, v> against (f(x + h v) - f(x - h v)) / 2h for
  // random directions v. Float32 forward passes leave rounding noise of about 1e-6 |f| / h in the difference
  // quotient (bounded here by 2e-6 * sum|seed * output| / h), and a ReLU kink inside [x - hv, x + hv] adds a
  // more (layer_zoo_k3 has ReLU6, hard sigmoid and max pooling: one direction is 5% off), so the two must agree
  // within 10% of the derivative's size plus that noise. The comparisons with tf.GradientTape are the exact ones.
  @Test("directional derivatives", arguments: ["layer_zoo_k3.keras", "nested_k3.keras", "weights_only_k3.weights.h5"])
  func directional(file: String) throws {
    let topology =
      file.hasSuffix(".weights.h5") ? fixturePath(file.replacingOccurrences(of: ".weights.h5", with: ".json")) : nil
    // Logits rather than softmax probabilities: larger derivatives, the same backward code below the last layer.
    let imported = try KerasModelFile.load(path: fixturePath(file), topologyPath: topology)
    let graph = try imported.replacingActivation(ofLayerAt: [imported.layers.count - 1], with: .linear)
    let name = String(file.prefix { $0 != "." })
    let input = try fixtureInputs(name)[0]
    let model = CompiledModel(graph: graph, gradients: true)
    var generator = SeededGenerator(state: 20_261_125)
    let outputShape = try model.predict([input])[0].shape
    let seed = try randomTensor(outputShape, using: &generator)
    func f(_ x: Tensor) throws -> (value: Double, magnitude: Double) {
      let output = try model.predict([x])[0]
      return zip(output.scalars, seed.scalars).reduce((0, 0)) {
        ($0.0 + Double($1.0 * $1.1), $0.1 + Double(abs($1.0 * $1.1)))
      }
    }
    let gradient = try model.gradients([input], targets: [.input(0)]) { _ in [.output(0): seed] }.gradients[0]
    let scale = input.scalars.map { abs($0) }.max() ?? 1
    var compared = 0
    for _ in 0..<8 {
      let direction = try randomTensor(input.shape, using: &generator)
      let step = Float(2e-3) * max(scale, 1)
      let plus = try Tensor(shape: input.shape, values: zip(input.scalars, direction.scalars).map { $0 + step * $1 })
      let minus = try Tensor(shape: input.shape, values: zip(input.scalars, direction.scalars).map { $0 - step * $1 })
      let (high, low) = (try f(plus), try f(minus))
      let numeric = (high.value - low.value) / (2 * Double(step))
      let noise = 2e-6 * (high.magnitude + low.magnitude) / Double(step)
      let analytic = zip(gradient.scalars, direction.scalars).reduce(0) { $0 + Double($1.0 * $1.1) }
      // A derivative that does not stand well clear of the noise says nothing either way.
      guard abs(analytic) > 5 * noise else { continue }
      compared += 1
      #expect(
        abs(numeric - analytic) <= 0.1 * abs(analytic) + noise, "\(file): \(numeric) vs \(analytic), noise \(noise)")
    }
    #expect(compared >= 4, "\(file): only \(compared) of 8 directional derivatives stood clear of rounding noise")
  }
}

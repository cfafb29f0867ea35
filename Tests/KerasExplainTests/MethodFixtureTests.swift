import Foundation
import KerasVis
import TestSupport
import Testing

private let mapCases = MethodCase.all.filter {
  !["integrated-gradients", "input-x-gradient", "guided-gradcam", "guided-gradcam++"].contains($0.method)
}
private let attributionCases = MethodCase.all.filter {
  ["integrated-gradients", "input-x-gradient", "guided-gradcam", "guided-gradcam++"].contains($0.method)
}

/// The tolerance for a map in 0...1: the references are float16, exact to 2.44e-4 in 0.5...1 (half the spacing
/// 2^-11); float32 round-off between oneDNN and PyTorch/TensorFlow adds at most a few 1e-6 on these models (the
/// largest difference measured over all cases is 2.47e-4), so 5e-4 leaves room without hiding a real difference
/// (a wrong resize, epsilon or normalization moves maps by more than 1e-2).
let mapTolerance: Float = 5e-4

@Suite("Methods against pytorch-grad-cam, tf-keras-vis and Captum")
struct MethodFixtureTests {
  @Test("the reference cases load")
  func casesLoad() {
    #expect(MethodCase.all.count >= 40)
  }

  @Test("maps equal the reference library's", arguments: mapCases)
  func mapsMatch(_ reference: MethodCase) throws {
    let explanation = try reference.explainer().explain(try reference.request(), with: try reference.kerasvisMethod())
    let expected = try reference.expectedTensor()
    #expect(explanation.maps.shape == expected.shape, "\(reference)")
    let difference = largestDifference(explanation.maps, expected)
    #expect(difference <= mapTolerance, "\(reference): max |kerasvis - reference| = \(difference)")
  }

  // Raw attributions (gradients times inputs, float32 references) are compared relative to their largest
  // magnitude: float32 round-off of gradients through the network (the ports' outputs agree with Keras to 1e-7
  // relative) summed over up to 16 quadrature points stays below 1e-6 (measured: 6.1e-7); 1e-5 allows for other
  // CPUs' summation orders.
  @Test("attributions equal Captum's and pytorch-grad-cam's", arguments: attributionCases)
  func attributionsMatch(_ reference: MethodCase) throws {
    let explanation = try reference.explainer().explain(try reference.request(), with: try reference.kerasvisMethod())
    let expected = try reference.expectedTensor()
    let actual = try #require(explanation.attributions)
    #expect(actual.shape == expected.shape, "\(reference)")
    let relative = largestDifference(actual, expected) / largestMagnitude(expected)
    #expect(relative <= 1e-5, "\(reference): max |kerasvis - reference| / max |reference| = \(relative)")
  }
}

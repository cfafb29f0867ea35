import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasExplain

/// `Tests/Fixtures/methods/metrics.json`: pytorch-grad-cam's metrics and RISE's deletion/insertion on the
/// sequential_cnn port (see `tools/make_method_fixtures.py`).
private struct MetricReference {
  let json: JSONValue
  let input: Tensor
  let explainer: Explainer
  let classes: [Int]

  init() throws {
    json = try JSONValue.parse(Data(contentsOf: FixtureFolder.methods.url("metrics.json")))
    input = try fixtureArray("sequential_cnn.input.npy")
    explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath("sequential_cnn.h5")))
    classes = (json["classes"]?.array ?? []).compactMap { $0.int }
  }

  func maps(_ label: String) throws -> Tensor {
    let key = label == "gradcam" ? "maps" : "random_maps"
    return try fixtureArray(json[key]?.string ?? "", in: .methods)
  }

  func values(_ label: String, _ metric: String) -> [Float] {
    (json[label]?[metric]?.array ?? []).compactMap { $0.number.map(Float.init) }
  }

  func inputs(_ label: String, score: ExplanationTarget.Score = .output) throws -> MetricInputs {
    MetricInputs(input: input, maps: try maps(label), targets: classes.map { .category($0, score: score) })
  }
}

@Suite("Metrics against pytorch-grad-cam and RISE")
struct MetricTests {
  // Scores are softmax probabilities computed in float32 by oneDNN and PyTorch (they agree to 1e-7); the imputed
  // images agree to 1e-6 (conjugate gradients to 1e-12 against SuperLU), so differences of scores stay below 1e-5.
  @Test("ROAD without noise equals pytorch-grad-cam's ROAD averages", arguments: ["gradcam", "random"])
  func road(_ label: String) throws {
    let reference = try MetricReference()
    let inputs = try reference.inputs(label)
    for (order, key) in [
      (ROAD.Order.mostRelevantFirst, "road_morf"), (.leastRelevantFirst, "road_lerf"), (.combined, "road_combined"),
    ] {
      let values = try ROAD(order, noise: 0).evaluate(inputs, with: reference.explainer)
      expectAllClose(
        values, reference.values(label, key), rtol: 0, atol: 1e-5,
        "\(label) \(key): \(values) vs \(reference.values(label, key))")
    }
  }

  @Test("the imputed image equals pytorch-grad-cam's NoisyLinearImputer without noise")
  func imputation() throws {
    let reference = try MetricReference()
    let maps = try reference.maps("gradcam")
    let map = Array(maps.scalars.prefix(28 * 28))
    let threshold = Float(numpyPercentile(map, 70))
    let image = Array(reference.input.scalars.prefix(28 * 28))
    let imputed = noisyLinearImputation(image, keep: map.map { $0 < threshold }, height: 28, width: 28, channels: 1) {
      0
    }
    let expected = try fixtureArray(reference.json["imputed"]?.string ?? "", in: .methods).scalars
    expectAllClose(imputed, expected, rtol: 0, atol: 1e-6, "imputed image")
  }

  @Test("CAM-multiply confidence change, drop and increase equal pytorch-grad-cam's", arguments: ["gradcam", "random"])
  func confidence(_ label: String) throws {
    let reference = try MetricReference()
    let inputs = try reference.inputs(label)
    for (report, key) in [
      (ConfidenceChange.Report.change, "cam_mult_change"), (.drop, "confidence_drop"),
      (.increase, "confidence_increase"),
    ] {
      let values = try ConfidenceChange(report).evaluate(inputs, with: reference.explainer)
      expectAllClose(values, reference.values(label, key), rtol: 0, atol: 1e-5, "\(label) \(key)")
    }
  }

  @Test("deletion and insertion curves and areas equal RISE's", arguments: ["gradcam", "random"])
  func causal(_ label: String) throws {
    let reference = try MetricReference()
    let inputs = try reference.inputs(label, score: .probability)
    for kind in CausalMetric.Kind.allCases {
      let metric = CausalMetric(kind)
      let curves = try metric.curves(inputs, with: reference.explainer)
      let expected = (reference.json[label]?[kind.rawValue + "_curves"]?.array ?? []).map {
        ($0.array ?? []).compactMap { $0.number.map(Float.init) }
      }
      #expect(curves.count == expected.count)
      for (curve, reference) in zip(curves, expected) {
        expectAllClose(curve, reference, rtol: 0, atol: 1e-5, "\(label) \(kind)")
      }
      let areas = try metric.evaluate(inputs, with: reference.explainer)
      expectAllClose(areas, reference.values(label, kind.rawValue), rtol: 0, atol: 1e-5, "\(label) \(kind) areas")
    }
  }

  @Test("RISE's blur kernel is scipy's Gaussian of an impulse: symmetric, peaked, summing to 1")
  func riseKernelShape() {
    let kernel = riseKernel()
    #expect(kernel.count == 11)
    #expect(zip(kernel, kernel.reversed()).allSatisfy { abs($0 - $1) <= 1e-15 })
    #expect(kernel[5] == kernel.max())
    // The reflected tails fold back into the window, so the 1-D weights sum to exactly 1.
    #expect(abs(kernel.reduce(0, +) - 1) <= 1e-12)
  }

  @Test("the pointing game: the maximum inside, near, and far from a box")
  func pointingGame() throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath("sequential_cnn.h5")))
    var values = [Float](repeating: 0, count: 3 * 28 * 28)
    values[0 * 784 + 10 * 28 + 10] = 1  // inside
    values[1 * 784 + 10 * 28 + 25] = 1  // 5 pixels right of the box
    values[2 * 784 + 27 * 28 + 27] = 1  // far
    let maps = try Tensor(shape: [3, 28, 28], values: values)
    let input = try Tensor(zeros: [3, 28, 28, 1])
    let box = BoundingBox(x0: 5, y0: 5, x1: 21, y1: 15)
    let targets = Array(repeating: ExplanationTarget.category(0), count: 3)
    let inputs = MetricInputs(input: input, maps: maps, targets: targets, boxes: [[box], [box], [box]])
    #expect(try PointingGame(tolerance: 0).evaluate(inputs, with: explainer) == [1, 0, 0])
    #expect(try PointingGame(tolerance: 5).evaluate(inputs, with: explainer) == [1, 1, 0])
    #expect(throws: KerasVisError.self) {
      try PointingGame().evaluate(MetricInputs(input: input, maps: maps, targets: targets), with: explainer)
    }
  }

  @Test("RISE's area, and inputs, maps and targets that disagree are refused")
  func areaAndErrors() throws {
    let reference = try MetricReference()
    let inputs = try reference.inputs("gradcam", score: .probability)
    #expect(CausalMetric.area([1, 1, 1]) == 1)
    #expect(CausalMetric.area([1, 0, 0]) == 0.25)
    #expect(CausalMetric.area([0.5]) == 0.5)
    let wrong = MetricInputs(input: inputs.input, maps: try Tensor(zeros: [2, 27, 28]), targets: inputs.targets)
    #expect(throws: KerasVisError.self) { try ROAD(.combined).evaluate(wrong, with: reference.explainer) }
    let fewTargets = MetricInputs(input: inputs.input, maps: inputs.maps, targets: [.category(1)])
    #expect(throws: KerasVisError.self) { try ConfidenceChange(.drop).evaluate(fewTargets, with: reference.explainer) }
    #expect(throws: KerasVisError.self) {
      try CausalMetric(.insertion, step: 0).evaluate(inputs, with: reference.explainer)
    }
  }

  @Test("ROAD with noise is reproducible by seed and close to the noiseless value")
  func roadNoise() throws {
    let reference = try MetricReference()
    let inputs = try reference.inputs("random")
    let first = try ROAD(.mostRelevantFirst, seed: 3).evaluate(inputs, with: reference.explainer)
    let again = try ROAD(.mostRelevantFirst, seed: 3).evaluate(inputs, with: reference.explainer)
    let noiseless = try ROAD(.mostRelevantFirst, noise: 0).evaluate(inputs, with: reference.explainer)
    #expect(first == again)
    // Noise of 0.01 on inputs in 0...1 moves these probabilities by well under 1e-2.
    expectAllClose(first, noiseless, rtol: 0, atol: 1e-2, "ROAD with and without noise")
  }
}

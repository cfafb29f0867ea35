import Foundation
import KerasVis
import TestSupport
import Testing

/// One zennit reference of `Tests/Fixtures/methods/lrp/cases.json` (`tools/make_lrp_fixtures.py`).
struct LRPCase: CustomStringConvertible, Sendable {
  var model: String
  var input: String
  var classes: [Int]
  var method: String
  var expected: String

  var description: String { "\(model) \(method)" }

  static let all: [LRPCase] = (try? load()) ?? []

  static func load() throws -> [LRPCase] {
    let json = try JSONValue.parse(Data(contentsOf: FixtureFolder.methods.url("lrp/cases.json")))
    var cases: [LRPCase] = []
    for name in ["lrp_cnn", "lrp_blocks"] {
      guard let entry = json["models"]?[name], let methods = entry["methods"]?.object else { continue }
      for method in methods.keys.sorted() {
        cases.append(
          LRPCase(
            model: entry["model"]?.string ?? "", input: entry["input"]?.string ?? "",
            classes: entry["classes"]?.array?.compactMap(\.int) ?? [], method: method,
            expected: methods[method]?["file"]?.string ?? ""))
      }
    }
    return cases
  }
}

private func lrpExplainer(_ model: String) throws -> Explainer {
  Explainer(graph: try KerasModelFile.load(path: fixturePath("lrp/" + model, in: .methods)))
}

private func lrpInput(_ name: String) throws -> Tensor { try fixtureArray("lrp/" + name, in: .methods) }

/// The relevance of `input` for `classes` (logits), with the method called `method`.
private func relevance(
  _ explainer: Explainer, _ input: Tensor, classes: [Int], method: String, options: MethodOptions = MethodOptions()
) throws -> Explanation {
  let request = ExplanationRequest(
    input: input, targets: classes.map { .category($0, score: .logit) })
  return try explainer.explain(request, with: MethodCatalog.method(named: method, options: options))
}

@Suite("Layer-wise Relevance Propagation")
struct LRPTests {
  @Test("the fixtures are there: 11 methods on each of the two models")
  func fixturesLoad() {
    #expect(LRPCase.all.count == 22)
  }

  // Tolerance: the references are zennit's in float64; kerasvis computes in float32 (oneDNN's summation order), and
  // the rules divide by stabilized sums that can be near zero (LRP-epsilon with epsilon 1e-6 most), which amplifies
  // float32 rounding. atol 1e-4 times the largest reference magnitude: the largest difference seen is 9e-6 of it
  // (lrp_blocks, lrp-epsilon), the others below 1e-6; a wrong rule for one layer kind is off by 1e-2 or more.
  @Test("every rule and composite matches zennit on the same weights", arguments: LRPCase.all)
  func matchesZennit(_ reference: LRPCase) throws {
    let explainer = try lrpExplainer(reference.model)
    let input = try lrpInput(reference.input)
    let explanation = try relevance(explainer, input, classes: reference.classes, method: reference.method)
    let expected = try fixtureArray("lrp/" + reference.expected, in: .methods)
    guard let attributions = explanation.attributions else {
      Issue.record("no attributions")
      return
    }
    let scale = Double(largestMagnitude(expected))
    #expect(scale > 0)
    expectAllClose(attributions, expected, rtol: 0, atol: 1e-4 * scale, reference.description)
    #expect(explanation.maps.shape == Array(input.shape.dropLast()))
  }

  @Test("relevance is conserved where the rule conserves it: epsilon and z+ on the bias-free CNN")
  func conservation() throws {
    var graph = try KerasModelFile.load(path: fixturePath("lrp/lrp_cnn.h5", in: .methods))
    for index in graph.layers.indices {
      graph.layers[index].weights = graph.layers[index].weights.map { weight in
        weight.name == "bias"
          ? Weight(
            name: "bias", shape: weight.shape, values: FloatBuffer([Float](repeating: 0, count: weight.elementCount)))
          : weight
      }
    }
    let explainer = Explainer(graph: graph)
    let input = try lrpInput("lrp_cnn.input.npy")
    for method in ["lrp-epsilon", "lrp-z-plus", "lrp-alpha1-beta0"] {
      var options = MethodOptions()
      options.lrpEpsilon = 1e-9
      let explanation = try relevance(explainer, input, classes: [1, 3], method: method, options: options)
      let attributions = try #require(explanation.attributions)
      for sample in 0..<2 {
        let total = try attributions.sample(sample).scalars.reduce(0, +)
        let score = explanation.scores[sample]
        // Float32 sums of ~300 values of the order of the score: 1e-4 relative.
        #expect(abs(total - score) <= 1e-4 * max(abs(score), 1), "\(method) sample \(sample): \(total) vs \(score)")
      }
    }
    // With its biases the model does not conserve (the check above can fail).
    let biased = try relevance(
      try lrpExplainer("lrp_cnn.h5"), input, classes: [1, 3], method: "lrp-epsilon")
    let total = try #require(biased.attributions).sample(0).scalars.reduce(0, +)
    #expect(abs(total - biased.scores[0]) > 1e-3)
  }

  @Test("a batch of two gives what each sample gives alone", arguments: ["lrp-epsilon-gamma-box", "deep-taylor"])
  func batches(method: String) throws {
    let explainer = try lrpExplainer("lrp_blocks.h5")
    let input = try lrpInput("lrp_blocks.input.npy")
    let both = try #require(try relevance(explainer, input, classes: [0, 2], method: method).attributions)
    for (sample, klass) in [0, 2].enumerated() {
      let alone = try #require(
        try relevance(explainer, try input.sample(sample), classes: [klass], method: method).attributions)
      // The same float32 computation, batched or not: oneDNN may order sums differently by batch size.
      expectAllClose(try both.sample(sample), alone, rtol: 1e-5, atol: 1e-6, "\(method) sample \(sample)")
    }
  }

  @Test("an explainer reuses its LRP models across calls, methods and scores: each gives what a fresh one gives")
  func cachedModels() throws {
    let shared = try lrpExplainer("lrp_blocks.h5")
    let input = try lrpInput("lrp_blocks.input.npy")
    let calls: [(method: String, score: ExplanationTarget.Score)] = [
      ("lrp-z-plus", .logit), ("lrp-alpha2-beta1", .logit), ("lrp-epsilon-gamma-box", .logit),
      ("lrp-z-plus", .output), ("lrp-z-plus", .logit),
    ]
    for (method, score) in calls {
      let request = ExplanationRequest(input: input, targets: [.category(1, score: score)])
      let lrp = try MethodCatalog.method(named: method)
      let again = try #require(try shared.explain(request, with: lrp).attributions)
      let fresh = try #require(try lrpExplainer("lrp_blocks.h5").explain(request, with: lrp).attributions)
      // The same float32 computation on the same shapes, so the same values up to oneDNN's rounding.
      expectAllClose(again, fresh, rtol: 1e-6, atol: 1e-7, "\(method) \(score)")
    }
  }

  @Test("the score read: --score output starts from the probability and passes back through the softmax")
  func outputScore() throws {
    let explainer = try lrpExplainer("lrp_cnn.h5")
    let input = try lrpInput("lrp_cnn.input.npy")
    let request = ExplanationRequest(input: input, targets: [.category(1)])
    let explanation = try explainer.explain(request, with: MethodCatalog.method(named: "lrp-epsilon"))
    let logit = try relevance(explainer, input, classes: [1, 1], method: "lrp-epsilon")
    #expect(explanation.scores[0] < 1 && explanation.scores[0] > 0)
    #expect(largestDifference(try #require(explanation.attributions), try #require(logit.attributions)) > 1e-4)
  }

  @Test("the catalog names every LRP method, and each has its composite")
  func catalog() throws {
    let names = MethodCatalog.gradientMethods.filter { $0.hasPrefix("lrp-") || $0 == "deep-taylor" }
    #expect(names.count == 11)
    for name in names {
      let method = try MethodCatalog.method(named: name)
      #expect(method is LayerwiseRelevancePropagation, "\(name)")
      #expect(method.name == name)
    }
    let gammaBox = AttributionMethodName.lrpEpsilonGammaBox.lrpComposite()
    #expect(gammaBox?.first == .zBox(.inputRange) && gammaBox?.firstAppliesToDense == false)
  }
}

@Suite("Layer-wise Relevance Propagation: targets inside the model")
struct LRPLayerTargetTests {
  @Test("a channel of a convolution whose BatchNormalization is merged elsewhere: relevance starts at its output")
  func mergedLayerTarget() throws {
    let explainer = try lrpExplainer("lrp_blocks.h5")
    let input = try lrpInput("lrp_blocks.input.npy")
    // Layer 1 is the first Conv2D (no bias), followed by its BatchNormalization: under lrp-epsilon with the
    // channel's mean as the score, the input relevance sums to the channel's mean (no bias absorbs any).
    let target = ExplanationTarget.category(3).reading(layer: [1])
    let explanation = try explainer.explain(
      ExplanationRequest(input: input, targets: [target]), with: MethodCatalog.method(named: "lrp-epsilon"))
    let attributions = try #require(explanation.attributions)
    for sample in 0..<2 {
      let total = try attributions.sample(sample).scalars.reduce(0, +)
      let score = explanation.scores[sample]
      #expect(abs(score) > 1e-4)
      // Float32 sums; epsilon 1e-6 takes a share of order 1e-6 / |z| per position.
      #expect(abs(total - score) <= 1e-3 * abs(score) + 1e-6, "sample \(sample): \(total) vs \(score)")
    }
  }
}

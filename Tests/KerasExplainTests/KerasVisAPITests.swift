import Foundation
import KerasVis
import TestSupport
import Testing

private let allCases: [VisCase] =
  (try? ["inception_v3_narrow", "sequential_cnn", "sequential_cnn_activation"]
    .flatMap(VisCase.load)) ?? []

@Suite("keras-vis's numbers")
struct KerasVisAPITests {
  @Test("the fixture cases load")
  func casesLoad() {
    #expect(allCases.count == 17)
  }

  // Maps are normalized to 0...1; the issue asks for atol 1e-3 (the fixtures are stored as float16, exact to 2.5e-4).
  @Test(
    "visualizeCam and visualizeSaliency equal the TensorFlow port of keras-vis",
    arguments: allCases.filter { $0.method != "activation" })
  func mapsMatch(_ visCase: VisCase) throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath(visCase.modelFile)))
    let seed = try firstSeedSample(visCase)
    let expected = try fixtureArray("\(visCase.group).\(visCase.name).npy", in: .vis)
    let actual: Tensor
    if visCase.method == "cam" {
      if let used = visCase.penultimateUsed {
        #expect(
          try LayerSearch.penultimateLayerIdx(
            explainer.graph, layerIdx: visCase.layerIdx, penultimateLayerIdx: visCase.penultimateLayerIdx) == used)
      }
      actual = try explainer.visualizeCam(
        layerIdx: visCase.layerIdx, filterIndices: visCase.filterIndices, seedInput: seed,
        penultimateLayerIdx: visCase.penultimateLayerIdx, backpropModifier: visCase.backpropModifier,
        gradModifier: visCase.gradModifier, linear: visCase.linear)
    } else {
      actual = try explainer.visualizeSaliency(
        layerIdx: visCase.layerIdx, filterIndices: visCase.filterIndices, seedInput: seed,
        backpropModifier: visCase.backpropModifier,
        gradModifier: visCase.gradModifierGiven ? visCase.gradModifier : .absolute, keepdims: visCase.keepdims,
        linear: visCase.linear)
    }
    #expect(actual.shape == expected.shape, "\(visCase)")
    let difference = largestDifference(actual, expected)
    #expect(difference <= 1e-3, "\(visCase): max |kerasvis - keras-vis| = \(difference)")
    // The same call as an ExplanationMethod (what the command line runs): the same numbers, with a batch axis.
    if let filters = visCase.filterIndices, !filters.isEmpty {
      let method: any ExplanationMethod =
        visCase.method == "cam"
        ? KerasVisGradCAM(
          layerIdx: visCase.layerIdx, backpropModifier: visCase.backpropModifier, gradModifier: visCase.gradModifier,
          linear: visCase.linear)
        : KerasVisSaliency(
          layerIdx: visCase.layerIdx, backpropModifier: visCase.backpropModifier,
          gradModifier: visCase.gradModifierGiven ? visCase.gradModifier : .absolute, keepdims: visCase.keepdims,
          linear: visCase.linear)
      let request = ExplanationRequest(
        input: seed, targets: [filters.count == 1 ? .category(filters[0]) : .categories(filters)],
        layer: visCase.method == "cam" ? visCase.penultimateLayerIdx.map { [$0] } : nil)
      let explanation = try explainer.explain(request, with: method)
      #expect(explanation.maps.shape == [1] + actual.shape, "\(visCase)")
      #expect(explanation.maps.scalars == actual.scalars, "\(visCase): the method differs from the call")
      #expect(explanation.targets.first?.classIndices == filters)
    }
  }

  // Activation maximization runs 20 RMSProp steps on L2-normalized gradients; small float differences in the
  // gradient move each step slightly, so the images are compared at 0.5 on the 0...255 scale (keras-vis casts
  // them to uint8 afterwards).
  @Test(
    "visualizeActivation equals the TensorFlow port of keras-vis",
    arguments: allCases.filter { $0.method == "activation" })
  func activationMatches(_ visCase: VisCase) throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath(visCase.modelFile)))
    var options = ActivationMaximizationOptions()
    options.iterations = try #require(visCase.iterations)
    options.linear = visCase.linear
    let actual = try explainer.visualizeActivation(
      layerIdx: visCase.layerIdx, filterIndices: visCase.filterIndices, seedInput: try firstSeedSample(visCase),
      options: options)
    let expected = try fixtureArray("\(visCase.group).\(visCase.name).npy", in: .vis)
    #expect(actual.shape == expected.shape)
    let difference = largestDifference(actual, expected)
    #expect(difference <= 0.5, "\(visCase): max |kerasvis - keras-vis| = \(difference)")
  }

  private func firstSeedSample(_ visCase: VisCase) throws -> Tensor {
    let seeds = try NPY.read(path: Fixtures.path(visCase.seedFile))
    return try seeds.sample(0).reshaped(Array(seeds.shape.dropFirst()))
  }
}

@Suite("keras-vis maps of the top class, from one forward pass")
struct TopClassMapTests {
  @Test("visualizeCamOfTopClass and visualizeSaliencyOfTopClass equal the maps of topClass's class")
  func sameAsTwoSteps() throws {
    for (model, inputName) in [
      ("sequential_cnn.h5", "sequential_cnn.input.npy"), ("inception_v3_narrow.h5", "inception_v3_narrow.input.npy"),
    ] {
      let graph = try KerasModelFile.load(path: fixturePath(model))
      let batch = try fixtureArray(inputName)
      let sample = try Tensor(
        shape: Array(batch.shape.dropFirst()), values: Array(batch.scalars.prefix(batch.count / batch.shape[0])))
      let top = try Explainer(graph: graph).topClass(layerIdx: -1, seedInput: sample)
      for linear in [false, true] {
        let camExplainer = Explainer(graph: graph)
        let cam = try camExplainer.visualizeCamOfTopClass(layerIdx: -1, seedInput: sample, linear: linear)
        #expect(cam.topClass == top, "\(model)")
        let expectedCam = try Explainer(graph: graph).visualizeCam(
          layerIdx: -1, filterIndices: [top], seedInput: sample, linear: linear)
        #expect(cam.map.scalars == expectedCam.scalars, "\(model) linear \(linear)")
        let saliency = try Explainer(graph: graph).visualizeSaliencyOfTopClass(
          layerIdx: -1, seedInput: sample, linear: linear)
        #expect(saliency.topClass == top)
        let expectedSaliency = try Explainer(graph: graph).visualizeSaliency(
          layerIdx: -1, filterIndices: [top], seedInput: sample, linear: linear)
        #expect(saliency.map.scalars == expectedSaliency.scalars, "\(model) linear \(linear)")
        // As a method: the top class, its map, and the score the unmodified model gives it (a probability even
        // when the softmax is swapped to linear for the gradient).
        let explanation = try Explainer(graph: graph).explain(
          ExplanationRequest(input: sample), with: KerasVisGradCAM(linear: linear))
        #expect(explanation.targets.first?.classIndices == [top])
        #expect(explanation.maps.scalars == expectedCam.scalars, "\(model) linear \(linear)")
        let probabilities = try Explainer(graph: graph).layerOutput(layerIdx: -1, seedInput: sample).scalars
        expectAllClose(
          explanation.scores, [probabilities[top]], rtol: 1e-5, atol: 1e-6,
          "\(model) linear \(linear): the score is the model's output (float32 softmax recomputed: 1e-5)")
      }
    }
  }
}

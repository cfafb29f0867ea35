import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasExplain

/// The channels_first CNN of `tools/make_multi_input_fixtures.py` and its channels_last twin (the same layers and
/// weights). TensorFlow cannot run channels_first convolutions on CPU, so the twin's explanation is the reference.
private struct TwinModels {
  let first: Explainer
  let last: Explainer
  /// `(2, 3, 12, 12)` and the same samples `(2, 12, 12, 3)`.
  let firstInput: Tensor
  let lastInput: Tensor

  init() throws {
    first = Explainer(graph: try KerasModelFile.load(path: multiInputFixture("cf_cnn_k2.h5")))
    last = Explainer(graph: try KerasModelFile.load(path: multiInputFixture("cf_cnn_twin_k2.h5")))
    firstInput = try multiInputArray("cf_cnn.input.npy")
    lastInput = try channelsLastCopy(firstInput)
  }
}

@Suite("Explanations of channels_first models")
struct ChannelsFirstExplanationTests {
  // Both models run the same float32 arithmetic on oneDNN (the channels_first one between transposes), in kernels
  // that may sum in another order: maps in 0...1 agree to 1e-4 (a map read with the wrong channel axis is off by
  // 0.1 and more); raw attributions to 1e-4 of their largest value.
  @Test("every CAM and gradient method explains a channels_first model as its channels_last twin")
  func methodsEqualTheTwin() throws {
    let twins = try TwinModels()
    #expect(twins.first.graph.channelLayout(ofInput: 0) == .channelsFirst)
    #expect(twins.last.graph.channelLayout(ofInput: 0) == .channelsLast)
    let automatic = try twins.first.automaticCAMLayer()
    #expect(automatic == (try twins.last.automaticCAMLayer()), "the automatic layer is the twin's")
    #expect(twins.first.graph.layer(atAddress: automatic)?.name == "features")
    #expect(twins.first.graph.channelLayout(ofLayerAt: automatic) == .channelsFirst)
    var options = MethodOptions()
    options.samples = 3
    options.steps = 4
    // The perturbation methods perturb channels-last images, LRP, FullGrad and ShapleyCAM propagate through
    // channels-last layers: they refuse a channels_first model by name.
    let perturbing =
      ["occlusion", "rise", "lime", "kernel-shap", "fullgrad", "shapleycam"]
      + MethodCatalog.gradientMethods.filter { $0.hasPrefix("lrp-") || $0 == "deep-taylor" }
    for name in perturbing {
      #expect(throws: KerasVisError.self, "\(name)") {
        try twins.first.explain(
          ExplanationRequest(input: twins.firstInput), with: try MethodCatalog.method(named: name, options: options))
      }
    }
    for name in MethodCatalog.camMethods + MethodCatalog.gradientMethods where !perturbing.contains(name) {
      let method = try MethodCatalog.method(named: name, options: options)
      for convention in Convention.allCases {
        // Class 1 (the top class of both samples) has maps that are not all zero for every method.
        var firstRequest = ExplanationRequest(input: twins.firstInput, targets: [.category(1)])
        var lastRequest = ExplanationRequest(input: twins.lastInput, targets: [.category(1)])
        firstRequest.convention = convention
        lastRequest.convention = convention
        // Test-time augmentation flips the width axis: the last of a channels_first input.
        firstRequest.augmentationSmoothing = name == "gradcam"
        lastRequest.augmentationSmoothing = name == "gradcam"
        let expected = try twins.last.explain(lastRequest, with: method)
        let explanation = try twins.first.explain(firstRequest, with: method)
        let expectedMaps =
          expected.maps.rank == 4 && name.hasPrefix("guided") ? try channelsFirstCopy(expected.maps) : expected.maps
        #expect(explanation.maps.shape == expectedMaps.shape, "\(name) \(convention)")
        let values = expectedMaps.scalars
        #expect((values.max() ?? 0) - (values.min() ?? 0) > 1e-3, "\(name): the reference map is not constant")
        expectAllClose(explanation.maps, expectedMaps, rtol: 0, atol: 1e-4, "\(name) \(convention)")
        if let attributions = expected.attributions, attributions.rank == 4 {
          let largest = attributions.scalars.map(abs).max() ?? 1
          expectAllClose(
            try #require(explanation.attributions), try channelsFirstCopy(attributions), rtol: 0,
            atol: 1e-4 * largest, "\(name) attributions")
        }
        #expect(explanation.layer == expected.layer, "\(name)")
      }
    }
  }

  @Test("the automatic CAM layer of a channels_first model is a map with spatial axes, not a (N, C, 1, 1) pooling")
  func automaticLayerSkipsPooledMaps() throws {
    // channels_first_k2 ends its image branch with GlobalMaxPooling2D(keepdims=True): (N, 3, 1, 1), whose 3 is
    // channels, not height.
    let graph = try KerasModelFile.load(path: fixturePath("channels_first_k2.h5"))
    let explainer = Explainer(graph: graph)
    let address = try explainer.automaticCAMLayer()
    let layer = try #require(graph.layer(atAddress: address))
    let shape = try #require(layer.outputShape?.dimensions)
    #expect(graph.channelLayout(ofLayerAt: address) == .channelsFirst, "\(layer.name)")
    #expect(shape.count == 4 && shape[2...].contains { ($0 ?? 2) > 1 }, "\(layer.name) \(shape)")
    let pooled = try #require(graph.layers.firstIndex { $0.className == "GlobalMaxPooling2D" })
    #expect(!LayerSearch.isSpatialFeatureMap(graph, at: [pooled], layer: graph.layers[pooled], rank: 4))
    #expect(graph.channelLayout(ofInput: 0) == .channelsFirst)
    #expect(graph.channelLayout(ofInput: 1) == .channelsFirst)
    #expect(graph.channelLayout(ofInput: 2) == .channelsFirst)
  }

  @Test("keras-vis's Grad-CAM and saliency explain a channels_first model as its twin")
  func kerasVisEqualsTheTwin() throws {
    let twins = try TwinModels()
    let penultimate = try #require(twins.first.graph.layerIndex(named: "features"))
    let cam = try twins.first.visualizeCam(
      layerIdx: -1, filterIndices: [1], seedInput: try twins.firstInput.sample(0), penultimateLayerIdx: penultimate)
    let expectedCam = try twins.last.visualizeCam(
      layerIdx: -1, filterIndices: [1], seedInput: try twins.lastInput.sample(0), penultimateLayerIdx: penultimate)
    #expect(cam.shape == [12, 12])
    expectAllClose(cam, expectedCam, rtol: 0, atol: 1e-4, "Grad-CAM")
    let saliency = try twins.first.visualizeSaliency(
      layerIdx: -1, filterIndices: [1], seedInput: try twins.firstInput.sample(0))
    let expectedSaliency = try twins.last.visualizeSaliency(
      layerIdx: -1, filterIndices: [1], seedInput: try twins.lastInput.sample(0))
    expectAllClose(saliency, expectedSaliency, rtol: 0, atol: 1e-4, "saliency")
  }
}

import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasExplain

private func array(_ name: String) throws -> Tensor { try NPY.read(path: fixturePath(name)) }

/// A 1-D or 3-D fixture model with the tf-keras-vis references of `tools/make_dims_explain_fixtures.py`.
struct DimensionCase: CustomTestStringConvertible, Sendable {
  var model: String
  var address: [Int]
  var classes: [Int]
  var testDescription: String { model }

  static let all: [DimensionCase] = {
    guard let data = try? Data(contentsOf: FixtureFolder.models.url("dims_explain.json")),
      let json = try? JSONValue.parse(data)
    else { return [] }
    return ["conv1d_zoo_k2", "conv3d_zoo_k2"].compactMap { name in
      guard let entry = json[name] else { return nil }
      return DimensionCase(
        model: name, address: entry["address"]?.array?.compactMap(\.int) ?? [],
        classes: entry["classes"]?.array?.compactMap(\.int) ?? [])
    }
  }()

  func explainer() throws -> Explainer { Explainer(graph: try KerasModelFile.load(path: fixturePath(model + ".h5"))) }
  func input() throws -> Tensor { try array(model + ".input.npy") }
}

@Suite("Explanations of 1-D and 3-D models")
struct DimensionExplanationTests {
  // scipy zooms in float64 and rounds once; the volume zoom rounds the intermediate (zoomed slices) to float32 too,
  // and the B-spline weights sum to 1, so values in -1...1 differ by a few float32 ulps: 1e-6.
  @Test("the 3-D and 1-D zooms equal scipy.ndimage.zoom")
  func zoomsEqualScipy() throws {
    let volume = try array("dims_zoom.volume.npy")
    let line = try array("dims_zoom.line.npy")
    for order in [1, 3] {
      let zoomed = try splineZoom(
        volume: volume.scalars, depth: 3, height: 2, width: 4, factors: (2, 1.5, 0.75), order: order)
      let expected = try array("dims_zoom.volume.order\(order).npy")
      #expect([zoomed.depth, zoomed.height, zoomed.width] == expected.shape)
      expectAllClose(zoomed.values, expected.scalars, rtol: 0, atol: 1e-6, "volume, order \(order)")
      let row = try splineZoom(line.scalars, height: 1, width: 5, factors: (1, 9.0 / 5), order: order)
      let expectedRow = try array("dims_zoom.line.order\(order).npy")
      #expect(row.values.count == expectedRow.count)
      expectAllClose(row.values, expectedRow.scalars, rtol: 0, atol: 1e-6, "line, order \(order)")
    }
  }

  // The references are float32 maps in 0...1 from the same weights; TensorFlow's and oneDNN's float32 sums differ
  // in the last bits, which the min-max normalization can magnify by 1 / (max - min) of the raw map: 1e-4 is far
  // below what a wrong zoom, weighting or normalization moves (1e-2 and more).
  @Test("Grad-CAM, Grad-CAM++, LayerCAM and saliency equal tf-keras-vis's", arguments: DimensionCase.all)
  func mapsEqualTfKerasVis(_ reference: DimensionCase) throws {
    let explainer = try reference.explainer()
    let input = try reference.input()
    var options = MethodOptions()
    options.convention = .tfKerasVis
    for method in ["gradcam", "gradcam++", "layercam", "vanilla"] {
      var request = ExplanationRequest(
        input: input, targets: reference.classes.map { .category($0, score: .output) },
        layer: method == "vanilla" ? nil : reference.address)
      request.convention = .tfKerasVis
      let explanation = try explainer.explain(request, with: try MethodCatalog.method(named: method, options: options))
      let expected = try array("\(reference.model).tkv.\(method).npy")
      #expect(explanation.maps.shape == expected.shape, "\(reference.model) \(method)")
      expectAllClose(explanation.maps, expected, rtol: 0, atol: 1e-4, "\(reference.model) \(method)")
    }
  }

  @Test(
    "every method explains a 1-D and a 3-D model with maps of the input's length or volume",
    arguments: DimensionCase.all)
  func everyMethodRuns(_ reference: DimensionCase) throws {
    let explainer = try reference.explainer()
    let input = try reference.input()
    let spatial = Array(input.shape.dropFirst().dropLast())
    var options = MethodOptions()
    options.samples = 2
    options.steps = 3
    // The perturbation methods perturb images: on 1-D and 3-D models they refuse with a typed error.
    let imageOnly = ["occlusion", "rise", "lime", "kernel-shap"]
    for name in imageOnly {
      #expect(throws: KerasVisError.self, "\(reference.model) \(name)") {
        try explainer.explain(
          ExplanationRequest(input: input, targets: [.category(1)]),
          with: try MethodCatalog.method(named: name, options: options))
      }
    }
    for name in MethodCatalog.camMethods + MethodCatalog.gradientMethods where !imageOnly.contains(name) {
      let method = try MethodCatalog.method(named: name, options: options)
      for convention in Convention.allCases {
        var request = ExplanationRequest(input: input, targets: [.category(1), .category(2)])
        request.convention = convention
        request.augmentationSmoothing = name == "gradcam"
        let explanation = try explainer.explain(request, with: method)
        let mapShape = Array(explanation.maps.shape.prefix(spatial.count + 1))
        #expect(mapShape == [2] + spatial, "\(reference.model) \(name) \(convention)")
        let finite = explanation.maps.scalars.allSatisfy { $0.isFinite }
        #expect(finite, "\(reference.model) \(name) \(convention)")
        if method.usesLayer {
          #expect(explanation.lowResolutionMaps?.rank == spatial.count + 1, "\(reference.model) \(name)")
        }
      }
    }
    // keras-vis's API: the map of the first sample, at the input's size.
    #expect(try explainer.visualizeCam(layerIdx: -1, filterIndices: [1], seedInput: input).shape == spatial)
    #expect(try explainer.visualizeSaliency(layerIdx: -1, filterIndices: [1], seedInput: input).shape == spatial)
  }

  // keras-vis's references (tools/kerasvis_reference.py, float32): the same float32 round-off as above.
  @Test("keras-vis's visualize_cam and visualize_saliency equal the reference's", arguments: DimensionCase.all)
  func kerasVisMatches(_ reference: DimensionCase) throws {
    let explainer = try reference.explainer()
    let sample = try reference.input().sample(0)
    let cam = try explainer.visualizeCam(
      layerIdx: -1, filterIndices: [1], seedInput: sample, penultimateLayerIdx: reference.address[0])
    let expectedCam = try array("\(reference.model).kv.cam.npy")
    #expect(cam.shape == expectedCam.shape)
    expectAllClose(cam, expectedCam, rtol: 0, atol: 1e-4, "\(reference.model) visualize_cam")
    let saliency = try explainer.visualizeSaliency(layerIdx: -1, filterIndices: [1], seedInput: sample)
    let expectedSaliency = try array("\(reference.model).kv.saliency.npy")
    #expect(saliency.shape == expectedSaliency.shape)
    expectAllClose(saliency, expectedSaliency, rtol: 0, atol: 1e-4, "\(reference.model) visualize_saliency")
  }

  // The references are float16 (half an ulp is 2.4e-4 below 1) of tf-keras-vis's float32 maps; its scores are
  // TensorFlow's softmax of the masked inputs' outputs, which oneDNN's sums change in the last float32 bits: 3e-4
  // (measured: 2.43e-4 at most).
  // Nearest-neighbour masks (order 0) move them by 1.3e-3 to 9e-3; the edge mode is checked below.
  @Test(
    "Score-CAM and Faster Score-CAM on a 1-D and a 3-D feature map equal tf-keras-vis's", arguments: DimensionCase.all)
  func scoreCAMEqualsTfKerasVis(_ reference: DimensionCase) throws {
    let explainer = try reference.explainer()
    for (suffix, maxN) in [("", nil), ("_max2", 2)] as [(String, Int?)] {
      var request = ExplanationRequest(
        input: try reference.input(), targets: reference.classes.map { .category($0, score: .output) },
        layer: reference.address)
      request.convention = .tfKerasVis
      let explanation = try explainer.explain(request, with: ScoreCAM(variant: .tfKerasVis, maxN: maxN))
      let expected = try array("\(reference.model).tkv.scorecam\(suffix).npy")
      #expect(explanation.maps.shape == expected.shape, "\(reference.model) scorecam\(suffix)")
      expectAllClose(explanation.maps, expected, rtol: 0, atol: 3e-4, "\(reference.model) scorecam\(suffix)")
    }
  }

  // Maps linear in every index zoom (order 1) to the same linear function of the output index, `k * (n - 1) /
  // (m - 1)`: exact up to float32 rounding (1e-6). 8 -> 26 is where scipy's default 'constant' mode would give the
  // last point 0 (`25 * (7 / 25)` rounds above 7) and 'nearest', tf-keras-vis's, the edge value.
  @Test("Score-CAM's masks of a 1-D and a 3-D map are scipy's zoom(order=1, mode='nearest'), scaled to 0...1")
  func scoreCAMMasksZoomWithNearestEdges() throws {
    let line = (0..<8).map(Float.init)
    for variant in Convention.allCases {
      let mask = try #require(try ScoreCAM(variant: variant).normalizedMask(line, shape: [8], to: [26]))
      expectAllClose(mask, (0..<26).map { Float($0) / 25 }, rtol: 0, atol: 1e-6, "line \(variant)")
    }
    let volume = (0..<32).map(Float.init)  // (8, 2, 2): 4 d + 2 h + w
    let mask = try #require(
      try ScoreCAM(variant: .tfKerasVis).normalizedMask(volume, shape: [8, 2, 2], to: [26, 3, 3]))
    var expected: [Float] = []
    for d in 0..<26 {
      for h in 0..<3 {
        for w in 0..<3 { expected.append((4 * Float(d) * 7 / 25 + Float(h) + Float(w) / 2) / 31) }
      }
    }
    expectAllClose(mask, expected, rtol: 0, atol: 1e-6, "volume")
    #expect(try ScoreCAM().normalizedMask([Float](repeating: 2, count: 8), shape: [2, 2, 2], to: [4, 4, 4]) == nil)
  }

  @Test("the automatic CAM layer of a 1-D or 3-D model is its last feature map of the input's rank")
  func automaticLayer() throws {
    for reference in DimensionCase.all {
      let explainer = try reference.explainer()
      let address = try explainer.automaticCAMLayer()
      let layer = try #require(explainer.graph.layer(atAddress: address))
      #expect(layer.outputShape?.rank == (try reference.input()).rank, "\(reference.model)")
    }
  }
}

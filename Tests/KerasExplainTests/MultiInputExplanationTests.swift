import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasExplain

/// A file of `Tests/Fixtures/multi_input` (`tools/make_multi_input_fixtures.py`).
func multiInputFixture(_ name: String) -> String { Fixtures.path("multi_input/\(name)") }

/// An array of `Tests/Fixtures/multi_input`.
func multiInputArray(_ name: String) throws -> Tensor { try NPY.read(path: multiInputFixture(name)) }

/// The classes the references explain, one per sample (`cases.json`).
private let classes = [0, 2]

private func explainer(_ model: String) throws -> Explainer {
  Explainer(graph: try KerasModelFile.load(path: multiInputFixture("\(model)_k2.h5")))
}

private func inputs(_ model: String) throws -> [Tensor] {
  try (0..<2).map { try multiInputArray("\(model).input_\($0).npy") }
}

private func request(_ model: String, layer: [Int]? = nil) throws -> ExplanationRequest {
  var request = try ExplanationRequest(
    inputs: try inputs(model), targets: classes.map { .category($0, score: .output) }, layer: layer)
  request.convention = .tfKerasVis
  return request
}

@Suite("Explanations of models with several inputs")
struct MultiInputExplanationTests {
  // The references are tf-keras-vis's maps in 0...1 stored as float16 (rounding error up to 2.4e-4) from the same
  // weights; TensorFlow's and oneDNN's float32 sums differ in the last bits, which the min-max normalization can
  // magnify: 5e-4 is far below what a map of the wrong input, size or weighting moves (1e-2 and more).
  static let mapTolerance = 5e-4

  @Test("Grad-CAM, Grad-CAM++ and LayerCAM give each input tf-keras-vis's map, resized to its size")
  func camsEqualTfKerasVis() throws {
    let explainer = try explainer("two_images")
    let layer = try #require(explainer.graph.layerIndex(named: "features"))
    var options = MethodOptions()
    options.convention = .tfKerasVis
    for method in ["gradcam", "gradcam++", "layercam"] {
      let explanation = try explainer.explain(
        try request("two_images", layer: [layer]), with: try MethodCatalog.method(named: method, options: options))
      #expect(explanation.inputMaps.count == 2, "\(method)")
      for k in 0..<2 {
        let expected = try multiInputArray("two_images.tkv.\(method).input_\(k).npy")
        let map = try #require(explanation.map(ofInput: k), "\(method) input \(k)")
        #expect(map.shape == expected.shape, "\(method) input \(k)")
        expectAllClose(map, expected, rtol: 0, atol: Self.mapTolerance, "\(method) input \(k)")
      }
      #expect(explanation.maps == explanation.inputMaps[0], "\(method): maps are the first input's")
      #expect(explanation.targets.compactMap(\.classIndices) == classes.map { [$0] })
    }
  }

  @Test("vanilla saliency and SmoothGrad give each input tf-keras-vis's map")
  func gradientMapsEqualTfKerasVis() throws {
    let explainer = try explainer("two_images")
    let given = try inputs("two_images")
    let noise = try (0..<2).map { try multiInputArray("two_images.noise.input_\($0).npy") }
    let methods: [(String, any ExplanationMethod)] = [
      ("vanilla", VanillaSaliency()),
      ("smoothgrad", SmoothGrad(samples: 4, noiseLevel: 0.2, noise: .standardNormalPerInput(noise))),
    ]
    for (name, method) in methods {
      let explanation = try explainer.explain(try request("two_images"), with: method)
      for k in 0..<2 {
        let expected = try multiInputArray("two_images.tkv.\(name).input_\(k).npy")
        let map = try #require(explanation.map(ofInput: k), "\(name) input \(k)")
        expectAllClose(map, expected, rtol: 0, atol: Self.mapTolerance, "\(name) input \(k)")
        #expect(explanation.inputAttributions[k]?.shape == given[k].shape, "\(name) input \(k)")
      }
    }
  }

  @Test("keras-vis's saliency gives each input its map (tf-keras-vis's per sample)")
  func kerasVisSaliencyPerInput() throws {
    let explainer = try explainer("two_images")
    let explanation = try explainer.explain(try request("two_images"), with: KerasVisSaliency())
    for k in 0..<2 {
      let expected = try multiInputArray("two_images.tkv.vanilla.input_\(k).npy")
      let map = try #require(explanation.map(ofInput: k))
      expectAllClose(map, expected, rtol: 0, atol: Self.mapTolerance, "input \(k)")
    }
  }

  @Test("a vector input's map is per feature: tf-keras-vis's keepdims map")
  func vectorInputKeepsFeatures() throws {
    let explainer = try explainer("image_vector")
    let explanation = try explainer.explain(try request("image_vector"), with: VanillaSaliency())
    for k in 0..<2 {
      let expected = try multiInputArray("image_vector.tkv.vanilla.input_\(k).npy")
      let map = try #require(explanation.map(ofInput: k))
      #expect(map.shape == expected.shape, "input \(k)")
      expectAllClose(map, expected, rtol: 0, atol: Self.mapTolerance, "input \(k)")
    }
    // tf-keras-vis cannot zoom a CAM to a vector: kerasvis maps the image and leaves the vector out.
    let cam = try explainer.explain(try request("image_vector"), with: GradCAM())
    #expect(cam.inputMaps.count == 2)
    #expect(cam.inputMaps[0]?.shape == [2, 10, 10])
    #expect(cam.inputMaps[1] == nil)
  }

  // Raw float32 attributions from TensorFlow's gradients (Captum's quadrature for Integrated Gradients): the float32
  // sums of TensorFlow and oneDNN differ by a few ulps per gradient, 1e-5 of the largest attribution here.
  @Test("Integrated Gradients and Input x Gradient attribute to every input as Captum's tuple of inputs")
  func integratedGradientsPerInput() throws {
    let explainer = try explainer("image_vector")
    let methods: [(String, any GradientAttribution)] = [
      ("ig", IntegratedGradients(steps: 16)), ("ixg", InputXGradient()),
    ]
    for (name, method) in methods {
      let (attributions, targets, _) = try method.inputAttributions(try request("image_vector"), with: explainer)
      #expect(targets.compactMap(\.classIndices) == classes.map { [$0] })
      #expect(attributions.count == 2)
      for k in 0..<2 {
        let expected = try multiInputArray("image_vector.\(name).input_\(k).npy")
        let largest = expected.scalars.map(abs).max() ?? 1
        expectAllClose(attributions[k], expected, rtol: 1e-4, atol: 1e-5 * largest, "\(name) input \(k)")
      }
      let first = try method.attributions(try request("image_vector"), with: explainer)
      #expect(first.attributions == attributions[0], "\(name): attributions are the first input's")
    }
  }

  @Test("a request whose inputs do not fit the model says what the model takes and what was given")
  func mismatchedInputsAreNamed() throws {
    let explainer = try explainer("two_images")
    let image = try inputs("two_images")[0]
    do {
      _ = try explainer.explain(ExplanationRequest(input: image), with: VanillaSaliency())
      Issue.record("one input for a two-input model was accepted")
    } catch let error as KerasVisError {
      let text = "\(error)"
      #expect(text.contains("takes 2 inputs") && text.contains("image") && text.contains("mask"), "\(text)")
      #expect(text.contains("gives 1"), "\(text)")
    }
    let swapped = try ExplanationRequest(inputs: try inputs("two_images").reversed())
    #expect(throws: KerasVisError.self) { try explainer.explain(swapped, with: GradCAM()) }
    // Methods that perturb one input refuse a model with several, naming them.
    do {
      _ = try explainer.explain(try request("two_images"), with: ScoreCAM())
      Issue.record("Score-CAM accepted a two-input model")
    } catch let error as KerasVisError {
      #expect("\(error)".contains("image, mask"), "\(error)")
    }
    // So do LRP, FullGrad and ShapleyCAM, which work on one input.
    for method in [try MethodCatalog.method(named: "lrp-epsilon-plus-flat"), FullGrad(), ShapleyCAM()] {
      do {
        _ = try explainer.explain(try request("two_images"), with: method)
        Issue.record("\(method.name) accepted a two-input model")
      } catch let error as KerasVisError {
        #expect("\(error)".contains("image, mask") && "\(error)".contains(method.name), "\(error)")
      }
    }
    #expect(throws: KerasVisError.self) { try ExplanationRequest(inputs: []) }
  }

  @Test("a one-input explanation's map of input 0 is its maps")
  func oneInputMap() throws {
    let explanation = Explanation(maps: try Tensor(zeros: [1, 2, 2]), targets: [.category(0)], scores: [0])
    #expect(explanation.map(ofInput: 0) == explanation.maps)
    #expect(explanation.map(ofInput: 1) == nil)
  }
}

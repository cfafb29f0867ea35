import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasExplain

/// One case of `Tests/Fixtures/methods/fullgrad.json` (`tools/make_fullgrad_fixtures.py`).
struct FullGradCase: Sendable, CustomStringConvertible {
  var model: String
  var input: String
  var method: CAMMethodName
  var layer: [Int]?
  var classes: [Int]
  var score: ExplanationTarget.Score
  var eigenSmooth: Bool
  var augmentationSmoothing: Bool
  var expected: String

  var description: String {
    "\(method.rawValue) on \(model)" + (layer.map { " at \($0)" } ?? "") + (score == .output ? "" : " (\(score))")
      + (eigenSmooth ? " eigen-smoothed" : "") + (augmentationSmoothing ? " aug-smoothed" : "")
  }

  static func load() throws -> [FullGradCase] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("fullgrad.json", in: .methods)))
    return try (JSONValue.parse(data)["cases"]?.array ?? []).map { entry in
      guard let model = entry["model"]?.string, let input = entry["input"]?.string,
        let name = entry["method"]?.string, let method = CAMMethodName(rawValue: name),
        let classes = entry["classes"]?.array?.compactMap({ $0.number.map { Int($0) } }),
        let expected = entry["expected"]?.string
      else { throw KerasVisError.invalidArgument("bad case \(entry.jsonText)") }
      let layer = entry["layer"]?.array?.compactMap { $0.number.map { Int($0) } }
      let score = entry["score"]?.string.flatMap(ExplanationTarget.Score.init(rawValue:)) ?? .output
      return FullGradCase(
        model: model, input: input, method: method, layer: layer, classes: classes, score: score,
        eigenSmooth: entry["eigen_smooth"]?.bool ?? false, augmentationSmoothing: entry["aug_smooth"]?.bool ?? false,
        expected: expected)
    }
  }

  /// The case's request: one class per sample.
  func request() throws -> ExplanationRequest {
    let input = try NPY.read(path: Fixtures.path(input))
    var request = ExplanationRequest(
      input: input, targets: classes.map { .category($0, score: score) }, layer: layer)
    request.eigenSmooth = eigenSmooth
    request.augmentationSmoothing = augmentationSmoothing
    return request
  }
}

private let fullGradCases = (try? FullGradCase.load()) ?? []

@Suite("FullGrad and ShapleyCAM against pytorch-grad-cam 1.5.7")
struct FullGradShapleyTests {
  @Test("the cases load: FullGrad on three models (eigen- and aug-smoothed on one), ShapleyCAM on last and inner maps")
  func casesLoad() {
    #expect(fullGradCases.filter { $0.method == .fullgrad }.count == 5)
    #expect(fullGradCases.filter { $0.method == .shapleycam }.count == 8)
  }

  // Maps in 0...1; the references are float16 (exact to 2.44e-4 in 0.5...1) from PyTorch ports whose outputs equal
  // Keras's to 8e-7, and kerasvis reproduces each map in float32 with an OpenCV-exact resize; ShapleyCAM's
  // Hessian-vector product by central differences (see `ShapleyCAM`) adds at most 2e-5: 5e-4, the tolerance of the
  // other later CAM methods.
  @Test("each map equals pytorch-grad-cam's on the same weights", arguments: fullGradCases)
  func matchesReference(_ entry: FullGradCase) throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: Fixtures.path(entry.model)))
    let explanation = try explainer.explain(try entry.request(), with: MethodCatalog.method(entry.method))
    let expected = try fixtureArray(entry.expected, in: .methods)
    #expect(explanation.maps.shape == expected.shape)
    expectAllClose(explanation.maps, expected, rtol: 0, atol: 5e-4, "\(entry)")
  }

  @Test("a batch of two equals two batches of one", arguments: [CAMMethodName.fullgrad, .shapleycam])
  func batchEqualsSingles(_ method: CAMMethodName) throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath("nested_mobilenet.h5")))
    let input = try fixtureArray("nested_mobilenet.input.npy")
    let outRelu = try #require(explainer.graph.address(ofPath: "mobilenetv2_0.10_96/out_relu") as [Int]?)
    let layer = method == .shapleycam ? outRelu : nil
    let targets: [ExplanationTarget] = [.category(1), .category(4)]
    let both = try explainer.explain(
      ExplanationRequest(input: input, targets: targets, layer: layer), with: MethodCatalog.method(method))
    for sample in 0..<2 {
      let single = try explainer.explain(
        ExplanationRequest(input: try input.sample(sample), targets: [targets[sample]], layer: layer),
        with: MethodCatalog.method(method))
      // The same arithmetic per sample, except oneDNN's batch-dependent blocking: float32 rounding only.
      expectAllClose(try both.maps.sample(sample), single.maps, rtol: 0, atol: 1e-5, "\(method) sample \(sample)")
    }
  }

  @Test("FullGrad's bias layers: convolutions with a bias and 4-D BatchNormalizations, through nested models")
  func biasLayers() throws {
    let sequential = Explainer(graph: try KerasModelFile.load(path: fixturePath("sequential_cnn.h5")))
    // conv2d (relu, bias), renamed_conv (bias), batch_normalization; not the Dense layers.
    #expect(try sequential.fullGradBiasLayers(sequential.graph, prefix: []).map(\.address) == [[0], [2], [3]])
    let nested = Explainer(graph: try KerasModelFile.load(path: fixturePath("nested_mobilenet.h5")))
    let layers = try nested.fullGradBiasLayers(nested.graph, prefix: [])
    // MobileNetV2's convolutions have no bias: its 52 BatchNormalizations, as pytorch-grad-cam's port counts.
    #expect(layers.count == 52)
    #expect(layers.allSatisfy { $0.address.count == 2 && $0.address[0] == 0 })
  }

  @Test("ShapleyCAM with a logit score over a piecewise-linear head is Grad-CAM")
  func logitIsGradCAM() throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath("sequential_cnn.h5")))
    let input = try fixtureArray("sequential_cnn.input.npy")
    let request = ExplanationRequest(input: input, targets: [.category(3, score: .logit)], layer: [4])
    let shapley = try explainer.explain(request, with: ShapleyCAM())
    let gradCAM = try explainer.explain(request, with: GradCAM())
    // No curvature above the layer: H A is exactly zero, the same weights.
    expectAllClose(shapley.maps, gradCAM.maps, rtol: 0, atol: 1e-6, "ShapleyCAM vs Grad-CAM")
  }

  @Test("FullGrad and ShapleyCAM under augmentation smoothing: maps in 0...1")
  func smoothing() throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath("sequential_cnn.h5")))
    let input = try fixtureArray("sequential_cnn.input.npy")
    for method in [CAMMethodName.fullgrad, .shapleycam] {
      var request = ExplanationRequest(input: input, targets: [.category(3)])
      request.augmentationSmoothing = true
      let maps = try explainer.explain(request, with: MethodCatalog.method(method)).maps
      #expect(maps.shape == [2, 28, 28])
      #expect(maps.scalars.allSatisfy { (0...1).contains($0) })
    }
  }
}

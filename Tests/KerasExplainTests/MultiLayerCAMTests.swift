import Foundation
import KerasVis
import TestSupport
import Testing

/// One case of `Tests/Fixtures/methods/multilayer.json` (`tools/make_later_cam_fixtures.py`).
struct MultiLayerCase: Sendable, CustomStringConvertible {
  var method: CAMMethodName
  var layers: [[Int]]
  var classes: [Int]
  var expected: String

  var description: String { "\(method.rawValue) over \(layers)" }

  static func load() throws -> [MultiLayerCase] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("multilayer.json", in: .methods)))
    return try (JSONValue.parse(data)["cases"]?.array ?? []).map { entry in
      guard let name = entry["method"]?.string, let method = CAMMethodName(rawValue: name),
        let layers = entry["layers"]?.array?.map({ $0.array?.compactMap { $0.number.map { Int($0) } } ?? [] }),
        let classes = entry["classes"]?.array?.compactMap({ $0.number.map { Int($0) } }),
        let expected = entry["expected"]?.string
      else { throw KerasVisError.invalidArgument("bad multi-layer case \(entry.jsonText)") }
      return MultiLayerCase(method: method, layers: layers, classes: classes, expected: expected)
    }
  }
}

private let multiLayerCases = (try? MultiLayerCase.load()) ?? []

@Suite("Multi-layer CAM: pytorch-grad-cam's aggregate of several target layers")
struct MultiLayerCAMTests {
  @Test("the cases load")
  func casesLoad() {
    #expect(multiLayerCases.count == 3)
  }

  // The references are float32 from the PyTorch port (max |torch - keras| 2e-8 on the model output); the maps are
  // in 0...1 and each layer's OpenCV resize is reproduced in float32: 1e-4.
  @Test("several --penultimate layers give pytorch-grad-cam's multi-layer map", arguments: multiLayerCases)
  func matchesPytorchGradCAM(_ entry: MultiLayerCase) throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath("sequential_cnn.h5")))
    let input = try fixtureArray("sequential_cnn.input.npy")
    var request = ExplanationRequest(
      input: input, targets: entry.classes.map { .category($0) }, layer: entry.layers[0])
    request.layers = entry.layers
    let explanation = try explainer.explain(request, with: MethodCatalog.method(entry.method))
    let expected = try fixtureArray(entry.expected, in: .methods)
    #expect(explanation.maps.shape == expected.shape)
    expectAllClose(explanation.maps, expected, rtol: 0, atol: 1e-4, "\(entry)")
    // Not the map of either layer alone.
    for layer in entry.layers {
      let single = try explainer.explain(
        ExplanationRequest(input: input, targets: entry.classes.map { .category($0) }, layer: layer),
        with: MethodCatalog.method(entry.method))
      #expect(!allClose(single.maps, expected, rtol: 0, atol: 1e-4).holds, "\(entry): equals layer \(layer) alone")
    }
  }

  @Test("the command line: cam --method with two --penultimate layers writes the multi-layer map")
  func commandLine() throws {
    let folder = try ScratchFolder("multilayer")
    defer { folder.cleanUp() }
    let npy = folder.path("map.npy")
    let result = try kerasvis([
      "cam", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--method", "gradcam",
      "--penultimate", "activation", "--penultimate", "average_pooling2d", "--filter", "3", "--npy", npy,
    ])
    #expect(result.status == 0, "\(result.error)")
    let expected = try fixtureArray("multilayer.sequential_cnn.gradcam.npy", in: .methods)
    // The fixture explains class 3 for the first sample (and 7 for the second).
    expectAllClose(try NPY.read(path: npy).sample(0), try expected.sample(0), rtol: 0, atol: 1e-4, "sample 0")
    let refused = try kerasvis([
      "cam", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--method", "gradcam",
      "--convention", "tf-keras-vis", "--penultimate", "activation", "--penultimate", "average_pooling2d",
    ])
    #expect(refused.status == 64 && refused.error.contains("multi-layer"))
  }
}

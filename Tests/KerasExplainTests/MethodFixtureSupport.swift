import Foundation
import KerasVis
import TestSupport

/// One reference computation of `Tests/Fixtures/methods/cases.json` (written by `tools/make_method_fixtures.py`
/// with pytorch-grad-cam, tf-keras-vis or Captum).
struct MethodCase: CustomStringConvertible, Sendable {
  var group: String
  var library: String
  var method: String
  var convention: Convention
  var address: [Int]?
  var classes: [Int]
  var score: ExplanationTarget.Score
  var binary: [Bool]?
  /// "sum": one target, the sum of the classes' scores; "margin": a custom score, the first class's minus the second's.
  var targetKind: String?
  var eigenSmooth: Bool
  var augmentationSmoothing: Bool
  var batchSize: Int?
  var maxN: Int?
  var samples: Int?
  var noiseLevel: Float?
  var noise: String?
  var steps: Int?
  var rule: String?
  var baseline: Float?
  var model: String
  var input: String
  var expected: String

  var description: String { "\(library) \(method) (\(expected))" }

  static let all: [MethodCase] = (try? load()) ?? []

  static func load() throws -> [MethodCase] {
    let json = try JSONValue.parse(Data(contentsOf: FixtureFolder.methods.url("cases.json")))
    return (json["cases"]?.array ?? []).map { entry in
      MethodCase(
        group: entry["group"]?.string ?? "", library: entry["library"]?.string ?? "",
        method: entry["method"]?.string ?? "",
        convention: entry["library"]?.string == "tf-keras-vis" ? .tfKerasVis : .pytorchGradCAM,
        address: entry["address"]?.array?.compactMap(\.int), classes: entry["classes"]?.array?.compactMap(\.int) ?? [],
        score: ExplanationTarget.Score(rawValue: entry["score"]?.string ?? "output") ?? .output,
        binary: entry["binary"]?.array?.compactMap(\.bool), targetKind: entry["target_kind"]?.string,
        eigenSmooth: entry["eigen_smooth"]?.bool ?? false,
        augmentationSmoothing: entry["aug_smooth"]?.bool ?? false, batchSize: entry["batch_size"]?.int,
        maxN: entry["max_n"]?.int, samples: entry["samples"]?.int,
        noiseLevel: entry["noise_level"]?.number.map(Float.init), noise: entry["noise"]?.string,
        steps: entry["steps"]?.int, rule: entry["rule"]?.string, baseline: entry["baseline"]?.number.map(Float.init),
        model: entry["model"]?.string ?? "", input: entry["input"]?.string ?? "",
        expected: entry["expected"]?.string ?? "")
    }
  }

  /// The targets the reference explained.
  var targets: [ExplanationTarget] {
    if targetKind == "sum" { return [.categories(classes, score: score)] }
    if targetKind == "margin" { return [margin(classes[0], classes[1])] }
    if let binary { return binary.map { ExplanationTarget.binary(positive: $0, score: score) } }
    return classes.map { ExplanationTarget.category($0, score: score) }
  }

  /// The request the reference corresponds to.
  func request() throws -> ExplanationRequest {
    var request = ExplanationRequest(input: try NPY.read(path: Fixtures.path(input)), targets: targets, layer: address)
    request.convention = convention
    request.eigenSmooth = eigenSmooth
    request.augmentationSmoothing = augmentationSmoothing
    if let batchSize { request.batchSize = batchSize }
    return request
  }

  /// The kerasvis method the reference corresponds to.
  func kerasvisMethod() throws -> any ExplanationMethod {
    var options = MethodOptions()
    options.convention = convention
    options.maxN = maxN
    switch method {
    case "smoothgrad":
      let noise = try fixtureArray(self.noise ?? "", in: .methods)
      return SmoothGrad(samples: samples ?? 1, noiseLevel: noiseLevel ?? 0.2, noise: .standardNormal(noise))
    case "integrated-gradients":
      return IntegratedGradients(
        steps: steps ?? 50, baseline: .constant(baseline ?? 0),
        rule: IntegratedGradients.Rule(rawValue: rule ?? "") ?? .gaussLegendre)
    default:
      return try MethodCatalog.method(named: method, options: options)
    }
  }

  func explainer() throws -> Explainer {
    Explainer(graph: try KerasModelFile.load(path: Fixtures.path(model)))
  }

  func expectedTensor() throws -> Tensor { try fixtureArray(expected, in: .methods) }
}

/// A custom target: `output[a] - output[b]`, with its gradient.
func margin(_ a: Int, _ b: Int) -> ExplanationTarget {
  .custom("margin \(a) - \(b)") { output in
    var gradient = [Float](repeating: 0, count: output.count)
    gradient[a] = 1
    gradient[b] = -1
    return (output[flat: a] - output[flat: b], try Tensor(shape: output.shape, values: gradient))
  }
}

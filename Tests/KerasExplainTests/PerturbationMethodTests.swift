import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasExplain

/// One reference computation of `Tests/Fixtures/methods/perturbation/cases.json` (written by
/// `tools/make_perturbation_fixtures.py` with Captum, or with eclique/RISE's algorithm for RISE).
struct PerturbationCase: CustomStringConvertible, Sendable {
  var entry: JSONValue

  var method: String { entry["method"]?.string ?? "" }
  var expected: String { entry["expected"]?.string ?? "" }
  var description: String { "\(method) (\(expected))" }

  static let all: [PerturbationCase] = {
    let url = FixtureFolder.methods.url("perturbation/cases.json")
    guard let data = try? Data(contentsOf: url), let json = try? JSONValue.parse(data) else { return [] }
    return (json["cases"]?.array ?? []).map { PerturbationCase(entry: $0) }
  }()

  static func of(_ method: String) -> [PerturbationCase] { all.filter { $0.method == method } }

  func ints(_ key: String) -> [Int] { entry[key]?.array?.compactMap(\.int) ?? [] }
  func number(_ key: String) -> Double? { entry[key]?.number }

  /// The fixture at `key` (a path under Tests/Fixtures).
  func array(_ key: String) throws -> Tensor { try NPY.read(path: Fixtures.path(entry[key]?.string ?? "")) }

  func explainer() throws -> Explainer {
    let model = entry["model"]?.string ?? ""
    let path =
      model.hasPrefix("Samples/") ? samplePath(String(model.dropFirst("Samples/".count))) : Fixtures.path(model)
    return Explainer(graph: try KerasModelFile.load(path: path))
  }

  func request() throws -> ExplanationRequest {
    let targets: [ExplanationTarget] =
      entry["binary"] != nil ? [.binary(positive: true)] : ints("classes").map { .category($0) }
    var request = ExplanationRequest(input: try array("input"), targets: targets)
    request.batchSize = 16
    return request
  }

  /// `PatchShape` from Captum's `(C, h, w)`.
  func patch(_ key: String) -> PatchShape {
    let chw = ints(key)
    return PatchShape(height: chw[1], width: chw[2], channels: chw[0])
  }
}

/// `max |actual - expected| / max |expected|`.
private func relativeDifference(_ actual: Tensor, _ expected: Tensor) -> Float {
  largestDifference(actual, expected) / max(largestMagnitude(expected), .leastNormalMagnitude)
}

private func loadExplainer(_ file: String) throws -> Explainer {
  Explainer(graph: try KerasModelFile.load(path: Fixtures.path(file)))
}

@Suite("Perturbation methods against Captum and RISE")
struct PerturbationMethodTests {
  @Test("the reference cases load")
  func casesLoad() {
    #expect(PerturbationCase.of("occlusion").count >= 3)
    #expect(PerturbationCase.of("occlusion-tiles").count >= 1)
    #expect(PerturbationCase.of("rise").count >= 2)
    #expect(PerturbationCase.of("lime").count >= 2)
    #expect(PerturbationCase.of("slic").count >= 5)
    #expect(PerturbationCase.of("kernel-shap").count >= 2)
  }

  // The scores of the occluded inputs come from oneDNN here and TensorFlow there: float32 round-off of about 1e-7
  // relative on scores near 0.1 to 1, while the attributions are their differences, down to 1e-3 of the scores
  // on these small models; 1e-4 of the largest attribution leaves room for that (measured: up to 1.2e-5), while a
  // wrong window edge, stride or divisor moves attributions by more than 5e-2 of it.
  @Test("occlusion attributions equal Captum's", arguments: PerturbationCase.of("occlusion"))
  func occlusion(_ reference: PerturbationCase) throws {
    let method = Occlusion(
      window: reference.patch("window_chw"), strides: reference.patch("strides_chw"),
      baseline: Float(reference.number("baseline") ?? 0))
    let explanation = try reference.explainer().explain(try reference.request(), with: method)
    let expected = try reference.array("expected")
    let actual = try #require(explanation.attributions)
    #expect(actual.shape == expected.shape)
    let relative = relativeDifference(actual, expected)
    #expect(relative <= 1e-4, "\(reference): max |kerasvis - Captum| / max |Captum| = \(relative)")
    #expect(explanation.maps.shape == Array(expected.shape.dropLast()))
    #expect(explanation.maps.scalars.allSatisfy { (0...1).contains($0) })
  }

  // A nested model (MobileNetV2 inside a Sequential) with windows tiling the input: the attributions are constant
  // on each window, stored at its first pixel. The same tolerance as above (measured: 1.8e-5, a deeper model).
  @Test("occlusion through a nested model equals Captum's", arguments: PerturbationCase.of("occlusion-tiles"))
  func occlusionNested(_ reference: PerturbationCase) throws {
    let method = Occlusion(
      window: reference.patch("window_chw"), strides: reference.patch("strides_chw"),
      baseline: Float(reference.number("baseline") ?? 0))
    let explanation = try reference.explainer().explain(try reference.request(), with: method)
    let actual = try #require(explanation.attributions)
    let expected = try reference.array("expected")
    let (count, rows, columns, channels) = (expected.shape[0], expected.shape[1], expected.shape[2], expected.shape[3])
    let (height, width) = (actual.shape[1], actual.shape[2])
    let a = actual.scalars
    var corners: [Float] = []
    for n in 0..<count {
      for row in 0..<rows {
        for column in 0..<columns {
          for c in 0..<channels {
            corners.append(a[((n * height + row * height / rows) * width + column * width / columns) * channels + c])
          }
        }
      }
    }
    let relative = relativeDifference(try Tensor(shape: expected.shape, values: corners), expected)
    #expect(relative <= 1e-4, "\(reference): max |kerasvis - Captum| / max |Captum| = \(relative)")
    // Constant on every window.
    let tiled = try Tensor(shape: actual.shape) { i in
      let (c, x, y, n) = (
        i % channels, i / channels % width, i / (channels * width) % height, i / (channels * width * height)
      )
      return corners[((n * rows + y * rows / height) * columns + x * columns / width) * channels + c]
    }
    #expect(largestDifference(actual, tiled) == 0)
  }

  // The masks: bilinear weights computed in double precision here and by scipy's zoom there, stored as float32
  // (1e-6 on values in 0...1). The saliency is a mean of scores times masks: as for occlusion, float32 round-off
  // of the scores and of the sums (48 terms), 1e-5 of the largest value (measured: 3e-7).
  @Test("RISE's masks from the seed and its saliency equal explanations.py's", arguments: PerturbationCase.of("rise"))
  func rise(_ reference: PerturbationCase) throws {
    let method = RISE(
      masks: reference.entry["masks"]?.int ?? 0, gridSize: reference.entry["grid_size"]?.int ?? 0,
      keepProbability: Float(reference.number("keep_probability") ?? 0),
      seed: UInt64(reference.entry["seed"]?.int ?? 0))
    let request = try reference.request()
    let (height, width) = (request.input.shape[1], request.input.shape[2])
    let masks = try method.masks(height: height, width: width).scalars
    let firstMasks = try reference.array("first_masks").scalars
    expectAllClose(masks.prefix(firstMasks.count), firstMasks, rtol: 0, atol: 1e-6, "\(reference): masks")
    let explanation = try reference.explainer().explain(request, with: method)
    let expected = try reference.array("expected")
    let actual = try #require(explanation.attributions)
    #expect(actual.shape == expected.shape + [1])
    let relative = relativeDifference(try actual.reshaped(expected.shape), expected)
    #expect(relative <= 1e-5, "\(reference): max |kerasvis - RISE| / max |RISE| = \(relative)")
    #expect(explanation.maps.shape == expected.shape)
    #expect(explanation.maps.scalars.allSatisfy { (0...1).contains($0) })
  }

  // Captum hands scikit-learn float32 data, so scikit-learn fits in float32 (the Lasso's coordinate descent and
  // LinearRegression's lstsq); kerasvis fits the same data in double precision, and its scores differ from
  // TensorFlow's by float32 round-off. Both stop the Lasso at the same duality gap (1e-4 |y|^2). The coefficients
  // agree to 1e-4 of the largest (measured: 1.9e-6 for the Lasso, 8e-7 for Kernel SHAP); a wrong kernel or
  // weight moves them by more than 1e-3 of it (Kernel SHAP's 1e6 weights taken as 1e3: 1.4e-3).
  @Test(
    "LIME and Kernel SHAP coefficients equal Captum's for its perturbations",
    arguments: PerturbationCase.of("lime") + PerturbationCase.of("kernel-shap"))
  func surrogate(_ reference: PerturbationCase) throws {
    let segments = reference.entry["segments"]?.int ?? 0
    let samples = reference.entry["samples"]?.int ?? 0
    let baseline = Float(reference.number("baseline") ?? 0)
    let vectors = try reference.array("vectors")
    let request = try reference.request()
    let (height, width) = (request.input.shape[1], request.input.shape[2])
    let segmentation =
      reference.number("slic_compactness").map { Segmentation.slic(segments: segments, compactness: $0) }
      ?? .grid(segments: segments)
    let (indices, features) = try segmentation.segments(
      height: height, width: width, sample: 0, count: 1, values: request.input.scalars[...])
    #expect(indices.map(Float.init) == (try reference.array("feature_mask")).scalars, "\(reference): the segments")
    let method: any ExplanationMethod
    if reference.method == "lime" {
      method = LIME(segmentation: segmentation, samples: samples, baseline: baseline, perturbations: .given(vectors))
    } else {
      method = KernelSHAP(
        segmentation: segmentation, samples: samples, baseline: baseline, perturbations: .given(vectors))
    }
    let explanation = try reference.explainer().explain(request, with: method)
    let attributions = try #require(explanation.attributions)
    #expect(attributions.shape == request.input.shape)
    let expected = try reference.array("expected")
    let count = request.input.shape[0]
    let channels = request.input.shape[3]
    let a = attributions.scalars
    // The attribution of every pixel and channel is its segment's coefficient.
    var coefficients = [Float](repeating: .nan, count: count * features)
    for n in 0..<count {
      for (p, segment) in indices.enumerated() {
        for c in 0..<channels {
          let value = a[(n * indices.count + p) * channels + c]
          if coefficients[n * features + segment].isNaN { coefficients[n * features + segment] = value }
          #expect(value == coefficients[n * features + segment])
        }
      }
    }
    let actual = try Tensor(shape: expected.shape, values: coefficients)
    let relative = relativeDifference(actual, expected)
    #expect(relative <= 1e-4, "\(reference): max |kerasvis - Captum| / max |Captum| = \(relative)")
  }

  @Test("occlusion's windows cover the edges as Captum's do, and bad windows are refused")
  func occlusionWindows() throws {
    let method = Occlusion(window: PatchShape(height: 6, width: 4), strides: PatchShape(height: 3, width: 4))
    let offsets = try method.offsets(sampleShape: [28, 10, 3])
    #expect(offsets[0] == [0, 3, 6, 9, 12, 15, 18, 21, 24])  // ceil(22 / 3) + 1 starts; the last cut at 28
    #expect(offsets[1] == [0, 4, 8])
    #expect(offsets[2] == [0])
    #expect(throws: KerasVisError.self) {
      try Occlusion(window: PatchShape(height: 30, width: 4)).offsets(sampleShape: [28, 28, 1])
    }
    #expect(throws: KerasVisError.self) {
      try Occlusion(window: PatchShape(height: 4, width: 4), strides: PatchShape(height: 5, width: 4))
        .offsets(sampleShape: [28, 28, 1])
    }
    #expect(throws: KerasVisError.self) {
      try Occlusion(window: PatchShape(height: 0, width: 4)).offsets(sampleShape: [28, 28, 1])
    }
  }

  @Test("the seeded perturbations: LIME's are fair coins, Kernel SHAP's start all-kept and all-off")
  func seededPerturbations() throws {
    let lime = SurrogateAttribution(
      kind: .lime(alpha: 0.01, kernelWidth: 1), segmentation: .grid(segments: 16), samples: 400, baseline: 0,
      perturbations: .seeded(3))
    let coins = try lime.vectors(features: 16, sample: 0, count: 1)
    #expect(coins.allSatisfy { $0 == 0 || $0 == 1 })
    let kept = coins.reduce(0, +) / Float(coins.count)
    #expect(abs(kept - 0.5) < 0.03)
    #expect(try lime.vectors(features: 16, sample: 1, count: 2) == coins)
    var shap = lime
    shap.kind = .kernelSHAP
    let vectors = try shap.vectors(features: 16, sample: 0, count: 1)
    #expect(vectors[0..<16].allSatisfy { $0 == 1 } && vectors[16..<32].allSatisfy { $0 == 0 })
    // The Shapley kernel puts most samples at few or many kept features, never at none or all after the first two.
    let sizes = (2..<400).map { row in Int(vectors[(row * 16)..<((row + 1) * 16)].reduce(0, +)) }
    #expect(sizes.allSatisfy { (1...15).contains($0) })
    let extreme = sizes.filter { $0 <= 2 || $0 >= 14 }.count
    let middle = sizes.filter { (7...9).contains($0) }.count
    #expect(extreme > 3 * middle)
    #expect(throws: KerasVisError.self) { try shap.vectors(features: 1, sample: 0, count: 1) }
  }

  @Test("the grid segmentation has about the asked number of cells")
  func gridSegmentation() throws {
    let (indices, features) = try Segmentation.grid(segments: 16).segments(height: 28, width: 28, sample: 0, count: 1)
    #expect(features == 16 && Set(indices).count == 16)
    #expect(indices[0] == 0 && indices[27] == 3 && indices[27 * 28] == 12 && indices[28 * 28 - 1] == 15)
    let (_, wide) = try Segmentation.grid(segments: 8).segments(height: 10, width: 40, sample: 0, count: 1)
    #expect(wide == 1 * 8)
    #expect(throws: KerasVisError.self) {
      try Segmentation.grid(segments: 0).segments(height: 10, width: 10, sample: 0, count: 1)
    }
    #expect(throws: KerasVisError.self) {
      try Segmentation.mask(try Tensor(shape: [3, 3], values: [0, 1, 2, 0, 1, 2, 0, 1, -1]))
        .segments(height: 3, width: 3, sample: 0, count: 1)
    }
  }

  @Test("batched inputs equal one at a time (the same masks and perturbations for every sample)")
  func batchesEqualSingles() throws {
    let explainer = try loadExplainer("models/sequential_cnn.h5")
    let batch = try NPY.read(path: Fixtures.path("models/sequential_cnn.input.npy"))
    let methods: [any ExplanationMethod] = [
      Occlusion(window: PatchShape(height: 7, width: 7), strides: PatchShape(height: 7, width: 7)),
      RISE(masks: 20, gridSize: 4), LIME(samples: 30), KernelSHAP(samples: 30),
    ]
    for method in methods {
      var request = ExplanationRequest(input: batch, targets: [.category(3), .category(7)])
      request.batchSize = 7
      let together = try explainer.explain(request, with: method)
      for n in 0..<2 {
        let single = try explainer.explain(
          ExplanationRequest(input: try batch.sample(n), targets: [.category(n == 0 ? 3 : 7)]), with: method)
        expectAllClose(
          try #require(single.attributions).scalars, try #require(together.attributions).sample(n).scalars,
          rtol: 1e-5, atol: 1e-7, "\(method.name), sample \(n)")
      }
    }
  }

  @Test("the catalog knows the perturbation methods by name, with their options")
  func catalog() throws {
    var options = MethodOptions()
    options.window = PatchShape(height: 3, width: 5, channels: 1)
    options.masks = 12
    options.segments = 9
    options.perturbationSamples = 33
    let occlusion = try #require(try MethodCatalog.method(named: "occlusion", options: options) as? Occlusion)
    #expect(occlusion.window == PatchShape(height: 3, width: 5, channels: 1))
    #expect((try MethodCatalog.method(named: "rise", options: options) as? RISE)?.masks == 12)
    #expect((try MethodCatalog.method(named: "lime", options: options) as? LIME)?.samples == 33)
    #expect((try MethodCatalog.method(named: "kernel-shap", options: options) as? KernelSHAP)?.samples == 33)
    #expect(MethodCatalog.gradientMethods.contains("kernel-shap"))
  }
}

@Suite("SLIC superpixels against scikit-image")
struct SLICTests {
  // Segment labels are integers: equal or not. scikit-image runs in float64 on the float64 sample, kerasvis in
  // double precision on the float32 one, so a pixel exactly halfway between two centres could flip; none does.
  @Test("SLIC labels equal skimage.segmentation.slic's", arguments: PerturbationCase.of("slic"))
  func labels(_ reference: PerturbationCase) throws {
    let input = try reference.array("input")
    let expected = try reference.array("expected")
    let (height, width) = (input.shape[1], input.shape[2])
    let segmentation = Segmentation.slic(
      segments: reference.entry["segments"]?.int ?? 0, compactness: reference.number("compactness") ?? 0)
    for n in 0..<input.shape[0] {
      let (indices, features) = try segmentation.segments(
        height: height, width: width, sample: n, count: input.shape[0], values: try input.sample(n).scalars[...])
      let labels = try expected.sample(n).scalars.map { Int($0) }
      let differing = zip(indices, labels).filter { $0 != $1 }.count
      #expect(differing == 0, "\(reference), sample \(n): \(differing) pixels differ")
      #expect(features == (labels.max() ?? 0) + 1)
    }
  }
}

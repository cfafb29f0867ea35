import Foundation
import KerasVis
import TestSupport
import Testing

/// One case of `Tests/Fixtures/methods/latercam.json` (`tools/make_later_cam_fixtures.py`).
struct LaterCAMCase: Sendable, CustomStringConvertible {
  var model: String
  var input: String
  var method: CAMMethodName
  var layer: [Int]
  var classes: [Int]?
  var expected: String

  var description: String { "\(method.rawValue) on \(model)" }

  static func load() throws -> [LaterCAMCase] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("latercam.json", in: .methods)))
    return try (JSONValue.parse(data)["cases"]?.array ?? []).map { entry in
      guard let model = entry["model"]?.string, let input = entry["input"]?.string,
        let name = entry["method"]?.string, let method = CAMMethodName(rawValue: name),
        let layer = entry["layer"]?.array?.compactMap({ $0.number.map { Int($0) } }),
        let expected = entry["expected"]?.string
      else { throw KerasVisError.invalidArgument("bad case \(entry.jsonText)") }
      let classes = entry["classes"]?.array?.compactMap { $0.number.map { Int($0) } }
      return LaterCAMCase(
        model: model, input: input, method: method, layer: layer, classes: classes, expected: expected)
    }
  }
}

private let laterCases = (try? LaterCAMCase.load()) ?? []

@Suite("pytorch-grad-cam's later methods: element-wise Grad-CAM, FEM, KPCA-CAM, Finer-CAM")
struct LaterCAMMethodTests {
  @Test("the cases load")
  func casesLoad() {
    #expect(laterCases.count == 8)
  }

  // Maps in 0...1; the references are float16 (exact to 2.44e-4 in 0.5...1) from the PyTorch port (outputs equal
  // to 2e-8), and each map is reproduced in float32 with an OpenCV-exact resize: 5e-4. KPCA-CAM's eigenvector is
  // computed in Float64 by Jacobi's method where scikit-learn uses ARPACK or LAPACK: the same to far below that.
  @Test("each method equals pytorch-grad-cam 1.5.7 on the same weights", arguments: laterCases)
  func matchesReference(_ entry: LaterCAMCase) throws {
    let explainer = Explainer(graph: try KerasModelFile.load(path: Fixtures.path(entry.model)))
    let input = try NPY.read(path: Fixtures.path(entry.input))
    let request = ExplanationRequest(
      input: input, targets: entry.classes.map { $0.map { .category($0) } }, layer: entry.layer)
    let explanation = try explainer.explain(request, with: MethodCatalog.method(entry.method))
    let expected = try fixtureArray(entry.expected, in: .methods)
    #expect(explanation.maps.shape == expected.shape)
    expectAllClose(explanation.maps, expected, rtol: 0, atol: 5e-4, "\(entry)")
  }

  @Test("Finer-CAM's score and gradient: the formula, and its gradient against central differences")
  func finerScore() throws {
    let output = try Tensor(shape: [5], values: [0.1, 2.0, 1.7, -0.3, 1.9])
    let (score, gradient, main) = try FinerCAM.finerScore(output, main: nil, alpha: 1, comparisonRanks: [1, 2, 3])
    #expect(main == 1)
    // Closest to o_1 = 2.0: class 4 (1.9), then 2 (1.7), then 0 (0.1).
    let o = output.scalars.map(Double.init)
    let e = o.map { Foundation.exp($0) }
    let p = e.map { $0 / e.reduce(0, +) }
    let comparisons = [4, 2, 0]
    let expected =
      comparisons.reduce(0.0) { $0 + p[$1] * (o[1] - o[$1]) } / (comparisons.reduce(0.0) { $0 + p[$1] } + 1e-9)
    #expect(abs(Double(score) - expected) < 1e-6)
    for j in 0..<5 {
      var up = output.scalars
      var down = output.scalars
      up[j] += 1e-3
      down[j] -= 1e-3
      let plus = try FinerCAM.finerScore(
        try Tensor(shape: [5], values: up), main: 1, alpha: 1, comparisonRanks: [1, 2, 3])
      let minus = try FinerCAM.finerScore(
        try Tensor(shape: [5], values: down), main: 1, alpha: 1, comparisonRanks: [1, 2, 3])
      // Central differences in float32 with h = 1e-3: 1e-3.
      #expect(abs((plus.score - minus.score) / 2e-3 - gradient.scalars[j]) < 1e-3, "d/do_\(j)")
    }
  }
}

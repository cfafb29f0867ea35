import Foundation
import KerasVis
import TestSupport
import Testing

@Suite("kerasvis saliency/evaluate --method lrp-...")
struct LRPCommandTests {
  let model = fixturePath("lrp/lrp_cnn.h5", in: .methods)
  let input = fixturePath("lrp/lrp_cnn.input.npy", in: .methods)

  @Test("saliency --method lrp-epsilon writes the channel sum of zennit's relevance, scaled to 0...1")
  func saliency() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    let result = try kerasvis([
      "saliency", model, input, "--method", "lrp-epsilon", "--score", "logit", "--filter", "4", "--npy", npy,
    ])
    #expect(result.status == 0, "\(result.error)")
    let map = try NPY.read(path: npy)
    #expect(map.shape == [2, 10, 10])
    let relevance = try fixtureArray("lrp/lrp_cnn.lrp-epsilon.npy", in: .methods)
    for sample in 0..<2 {
      let r: [Float] = try relevance.sample(sample).scalars
      let sums: [Float] = stride(from: 0, to: r.count, by: 3).map { (i: Int) -> Float in r[i] + r[i + 1] + r[i + 2] }
      let low: Float = sums.min() ?? 0
      let range: Float = (sums.max() ?? 0) - low + 1e-7
      let expected: [Float] = sums.map { ($0 - low) / range }
      let actual: [Float] = try map.sample(sample).scalars
      // The map is float32 (r - min) / (max - min + 1e-7) of relevances matching zennit to 1e-4 of their range.
      expectAllClose(actual, expected, rtol: 0, atol: 1e-3, "sample \(sample)")
    }
  }

  @Test("the LRP options: --epsilon, --gamma and --input-bounds, which must be low,high")
  func options() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    var maps: [[Float]] = []
    for bounds in ["-1,1", "-3,3"] {
      let result = try kerasvis([
        "saliency", model, input, "--method", "lrp-epsilon-gamma-box", "--input-bounds=\(bounds)", "--gamma", "0.5",
        "--epsilon", "0.01", "--npy", npy,
      ])
      #expect(result.status == 0, "\(result.error)")
      maps.append(try NPY.read(path: npy).scalars)
    }
    #expect(maps[0] != maps[1], "the bounds change the first layer's relevance")
    let refused = try kerasvis(["saliency", model, input, "--method", "deep-taylor", "--input-bounds", "1,0"])
    #expect(refused.status != 0)
    #expect(refused.error.contains("input-bounds"), "\(refused.error)")
  }

  @Test("evaluate --method lrp-epsilon-plus-flat deep-taylor runs the metrics")
  func evaluate() throws {
    let result = try kerasvis([
      "evaluate", model, input, "--method", "lrp-epsilon-plus-flat", "deep-taylor", "--metric", "deletion",
      "insertion", "--json",
    ])
    #expect(result.status == 0, "\(result.error)")
    let parsed = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: [String: [Double]]]
    #expect(parsed?["lrp-epsilon-plus-flat"]?["deletion"]?.count == 2)
    #expect(parsed?["deep-taylor"]?["insertion"]?.count == 2)
  }

  @Test("a nested model: LRP runs through MobileNetV2 inside a Functional model")
  func nested() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    for method in ["lrp-epsilon-gamma-box"] {
      let result = try kerasvis([
        "saliency", fixturePath("nested_mobilenet.h5"), fixturePath("nested_mobilenet.input.npy"), "--method", method,
        "--score", "logit", "--npy", npy,
      ])
      #expect(result.status == 0, "\(method): \(result.error)")
      let map = try NPY.read(path: npy)
      #expect(map.shape == [2, 96, 96], "\(method)")
      let finite = map.scalars.allSatisfy { $0.isFinite }
      #expect(finite, "\(method)")
    }
  }
}

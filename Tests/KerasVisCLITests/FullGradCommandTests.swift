import Foundation
import KerasVis
import TestSupport
import Testing

@Suite("kerasvis cam/evaluate --method fullgrad|shapleycam")
struct FullGradCommandTests {
  @Test("cam --method fullgrad on an image writes the map at the input size")
  func fullGradImage() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    let result = try kerasvis([
      "cam", samplePath("shapes_cnn.h5"), samplePath("images/triangle_0.png"), "--method", "fullgrad", "--npy", npy,
    ])
    #expect(result.status == 0, "\(result.error)")
    #expect(!result.error.contains("last feature map"))
    let map = try NPY.read(path: npy)
    #expect(map.shape == [64, 64])
    // Scaled to 0...1 by (x - min) / (1e-7 + max): the largest value is 1 to float rounding.
    #expect((map.scalars.min() ?? -1) >= 0)
    #expect(abs((map.scalars.max() ?? 0) - 1) < 1e-5)
  }

  @Test("cam --method fullgrad|shapleycam on a .npy batch writes pytorch-grad-cam's maps")
  func matchesReference() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    for (method, arguments, expected) in [
      ("fullgrad", [String](), "fullgrad.sequential_cnn.npy"),
      ("shapleycam", ["--penultimate", "activation"], "shapleycam.sequential_cnn.activation.output.npy"),
    ] {
      let result = try kerasvis(
        [
          "cam", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--method", method,
          "--filter", "3", "--npy", npy,
        ] + arguments)
      #expect(result.status == 0, "\(method): \(result.error)")
      let map = try NPY.read(path: npy)
      #expect(map.shape == [2, 28, 28])
      // The reference explains classes [3, 7]: the first sample's target is class 3 here too. Float16 references: 5e-4.
      let reference = try fixtureArray(expected, in: .methods)
      expectAllClose(try map.sample(0), try reference.sample(0), rtol: 0, atol: 5e-4, "\(method), the first sample")
    }
  }

  @Test("evaluate scores FullGrad's and ShapleyCAM's maps")
  func evaluate() throws {
    let result = try kerasvis([
      "evaluate", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--method", "fullgrad",
      "shapleycam", "--metric", "confidence-drop", "deletion", "--json",
    ])
    #expect(result.status == 0, "\(result.error)")
    let parsed = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: [String: [Double]]]
    for method in ["fullgrad", "shapleycam"] {
      #expect(parsed?[method]?["deletion"]?.count == 2, "\(method)")
      #expect(parsed?[method]?["confidence-drop"]?.count == 2, "\(method)")
    }
  }
}

import Foundation
import KerasVis
import TestSupport
import Testing

@Suite("kerasvis predict, cam, saliency, activation")
struct ExplainCommandTests {
  @Test("predict --npy writes Keras's output; --layer writes a layer's")
  func predict() throws {
    let out = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: out) }
    let result = try kerasvis([
      "predict", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--npy", out,
    ])
    #expect(result.status == 0, "\(result.error)")
    let written = try NPY.read(path: out)
    let expected = try fixtureArray("sequential_cnn.output_0.npy")
    #expect(written.shape == expected.shape)
    expectAllClose(written, expected, rtol: 1e-4, atol: 1e-5, "predict --npy")
    let layer = try kerasvis([
      "predict", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--layer", "renamed_conv",
      "--npy", out,
    ])
    #expect(layer.status == 0)
    #expect(try NPY.read(path: out).shape == [2, 13, 13, 16])
    let table = try kerasvis([
      "predict", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--top", "3",
    ])
    #expect(table.output.contains("sample 1:"))
  }

  @Test("cam and saliency write the map as .npy and a PNG")
  func explanations() throws {
    let npy = temporaryPath(".npy")
    let png = temporaryPath(".png")
    defer {
      try? FileManager.default.removeItem(atPath: npy)
      try? FileManager.default.removeItem(atPath: png)
    }
    let cam = try kerasvis([
      "cam", fixturePath("inception_v3_narrow.h5"), fixturePath("inception_v3_narrow.input.npy"), "--layer",
      "predictions",
      "--filter", "3", "--penultimate", "mixed10", "--npy", npy, "--out", png,
    ])
    #expect(cam.status == 0, "\(cam.error)")
    let map = try NPY.read(path: npy)
    #expect(map.shape == [139, 139])
    #expect((map.scalars.max() ?? 0) > 0.999)
    let header = try Data(contentsOf: URL(fileURLWithPath: png)).prefix(8)
    #expect(header == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    let saliency = try kerasvis([
      "saliency", fixturePath("inception_v3_narrow.h5"), fixturePath("inception_v3_narrow.input.npy"), "--layer", "-1",
      "--filter", "3", "--backprop-modifier", "guided", "--keepdims", "--npy", npy,
    ])
    #expect(saliency.status == 0, "\(saliency.error)")
    #expect(try NPY.read(path: npy).shape == [139, 139, 3])
  }

  @Test("bad layer, filter and penultimate arguments give clear errors")
  func errors() throws {
    let input = fixturePath("inception_v3_narrow.input.npy")
    let network = fixturePath("inception_v3_narrow.h5")
    let outOfRange = try kerasvis(["cam", network, input, "--layer", "400", "--filter", "0"])
    #expect(outOfRange.status == 64)
    #expect(outOfRange.error.contains("--layer 400"))
    #expect(outOfRange.error.contains("313 layers"))
    let typo = try kerasvis(["cam", network, input, "--layer", "predictons", "--filter", "0"])
    #expect(typo.status == 64)
    #expect(typo.error.contains("predictions"))
    let filter = try kerasvis(["cam", network, input, "--filter", "12", "--penultimate", "mixed10"])
    #expect(filter.status == 1)
    #expect(filter.error.contains("filter index 12"))
    #expect(filter.error.contains("0...9"))
    let after = try kerasvis([
      "cam", network, input, "--layer", "conv2d_94", "--filter", "0", "--penultimate", "mixed10",
    ])
    #expect(after.status == 64)
    #expect(after.error.contains("--penultimate"))
    // Refused while the arguments are validated: checked in process.
    expectUsageError(["saliency", network, input, "--grad-modifier", "sideways"], mentioning: "--grad-modifier")
  }

  @Test("several inputs: one output each, and a bad file is reported at the end with exit code 1")
  func batch() throws {
    let folder = temporaryPath("")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let broken = temporaryPath(".npy")
    try Data("not an array".utf8).write(to: URL(fileURLWithPath: broken))
    defer { try? FileManager.default.removeItem(atPath: broken) }
    let input = fixturePath("sequential_cnn.input.npy")
    let result = try kerasvis([
      "saliency", fixturePath("sequential_cnn.h5"), input, broken, "--filter", "4", "--npy", folder + "/",
    ])
    #expect(result.status == 1)
    #expect(result.error.contains(broken))
    #expect(result.error.contains("1 of 2 inputs failed"))
    #expect(FileManager.default.fileExists(atPath: folder + "/sequential_cnn.input.saliency.npy"))
  }

  @Test("activation writes an image in 0...255")
  func activation() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    let result = try kerasvis([
      "activation", fixturePath("sequential_cnn.h5"), "--layer", "-1", "--filter", "4", "--iterations", "5", "--linear",
      "--npy", npy,
    ])
    #expect(result.status == 0, "\(result.error)")
    let image = try NPY.read(path: npy)
    #expect(image.shape == [28, 28, 1])
    #expect(image.scalars.allSatisfy { (0...255).contains($0) })
  }

  @Test("summary --cam-layers marks keras-vis's and the paper's choices")
  func camLayers() throws {
    let result = try kerasvis(["summary", fixturePath("inception_v3_narrow.h5"), "--cam-layers", "--json"])
    #expect(result.status == 0)
    let json = try JSONValue.parse(Data(result.output.utf8))
    let rows = try #require(json["candidates"]?.array)
    #expect(rows.first { $0["keras_vis_choice"] == .bool(true) }?["name"]?.string == "conv2d_94")
    #expect(rows.first { $0["paper_choice"] == .bool(true) }?["index"]?.int == 310)
  }
}

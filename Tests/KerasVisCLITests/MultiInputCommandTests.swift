import Foundation
import KerasVis
import TestSupport
import Testing

/// A file of `Tests/Fixtures/multi_input` (`tools/make_multi_input_fixtures.py`).
private func multiInput(_ name: String) -> String { Fixtures.path("multi_input/\(name)") }

@Suite("kerasvis cam/saliency on models with several inputs, channels_first models and text models")
struct MultiInputCommandTests {
  // tf-keras-vis's maps in 0...1 stored as float16 (up to 2.4e-4 off) from the same weights: 5e-4 (see
  // MultiInputExplanationTests).
  @Test("--input picks the input the files feed and whose map is written; --input-value gives the other")
  func camAndSaliencyPerInput() throws {
    let scratch = try ScratchFolder("multi-input")
    defer { scratch.cleanUp() }
    let model = multiInput("two_images_k2.h5")
    let image = multiInput("two_images.input_0.npy")
    let mask = multiInput("two_images.input_1.npy")
    let cases: [(command: [String], input: String?, value: String, reference: String, shape: [Int])] = [
      (
        ["cam", "--method", "gradcam", "--convention", "tf-keras-vis", "--penultimate", "features"], nil,
        "mask=\(mask)", "two_images.tkv.gradcam.input_0.npy", [2, 12, 12]
      ),
      (
        ["cam", "--method", "gradcam", "--convention", "tf-keras-vis", "--penultimate", "features"], "mask",
        "0=\(image)", "two_images.tkv.gradcam.input_1.npy", [2, 8, 8]
      ),
      (["saliency", "--method", "vanilla"], "1", "image=\(image)", "two_images.tkv.vanilla.input_1.npy", [2, 8, 8]),
      (["saliency"], "image", "mask=\(mask)", "two_images.tkv.vanilla.input_0.npy", [2, 12, 12]),
    ]
    for (number, item) in cases.enumerated() {
      let npy = scratch.path("map\(number).npy")
      let fed = item.input == nil || item.input == "image" ? image : mask
      var arguments = [item.command[0], model, fed] + item.command.dropFirst()
      arguments += ["--filter", "0", "--input-value", item.value, "--npy", npy]
      if let input = item.input { arguments += ["--input", input] }
      let result = try kerasvis(arguments)
      #expect(result.status == 0, "\(arguments): \(result.error)")
      let map = try NPY.read(path: npy)
      #expect(map.shape == item.shape, "\(arguments)")
      // The references explain class 0 for the first sample.
      let expected = try NPY.read(path: multiInput(item.reference))
      expectAllClose(try map.sample(0), try expected.sample(0), rtol: 0, atol: 5e-4, "\(arguments)")
    }
    // A picture of the chosen input.
    let out = scratch.path("mask.png")
    let drawn = try kerasvis([
      "saliency", model, mask, "--input", "mask", "--input-value", "image=\(image)", "--method", "smoothgrad",
      "--samples", "2", "--out", out,
    ])
    #expect(drawn.status == 0, "\(drawn.error)")
    #expect(FileManager.default.fileExists(atPath: out))
  }

  @Test("a multi-input run without the other inputs' values says what the model takes and what was given")
  func missingValuesAreNamed() throws {
    let model = multiInput("two_images_k2.h5")
    let image = multiInput("two_images.input_0.npy")
    let missing = try kerasvis(["cam", model, image, "--method", "gradcam"])
    #expect(missing.status == 64)
    #expect(
      missing.error.contains("takes 2 inputs") && missing.error.contains("image") && missing.error.contains("mask")
        && missing.error.contains("--input-value") && missing.error.contains("given: none"), "\(missing.error)")
    let unknown = try kerasvis(["saliency", model, image, "--input", "photo", "--input-value", "mask=\(image)"])
    #expect(unknown.status == 64)
    #expect(unknown.error.contains("--input photo") && unknown.error.contains("0: image"), "\(unknown.error)")
    let wrongShape = try kerasvis(["saliency", model, image, "--input-value", "mask=\(image)", "--method", "vanilla"])
    #expect(wrongShape.status == 1)
    #expect(wrongShape.error.contains("mask"), "\(wrongShape.error)")
    // tf-keras-vis cannot zoom a CAM to a vector input: the run says so and names --input.
    let vector = try kerasvis([
      "cam", multiInput("image_vector_k2.h5"), multiInput("image_vector.input_1.npy"), "--input", "vector",
      "--input-value", "image=\(multiInput("image_vector.input_0.npy"))", "--method", "gradcam",
    ])
    #expect(vector.status != 0)
    #expect(vector.error.contains("--input"), "\(vector.error)")
  }

  // Both models compute the same float32 arithmetic on oneDNN: 1e-4 on maps in 0...1.
  @Test("an image explains a channels_first model as its channels_last twin")
  func channelsFirstImage() throws {
    let scratch = try ScratchFolder("channels-first")
    defer { scratch.cleanUp() }
    var generator = SeededGenerator(state: 5)
    let pixels = (0..<(12 * 12 * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let png = scratch.path("photo.png")
    try Image(width: 12, height: 12, format: .rgb, pixels: pixels).writePNG(toFile: png)
    for arguments in [["cam", "--method", "gradcam"], ["saliency", "--method", "smoothgrad", "--samples", "3"]] {
      var maps: [Tensor] = []
      for model in ["cf_cnn_k2.h5", "cf_cnn_twin_k2.h5"] {
        let npy = scratch.path("\(model).npy")
        let out = scratch.path("\(model).png")
        let result = try kerasvis(
          [arguments[0], multiInput(model), png] + arguments.dropFirst()
            + ["--preprocess", "tf", "--filter", "1", "--npy", npy, "--out", out])
        #expect(result.status == 0, "\(arguments) \(model): \(result.error)")
        #expect(FileManager.default.fileExists(atPath: out))
        maps.append(try NPY.read(path: npy))
      }
      #expect(maps[0].shape == [12, 12], "\(arguments)")
      expectAllClose(maps[0], maps[1], rtol: 0, atol: 1e-4, "\(arguments)")
    }
  }

  // The command runs the library's tokenAttributions: the same float32 values.
  @Test("saliency --method on a text model prints, writes and JSON-encodes per-token attributions")
  func textModel() throws {
    let scratch = try ScratchFolder("tokens")
    defer { scratch.cleanUp() }
    let model = fixturePath("text_zoo_k2.h5")
    let tokens = fixturePath("text_zoo_k2.input.npy")
    let ids = try NPY.read(path: tokens)
    let explainer = Explainer(graph: try KerasModelFile.load(path: model))
    let expected = try explainer.tokenAttributions(
      tokens: ids, method: .integratedGradients(IntegratedGradients(steps: 8)))
    let npy = scratch.path("tokens.npy")
    let printed = try kerasvis([
      "saliency", model, tokens, "--method", "integrated-gradients", "--steps", "8", "--npy", npy,
    ])
    #expect(printed.status == 0, "\(printed.error)")
    let written = try NPY.read(path: npy)
    #expect(written.shape == ids.shape)
    expectAllClose(written, expected.tokens, rtol: 0, atol: 0, "--npy")
    let lines = printed.output.split(separator: "\n")
    let (count, length) = (ids.shape[0], ids.shape[1])
    #expect(lines.count == count * (length + 1))
    let secondToken = lines[2].split(separator: " ")
    #expect(secondToken.count == 3)
    #expect(Int(secondToken[0]) == 1 && Int(secondToken[1]) == Int(ids.scalars[1]))
    #expect(Float(secondToken[2]) == expected.tokens.scalars[1])
    // A text file of ids gives the same attributions; --json one line per file.
    let text = scratch.path("tokens.txt")
    let rows = (0..<count).map { n in
      (0..<length).map { String(Int(ids.scalars[n * length + $0])) }.joined(separator: " ")
    }
    try rows.joined(separator: "\n").write(toFile: text, atomically: true, encoding: .utf8)
    let json = try kerasvis(["saliency", model, text, "--method", "input-x-gradient", "--json", "--filter", "1"])
    #expect(json.status == 0, "\(json.error)")
    let parsed = try JSONValue.parse(Data(json.output.utf8))
    let samples = parsed["samples"]?.array ?? []
    #expect(samples.count == count)
    let reference = try explainer.tokenAttributions(tokens: ids, method: .inputXGradient, targets: [.category(1)])
    let first = samples.first?["tokens"]?.array?.compactMap { $0["attribution"]?.number } ?? []
    expectAllClose(first.map(Float.init), reference.tokens.scalars.prefix(length), rtol: 1e-6, atol: 0, "--json")
    #expect(samples.first?["classes"]?.array?.compactMap(\.int) == [1])
    // Methods that need pixels are refused by name.
    let refused = try kerasvis(["saliency", model, tokens, "--method", "smoothgrad"])
    #expect(refused.status == 64)
    #expect(refused.error.contains("input-x-gradient"), "\(refused.error)")
  }
}

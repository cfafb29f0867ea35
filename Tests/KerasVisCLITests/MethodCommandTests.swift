import Foundation
import KerasVis
import TestSupport
import Testing

@Suite("kerasvis cam/saliency --method")
struct MethodCommandTests {
  @Test("cam --method writes the same map as the library's reference, and reports the automatic layer")
  func camMethod() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    let result = try kerasvis([
      "cam", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"),
      "--method", "gradcam++", "--filter", "3", "--npy", npy,
    ])
    #expect(result.status == 0, "\(result.error)")
    #expect(result.error.contains("layer 'average_pooling2d' (index 5, AveragePooling2D)"))
    let map = try NPY.read(path: npy)
    #expect(map.shape == [2, 28, 28])
    // pytorch-grad-cam's map for classes [3, 7]: the first sample's target is class 3 here too.
    let expected = try NPY.read(
      path: fixturePath("sequential_cnn.average_pooling2d.ptgc.gradcam++_output.npy", in: .methods))
    expectAllClose(try map.sample(0), try expected.sample(0), rtol: 0, atol: 5e-4, "the first sample's map")
  }

  @Test("a nested layer path, the tf-keras-vis convention and Faster Score-CAM from the command line")
  func nestedLayer() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    let result = try kerasvis([
      "cam", fixturePath("inception_v3_narrow.h5"), fixturePath("inception_v3_narrow.input.npy"),
      "--method", "scorecam", "--convention", "tf-keras-vis", "--max-n", "10", "--filter", "4", "--penultimate",
      "mixed10", "--npy", npy,
    ])
    #expect(result.status == 0, "\(result.error)")
    let expected = try NPY.read(
      path: fixturePath("inception_v3_narrow.mixed10.tkv.scorecam_max_N10_output.npy", in: .methods))
    let map = try NPY.read(path: npy)
    #expect(map.shape == [139, 139])
    expectAllClose(map.scalars, expected.scalars, rtol: 0, atol: 5e-4, "Faster Score-CAM (tf-keras-vis)")
    let nested = try kerasvis([
      "cam", fixturePath("nested_mobilenet.h5"), fixturePath("nested_mobilenet.input.npy"),
      "--method", "eigengradcam", "--penultimate", "mobilenetv2_0.10_96/block_16_project", "--npy", npy,
    ])
    #expect(nested.status == 0, "\(nested.error)")
    #expect(nested.error.contains("the top class of each sample"))
    #expect(!nested.error.contains("last feature map"))
    #expect(try NPY.read(path: npy).shape == [2, 96, 96])
  }

  @Test("saliency --method runs the gradient methods")
  func saliencyMethods() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    for method in ["smoothgrad", "integrated-gradients", "input-x-gradient", "guided-backprop", "vanilla"] {
      let result = try kerasvis([
        "saliency", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"),
        "--method", method, "--samples", "3", "--steps", "4", "--filter", "2", "--npy", npy,
      ])
      #expect(result.status == 0, "\(method): \(result.error)")
      let map = try NPY.read(path: npy)
      #expect(map.shape == [2, 28, 28], "\(method)")
      #expect((map.scalars.max() ?? 0) > 0.99, "\(method)")
    }
  }

  @Test("--layer means the same with --method: the output layer is the default, an inner layer's channel as keras-vis")
  func layerTargets() throws {
    let folder = try ScratchFolder("layer")
    defer { folder.cleanUp() }
    let model = fixturePath("sequential_cnn.h5")
    let input = fixturePath("sequential_cnn.input.npy")
    // Naming the output layer (by name or as -1) is the default.
    let graph = try KerasModelFile.load(path: model)
    let outputName = graph.layers[graph.layers.count - 1].name
    for (name, arguments) in [("default", [String]()), ("named", ["--layer", outputName])] {
      let result = try kerasvis(
        ["cam", model, input, "--method", "gradcam", "--filter", "3", "--npy", folder.path("\(name).npy")] + arguments)
      #expect(result.status == 0, "\(result.error)")
    }
    #expect(try NPY.read(path: folder.path("default.npy")) == (try NPY.read(path: folder.path("named.npy"))))
    // Channel 5 of an inner convolution: vanilla saliency reads it as keras-vis's visualize_saliency does.
    let inner = try kerasvis([
      "saliency", model, input, "--method", "vanilla", "--layer", "renamed_conv", "--filter", "5", "--npy",
      folder.path("inner.npy"),
    ])
    #expect(inner.status == 0, "\(inner.error)")
    let maps = try NPY.read(path: folder.path("inner.npy"))
    let layer = try graph.resolveLayer("renamed_conv")[0]
    let explainer = Explainer(graph: graph)
    let batch = try NPY.read(path: input)
    for sample in 0..<batch.shape[0] {
      let seed = try batch.sample(sample)
      let expected = try explainer.visualizeSaliency(layerIdx: layer, filterIndices: [5], seedInput: seed)
      // The same gradient (up to keras-vis's objective's sign and scale), both maps scaled to 0...1: float32.
      expectAllClose(try maps.sample(sample).scalars, expected.scalars, rtol: 0, atol: 1e-5, "sample \(sample)")
    }
  }

  @Test("--output picks the explained output of a model with several, by index or layer name")
  func outputs() throws {
    let folder = try ScratchFolder("outputs")
    defer { folder.cleanUp() }
    let model = fixturePath("preprocessing_k2.h5")
    let input = fixturePath("preprocessing_k2.input.npy")
    let graph = try KerasModelFile.load(path: model)
    #expect(graph.outputs.count > 1)
    let explainer = Explainer(graph: graph)
    let batch = try NPY.read(path: input)
    for (index, name) in [(0, "head"), (1, "resize_nearest")] {
      for reference in ["\(index)", name] {
        let npy = folder.path("\(reference).npy")
        let result = try kerasvis([
          "saliency", model, input, "--method", "vanilla", "--output", reference, "--filter", "1", "--npy", npy,
        ])
        #expect(result.status == 0, "\(result.error)")
        let expected = try explainer.explain(
          ExplanationRequest(input: batch, targets: [.category(1, output: index)]), with: VanillaSaliency())
        // The same computation in the executable: float32 round-off only.
        expectAllClose(try NPY.read(path: npy), expected.maps, rtol: 0, atol: 1e-6, "--output \(reference)")
      }
    }
    let wrong = try kerasvis(["saliency", model, input, "--method", "vanilla", "--output", "nothing"])
    #expect(wrong.status == 64 && wrong.error.contains("--output nothing") && wrong.error.contains("head"))
    expectUsageError(["saliency", model, input, "--output", "head"], mentioning: "--output needs --method")
  }

  @Test("binary targets, and bad method arguments give usage errors")
  func errors() throws {
    let binary = try kerasvis([
      "cam", fixturePath("binary_cnn.h5", in: .methods), fixturePath("binary_cnn.input.npy", in: .methods), "--method",
      "gradcam",
      "--binary", "negative",
    ])
    #expect(binary.status == 0, "\(binary.error)")
    let model = fixturePath("sequential_cnn.h5")
    let input = fixturePath("sequential_cnn.input.npy")
    // Refused while the arguments are validated: checked in process.
    expectUsageError(
      ["cam", model, input, "--method", "smoothgrad"], mentioning: "'smoothgrad' is invalid", "gradcam++")
    expectUsageError(
      ["saliency", model, input, "--method", "gradcam"], mentioning: "'gradcam' is invalid", "smoothgrad")
    expectUsageError(["cam", model, input, "--method", "scorecam", "--max-n", "0"], mentioning: "--max-n")
    // Refused once the model is loaded: the executable's exit codes.
    let layer = try kerasvis(["cam", model, input, "--method", "gradcam", "--layer", "dense"])
    #expect(layer.status == 64)
    #expect(layer.error.contains("is not the model output") && layer.error.contains("--filter"))
    let dense = try kerasvis(["cam", model, input, "--method", "gradcam", "--penultimate", "dense"])
    #expect(dense.status == 1)
    #expect(dense.error.contains("layer 'dense' (index 8, Dense)"))
    let binaryOnSoftmax = try kerasvis(["cam", model, input, "--method", "gradcam", "--binary", "positive"])
    #expect(binaryOnSoftmax.status == 1)
    #expect(binaryOnSoftmax.error.contains("(N, 1)"))
  }
}

@Suite("kerasvis evaluate")
struct MethodEvaluateCommandTests {
  @Test("evaluate prints a table of metrics per method, or every value as JSON")
  func table() throws {
    let boxes = temporaryPath(".json")
    defer { try? FileManager.default.removeItem(atPath: boxes) }
    try Data(#"{"sequential_cnn.input.npy": {"boxes": [[10, 10, 40, 40]], "width": 56, "height": 56}}"#.utf8)
      .write(to: URL(fileURLWithPath: boxes))
    let model = fixturePath("sequential_cnn.h5")
    let input = fixturePath("sequential_cnn.input.npy")
    let result = try kerasvis([
      "evaluate", model, input, "--method", "gradcam", "layercam", "--boxes", boxes, "--metric", "pointing",
      "deletion", "road-combined",
    ])
    #expect(result.status == 0, "\(result.error)")
    let lines = result.output.split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines.first?.contains("pointing ↑") == true && lines.first?.contains("deletion ↓") == true)
    #expect(lines.dropFirst().first?.hasPrefix("gradcam ") == true)
    #expect(result.error.contains("layer 'average_pooling2d' (index 5, AveragePooling2D)"))
    let json = try kerasvis([
      "evaluate", model, input, "--method", "eigencam", "--metric", "confidence-drop", "insertion", "--json",
    ])
    #expect(json.status == 0, "\(json.error)")
    let parsed = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: [String: [Double]]]
    #expect(parsed?["eigencam"]?["insertion"]?.count == 2)
    #expect(parsed?["eigencam"]?["confidence-drop"]?.count == 2)
  }

  @Test("--boxes takes one box or a list of boxes per input, alone or under \"boxes\"")
  func singleBox() throws {
    let model = fixturePath("sequential_cnn.h5")
    let input = fixturePath("sequential_cnn.input.npy")
    var scores: [String] = []
    for entry in ["[10, 10, 40, 40]", "[[10, 10, 40, 40]]", #"{"boxes": [10, 10, 40, 40]}"#] {
      let boxes = temporaryPath(".json")
      defer { try? FileManager.default.removeItem(atPath: boxes) }
      try Data(#"{"sequential_cnn.input.npy": \#(entry)}"#.utf8).write(to: URL(fileURLWithPath: boxes))
      let result = try kerasvis([
        "evaluate", model, input, "--method", "gradcam", "--boxes", boxes, "--metric", "pointing", "--json",
      ])
      #expect(result.status == 0, "\(entry): \(result.error)")
      scores.append(result.output)
    }
    #expect(Set(scores).count == 1, "the three spellings give different scores: \(scores)")
    let bad = temporaryPath(".json")
    defer { try? FileManager.default.removeItem(atPath: bad) }
    try Data(#"{"sequential_cnn.input.npy": [40, 10, 10, 40]}"#.utf8).write(to: URL(fileURLWithPath: bad))
    let refused = try kerasvis([
      "evaluate", model, input, "--method", "gradcam", "--boxes", bad, "--metric", "pointing",
    ])
    #expect(refused.status != 0)
    #expect(refused.error.contains("got [40, 10, 10, 40]"), "\(refused.error)")
  }

  @Test("evaluate refuses unknown methods and metrics, pointing without boxes, and inputs without boxes")
  func errors() throws {
    let model = fixturePath("sequential_cnn.h5")
    let input = fixturePath("sequential_cnn.input.npy")
    // Refused while the arguments are validated: checked in process.
    expectUsageError(
      ["evaluate", model, input, "--method", "gradcam+++"], mentioning: "'gradcam+++' is invalid for '--method",
      "smoothgrad")
    expectUsageError(
      ["evaluate", model, input, "--method", "gradcam", "--metric", "accuracy"],
      mentioning: "'accuracy' is invalid for '--metric", "road-combined")
    expectUsageError(["evaluate", model, input, "--method", "gradcam", "--metric", "pointing"], mentioning: "--boxes")
    // Refused once the boxes are read: the executable's exit code.
    let boxes = temporaryPath(".json")
    defer { try? FileManager.default.removeItem(atPath: boxes) }
    try Data(#"{"other.png": [[0, 0, 4, 4]]}"#.utf8).write(to: URL(fileURLWithPath: boxes))
    let missing = try kerasvis([
      "evaluate", model, input, "--method", "gradcam", "--boxes", boxes, "--metric", "pointing",
    ])
    #expect(missing.status == 64)
    #expect(missing.error.contains("no entry for sequential_cnn.input.npy"))
  }
}

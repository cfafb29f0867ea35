import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasVisCLI

@Suite("kerasvis saliency --method occlusion, rise, lime, kernel-shap")
struct PerturbationCommandTests {
  // The map of Captum's occlusion attributions, normalize(max_c |a|): their 1.2e-5 relative agreement (see
  // PerturbationMethodTests) becomes at most 2.5e-5 on a map scaled by max - min; 1e-4 leaves room.
  @Test("saliency --method occlusion writes the map of Captum's occlusion")
  func occlusion() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    let result = try kerasvis([
      "saliency", fixturePath("sequential_cnn.h5"), fixturePath("sequential_cnn.input.npy"), "--method", "occlusion",
      "--window", "6x6x1", "--strides", "3x3", "--filter", "3", "--batch-size", "40", "--npy", npy,
    ])
    #expect(result.status == 0, "\(result.error)")
    let map = try NPY.read(path: npy)
    #expect(map.shape == [2, 28, 28])
    // Captum's attributions for classes [3, 7]: the first sample's target is class 3 here too.
    let attributions = try NPY.read(
      path: fixturePath("perturbation/sequential_cnn.occlusion_w1x6x6_s1x3x3_b0.0.npy", in: .methods))
    let magnitudes = try attributions.sample(0).scalars.map(abs)
    let (low, high) = (magnitudes.min() ?? 0, magnitudes.max() ?? 0)
    let expected = magnitudes.map { ($0 - low) / (high - low + 1e-7) }
    expectAllClose(try map.sample(0).scalars, expected, rtol: 0, atol: 1e-4, "the first sample's map")
  }

  // On the shipped sample: the fixture models' near-uniform softmax scores vary too little under perturbation for
  // LIME's Lasso (alpha 0.01) to keep any coefficient, which would leave an all-zero map.
  @Test("saliency --method rise, lime and kernel-shap write maps in 0...1")
  func otherMethods() throws {
    let npy = temporaryPath(".npy")
    defer { try? FileManager.default.removeItem(atPath: npy) }
    for arguments in [
      ["--method", "rise", "--masks", "24", "--grid-size", "4", "--keep-probability", "0.4", "--seed", "5"],
      ["--method", "lime", "--segments", "9", "--perturbations", "30", "--baseline", "0.5"],
      ["--method", "kernel-shap", "--segments", "9", "--perturbations", "30"],
      ["--method", "lime", "--superpixels", "slic", "--segments", "25", "--perturbations", "40"],
    ] {
      let result = try kerasvis(
        ["saliency", samplePath("shapes_cnn.h5"), samplePath("images/triangle_0.png")] + arguments + ["--npy", npy])
      #expect(result.status == 0, "\(arguments): \(result.error)")
      let map = try NPY.read(path: npy)
      #expect(map.shape == [64, 64], "\(arguments)")
      #expect((map.scalars.max() ?? 0) > 0.99 && (map.scalars.min() ?? 1) >= 0, "\(arguments)")
    }
  }

  @Test("the perturbation options parse into the method's settings, and bad ones are usage errors")
  func options() throws {
    let model = fixturePath("sequential_cnn.h5")
    let input = fixturePath("sequential_cnn.input.npy")
    let command = try parseCommand(
      SaliencyCommand.self,
      [
        "saliency", model, input, "--method", "occlusion", "--window", "5x7x2", "--strides", "2", "--masks", "9",
        "--grid-size", "3", "--keep-probability", "0.25", "--segments", "25", "--perturbations", "11",
      ])
    let options = MethodOptions(cam: nil, gradient: command.gradientMethod)
    #expect(options.window == PatchShape(height: 5, width: 7, channels: 2))
    #expect(options.strides == PatchShape(height: 2, width: 2))
    #expect(options.masks == 9 && options.gridSize == 3 && options.keepProbability == 0.25)
    #expect(options.segments == 25 && options.perturbationSamples == 11 && options.samples == 20)
    let defaults = MethodOptions(
      cam: nil, gradient: try parseCommand(SaliencyCommand.self, ["saliency", model, input]).gradientMethod)
    #expect(defaults.samples == 20 && defaults.perturbationSamples == 200 && defaults.slicCompactness == nil)
    let slic = try parseCommand(
      SaliencyCommand.self, ["saliency", model, input, "--superpixels", "slic", "--compactness", "0.5"])
    #expect(MethodOptions(cam: nil, gradient: slic.gradientMethod).slicCompactness == 0.5)
    expectUsageError(["saliency", model, input, "--method", "occlusion", "--window", "0x3"], mentioning: "--window")
    expectUsageError(["saliency", model, input, "--method", "occlusion", "--window", "3y3"], mentioning: "--window")
    expectUsageError(["saliency", model, input, "--method", "rise", "--keep-probability", "0"], mentioning: "--keep")
    expectUsageError(["saliency", model, input, "--method", "lime", "--segments", "0"], mentioning: "--segments")
    // Refused once the input's size is known: a window larger than the input.
    let large = try kerasvis(["saliency", model, input, "--method", "occlusion", "--window", "30x30"])
    #expect(large.status != 0)
    #expect(large.error.contains("exceeds the input"), "\(large.error)")
  }
}

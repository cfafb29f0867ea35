import Foundation
import KerasVis
import TestSupport
import Testing

@testable import KerasExplain

private func array(_ name: String) throws -> Tensor { try NPY.read(path: fixturePath(name)) }

/// The tiny Keras 3 ViT and the references of `tools/make_vit_explain_fixtures.py`.
private struct ViTReference {
  var explainer: Explainer
  var input: Tensor
  var classes: [Int]
  var camLayer: [Int]

  init() throws {
    let manifest = try JSONValue.parse(try Data(contentsOf: FixtureFolder.models.url("vit_explain.json")))
    explainer = Explainer(graph: try KerasModelFile.load(path: fixturePath("vit_k3.keras")))
    input = try array("vit_k3.input.npy")
    classes = manifest["classes"]?.array?.compactMap(\.int) ?? []
    camLayer = manifest["cam_layer"]?.array?.compactMap(\.int) ?? []
  }

  var targets: [ExplanationTarget] { classes.map { .category($0, score: .output) } }
}

@Suite("ViT explanations: attention rollout (vit-explain) and CAMs on token outputs (pytorch-grad-cam)")
struct ViTExplanationTests {
  // The attention probabilities differ from TensorFlow's by float32 rounding (1e-7); the rollout multiplies
  // two layers' matrices and divides by the maximum: 1e-5. A wrong fusion, discard, normalization axis or order moves
  // the maps by 1e-2 and more.
  @Test("attention rollout equals vit-explain's for every head fusion and two discard ratios")
  func rolloutEqualsVitExplain() throws {
    let reference = try ViTReference()
    for fusion in HeadFusion.allCases {
      for ratio in [0.9, 0.5] {
        let explanation = try reference.explainer.explain(
          ExplanationRequest(input: reference.input),
          with: AttentionRollout(headFusion: fusion, discardRatio: ratio))
        let expected = try array("vit_k3.rollout.\(fusion.rawValue)_\(ratio).npy")
        let low = try #require(explanation.lowResolutionMaps)
        #expect(low.shape == expected.shape)
        expectAllClose(low, expected, rtol: 0, atol: 1e-5, "rollout \(fusion) \(ratio)")
        #expect(explanation.maps.shape == [2, 16, 16])
      }
    }
  }

  // The gradients of the probabilities add TensorFlow's and kerasvis's backward rounding (1e-6 relative).
  @Test("gradient attention rollout equals vit-explain's")
  func gradientRolloutEqualsVitExplain() throws {
    let reference = try ViTReference()
    for ratio in [0.9, 0.5] {
      let explanation = try reference.explainer.explain(
        ExplanationRequest(input: reference.input, targets: reference.targets),
        with: GradientAttentionRollout(discardRatio: ratio))
      let expected = try array("vit_k3.grad_rollout.\(ratio).npy")
      let low = try #require(explanation.lowResolutionMaps)
      expectAllClose(low, expected, rtol: 0, atol: 1e-4, "gradient rollout \(ratio)")
    }
  }

  // As the other CAM references: float32 sums, then the min-max scaling: 1e-4.
  @Test("Grad-CAM on a token output equals pytorch-grad-cam's with vit_reshape_transform")
  func gradCAMOnTokensEqualsPytorchGradCAM() throws {
    let reference = try ViTReference()
    let explanation = try reference.explainer.explain(
      ExplanationRequest(input: reference.input, targets: reference.targets, layer: reference.camLayer),
      with: GradCAM())
    let expected = try array("vit_k3.ptgc.gradcam.npy")
    #expect(explanation.maps.shape == expected.shape)
    expectAllClose(explanation.maps, expected, rtol: 0, atol: 1e-4, "Grad-CAM on tokens")
    #expect(explanation.lowResolutionMaps?.shape == [2, 4, 4])
  }

  // As Grad-CAM's: float32 sums, then the min-max scaling: 1e-4.
  @Test("Ablation-CAM on a token output equals pytorch-grad-cam's with AblationLayerVit and vit_reshape_transform")
  func ablationCAMOnTokensEqualsPytorchGradCAM() throws {
    let reference = try ViTReference()
    let explanation = try reference.explainer.explain(
      ExplanationRequest(input: reference.input, targets: reference.targets, layer: reference.camLayer),
      with: AblationCAM())
    let expected = try array("vit_k3.ptgc.ablationcam.npy")
    #expect(explanation.maps.shape == expected.shape)
    expectAllClose(explanation.maps, expected, rtol: 0, atol: 1e-4, "Ablation-CAM on tokens")
  }

  // pytorch-grad-cam's AblationLayerVit on a (1, 2, 3) token output with minimum -3, three copies ablating
  // channels 0, 1, 2: -10000003, -20000004, -30000004 (Float32 steps of 1e7 below the batch's running minimum);
  // all 0 when the minimum is 0.
  @Test("Ablation-CAM's ablated values are pytorch-grad-cam's, each copy of a batch lowering the minimum by 1e7")
  func ablatedValuesCascade() {
    #expect(AblationCAM().ablatedValues(minimum: -3, count: 3) == [-10_000_003, -20_000_004, -30_000_004])
    #expect(AblationCAM().ablatedValues(minimum: 0, count: 3) == [0, 0, 0])
  }

  @Test("the automatic CAM layer of a ViT is the input of its last attention (pytorch-grad-cam's blocks[-1].norm1)")
  func automaticLayerIsLastAttentionInput() throws {
    let reference = try ViTReference()
    #expect(try reference.explainer.automaticCAMLayer() == reference.camLayer)
  }

  @Test("every CAM method explains the ViT through its automatic token layer, maps of the input's size in 0...1")
  func everyCAMMethodRuns() throws {
    let reference = try ViTReference()
    for name in MethodCatalog.camMethods + MethodCatalog.attentionMethods {
      let explanation = try reference.explainer.explain(
        ExplanationRequest(input: reference.input, targets: reference.targets),
        with: try MethodCatalog.method(named: name))
      let maps = explanation.maps
      #expect(maps.shape.prefix(3) == [2, 16, 16], "\(name)")
      if !name.hasPrefix("guided") {
        #expect(maps.scalars.allSatisfy { $0 >= 0 && $0 <= 1 + 1e-6 }, "\(name)")
      }
    }
  }

  @Test("the token grid drops the class token and keeps the patches in row-major order; other shapes stay")
  func tokenGridReshapes() throws {
    let tokens = try Tensor(shape: [1, 5, 2]) { Float($0) }
    let grid = try #require(try tokenGrid(tokens))
    #expect(grid.shape == [1, 2, 2, 2])
    #expect(grid.scalars == (2..<10).map(Float.init))
    #expect(try tokenGrid(try Tensor(shape: [1, 6, 2]) { Float($0) }) == nil)
  }

  @Test("attention rollout names the catalog's methods and refuses a model without attention")
  func catalogAndRefusal() throws {
    #expect(try MethodCatalog.method(named: "attention-rollout").name == "attention-rollout")
    #expect(try MethodCatalog.method(named: "gradient-rollout").name == "gradient-rollout")
    let cnn = Explainer(graph: try KerasModelFile.load(path: fixturePath("sequential_cnn.h5")))
    #expect(throws: KerasVisError.self) {
      try cnn.explain(
        ExplanationRequest(input: try Tensor(shape: [1, 28, 28, 1]) { _ in 0 }), with: AttentionRollout())
    }
  }
}

import Foundation
import KerasVis
import TestSupport
import Testing

@Suite("keras-vis's layer lookups and argument errors")
struct LayerSearchTests {
  let inception: Graph

  init() throws {
    inception = try KerasModelFile.load(path: fixturePath("inception_v3_narrow.h5"))
  }

  @Test("InceptionV3: the automatic penultimate layer is conv2d_94 (299); the paper's is mixed10 (310)")
  func inceptionPenultimate() throws {
    let predictions = try LayerSearch.findLayerIdx(inception, "predictions")
    #expect(predictions == 312)
    #expect(try LayerSearch.penultimateLayerIdx(inception, layerIdx: predictions) == 299)
    #expect(try LayerSearch.penultimateLayerIdx(inception, layerIdx: -1) == 299)
    #expect(try LayerSearch.lastFeatureMapIdx(inception, before: predictions) == 310)
    let candidates = try LayerSearch.camCandidates(inception, layerIdx: predictions)
    #expect(candidates.first { $0.isKerasVisChoice }?.name == "conv2d_94")
    #expect(candidates.first { $0.isPaperChoice }?.name == "mixed10")
    #expect(candidates.allSatisfy { $0.index < predictions })
  }

  @Test("keras-vis's quirk: the layer right before layer_idx is never the automatic choice")
  func quirk() throws {
    // conv2d_94 (299) is followed by its BatchNormalization (300): with layer_idx 300 the scan is layers[:299].
    #expect(try LayerSearch.penultimateLayerIdx(inception, layerIdx: 300) != 299)
    #expect(try LayerSearch.penultimateLayerIdx(inception, layerIdx: 301) == 299)
  }

  @Test("bad indices give errors naming the layer and the valid range")
  func errors() throws {
    let explainer = Explainer(graph: inception)
    let seed = try Tensor(zeros: [139, 139, 3])
    #expect(throws: KerasVisError.layerIndexOutOfRange(index: 313, count: 313)) {
      try explainer.visualizeSaliency(layerIdx: 313, filterIndices: [0], seedInput: seed)
    }
    do {
      _ = try explainer.visualizeCam(layerIdx: 312, filterIndices: [10], seedInput: seed, penultimateLayerIdx: 310)
      Issue.record("a filter index beyond the 10 classes must fail")
    } catch let error as KerasVisError {
      #expect(error.description.contains("0...9"))
      #expect(error.description.contains("predictions"))
    }
    #expect(throws: KerasVisError.self) {
      try explainer.visualizeCam(layerIdx: 299, filterIndices: [0], seedInput: seed, penultimateLayerIdx: 310)
    }
    #expect(throws: KerasVisError.self) {
      try explainer.visualizeSaliency(layerIdx: 312, filterIndices: [0], seedInput: try Tensor(zeros: [64, 64, 3]))
    }
    #expect(throws: LayerLookupError.self) { try LayerSearch.findLayerIdx(inception, "mixed11") }
  }

  @Test("swapping softmax to linear changes only that layer, without reloading")
  func linearSwap() throws {
    let swapped = try inception.replacingActivation(ofLayerAt: [312], with: .linear)
    #expect(swapped.activation(ofLayerAt: [312]) == .linear)
    #expect(inception.activation(ofLayerAt: [312]) == .softmax)
    let model = CompiledModel(graph: swapped)
    let input = try fixtureArray("inception_v3_narrow.input.npy")
    let logits = try model.predict([input])[0].scalars
    // Softmax of the logits is the original model's output.
    let expected = try fixtureArray("inception_v3_narrow.output_0.npy").scalars
    let largest = logits.max() ?? 0
    let exponentials = logits.map { exp($0 - largest) }
    let total = exponentials.reduce(0, +)
    expectAllClose(exponentials.map { $0 / total }, expected, rtol: 0, atol: 1e-5, "softmax of the logits")
  }
}

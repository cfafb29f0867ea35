import Foundation
import KerasVis
import TestSupport
import Testing

/// Token attributions at the Embedding output of `text_zoo_k2` (a Sequential Embedding(mask_zero) -> Bidirectional
/// LSTM -> GRU -> softmax; its stored inputs hold a full, a post-padded and a pre-padded sequence).
@Suite("Token attributions at the embedding output")
struct TokenAttributionTests {
  let graph: Graph
  let tokens: Tensor
  /// The Embedding layer's index and output key.
  let embedding: Int
  let key: LayerOutputKey

  init() throws {
    graph = try KerasModelFile.load(path: fixturePath("text_zoo_k2.h5"))
    tokens = try fixtureInputs("text_zoo_k2")[0]
    embedding = try #require(graph.layerIndex(named: "embedding"))
    key = LayerOutputKey(address: [embedding])
  }

  @Test("a model run from substituted embeddings equals the model; padded steps still masked")
  func substitutionKeepsMasks() throws {
    let model = CompiledModel(graph: graph, keeping: [key], substituting: [key])
    let embedded = try CompiledModel(graph: graph, keeping: [key]).run([tokens]).layer([embedding])
    // Same embeddings: Keras's outputs, within the forward suite's tolerance.
    let outputs = try model.predict([tokens, embedded])
    expectAllClose(outputs[0], try fixtureOutputs("text_zoo_k2")[0], rtol: 1e-4, atol: 1e-5, "substituted run")
    // Changing the embeddings of padded steps (ids 0) changes nothing: the mask comes from the tokens.
    let ids = tokens.scalars
    let width = embedded.shape[2]
    let moved = try Tensor(shape: embedded.shape) { i in
      ids[i / width] == 0 ? embedded.scalars[i] + 3 : embedded.scalars[i]
    }
    #expect(try model.predict([tokens, moved])[0].scalars == outputs[0].scalars)
  }

  @Test("Input x Gradient is e * dS/de per dimension, summed per token; padding gets nothing")
  func inputTimesGradient() throws {
    let explainer = Explainer(graph: graph)
    let result = try explainer.tokenAttributions(
      tokens: tokens, method: .inputXGradient, targets: [.category(2)])
    #expect(result.tokens.shape == [3, 6])
    #expect(result.embeddings.shape == [3, 6, 5])
    let model = CompiledModel(graph: graph, keeping: [key], gradients: true)
    let (forward, gradients) = try model.gradients([tokens], targets: [.layer(key)]) { forward in
      let probabilities = forward.outputs[0]
      var seed = [Float](repeating: 0, count: probabilities.count)
      for sample in 0..<3 { seed[sample * 3 + 2] = 1 }
      return [.output(0): try Tensor(shape: probabilities.shape, values: seed)]
    }
    let e = try forward.layer([embedding]).scalars
    let g = gradients[0].scalars
    // The same graph and arithmetic: equal up to the order of float sums.
    expectAllClose(
      result.embeddings, try Tensor(shape: gradients[0].shape) { e[$0] * g[$0] }, rtol: 1e-5, atol: 1e-7,
      "e * dS/de")
    for (position, id) in tokens.scalars.enumerated() where id == 0 {
      #expect(result.tokens.scalars[position] == 0, "padding token at \(position)")
    }
    #expect(result.tokens.scalars.contains { $0 != 0 })
  }

  @Test("Integrated Gradients' token attributions sum to S(e) - S(baseline)")
  func integratedGradientsComplete() throws {
    let explainer = Explainer(graph: graph)
    let integrated = IntegratedGradients(steps: 64, baseline: .constant(0), rule: .gaussLegendre)
    let result = try explainer.tokenAttributions(
      tokens: tokens, method: .integratedGradients(integrated), targets: [.category(0)])
    let model = CompiledModel(graph: graph, keeping: [key], substituting: [key])
    let embedded = try model.run([tokens, try Tensor(zeros: [3, 6, 5])])
    let atBaseline = embedded.outputs[0].scalars
    let atInput = try CompiledModel(graph: graph).predict([tokens])[0].scalars
    for sample in 0..<3 {
      let total = result.tokens.scalars[(sample * 6)..<((sample + 1) * 6)].reduce(0, +)
      let expected = atInput[sample * 3] - atBaseline[sample * 3]
      // 64 Gauss-Legendre points integrate this smooth path to well below float32 noise in the gradients.
      #expect(abs(total - expected) <= 1e-4 + 1e-3 * abs(expected), "sample \(sample): \(total) vs \(expected)")
    }
    #expect(result.scores.count == 3)
  }

  @Test("saliency is |dS/de|; a model without Embedding is refused")
  func saliencyAndRefusal() throws {
    let explainer = Explainer(graph: graph)
    let result = try explainer.tokenAttributions(tokens: tokens, method: .saliency)
    #expect(result.embeddings.scalars.allSatisfy { $0 >= 0 })
    #expect(result.targets.count == 3)
    let image = Explainer(graph: try KerasModelFile.load(path: fixturePath("sequential_cnn.h5")))
    #expect(throws: KerasVisError.self) { try image.tokenAttributions(tokens: tokens) }
  }

  @Test("an input-gradient method on token ids is refused, pointing at the embedding output")
  func inputGradientRefused() throws {
    let explainer = Explainer(graph: graph)
    do {
      _ = try explainer.explain(ExplanationRequest(input: tokens), with: VanillaSaliency())
      Issue.record("saliency with respect to token ids ran")
    } catch let error as TensorError {
      #expect("\(error)".contains("tokenAttributions"))
    }
  }
}

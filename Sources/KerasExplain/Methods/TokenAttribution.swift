import Foundation
import KerasGraph
import KerasRuntime

/// Attributions of a text model's score to its tokens, computed at the output of an Embedding layer (token ids
/// have no gradient): `embeddings` `(N, T, D)` per embedding dimension, `tokens` `(N, T)` per token.
public struct TokenAttributions: Sendable {
  /// Per token: the sum over the embedding dimensions (Input x Gradient, Integrated Gradients), or the largest
  /// `|dS/de|` (saliency).
  public var tokens: Tensor
  /// Per embedding dimension, `(N, T, D)`.
  public var embeddings: Tensor
  /// The target of every sample (the top class where none was given).
  public var targets: [ExplanationTarget]
  /// The score of every sample's target at the real embeddings.
  public var scores: [Float]
}

/// How `Explainer.tokenAttributions` attributes at the embedding output `e`.
public enum TokenAttributionMethod: Sendable {
  /// Saliency (Simonyan et al., arXiv 1312.6034): `|dS/de|`; per token its largest value.
  case saliency
  /// Input x Gradient (Shrikumar et al., arXiv 1605.01713): `e * dS/de`; per token the sum over dimensions.
  case inputXGradient
  /// Integrated Gradients (Sundararajan et al., arXiv 1703.01365) from the baseline embedding `e'` (the
  /// method's `baseline`: a constant, or a tensor `(T, D)` or `(N, T, D)`) along the straight path, with its
  /// quadrature; per token the sum over dimensions (which sums to `S(e) - S(e')`). Masks stay those of the real
  /// tokens along the whole path.
  case integratedGradients(IntegratedGradients)
}

extension Explainer {
  /// The index (in `model.layers`) of the first Embedding layer, or nil.
  public var firstEmbeddingLayer: Int? { graph.layers.firstIndex { $0.kind is Embedding } }

  /// Attributes the score of `targets` (nil: each sample's top class, read as the output) to the tokens of
  /// `tokens` `(N, T)` (integer ids as floats, or one sample `(T)`) at the output of the Embedding layer
  /// `embeddingLayer` (nil: the first one): the model is run with that layer's output replaced by the values the
  /// method asks for, so the masks (`mask_zero`) still come from the tokens.
  /// - Throws: `KerasVisError` for a model without an Embedding, a bad target or baseline; `TensorError` for ids
  ///   outside the vocabulary.
  public func tokenAttributions(
    tokens: Tensor, embeddingLayer: Int? = nil, method: TokenAttributionMethod = .inputXGradient,
    targets: [ExplanationTarget]? = nil
  ) throws -> TokenAttributions {
    guard let layerIndex = embeddingLayer ?? firstEmbeddingLayer else {
      throw KerasVisError.invalidArgument("model '\(graph.name)' has no Embedding layer to attribute tokens at")
    }
    guard graph.layers.indices.contains(layerIndex) else {
      throw KerasVisError.invalidArgument("no layer \(layerIndex) in model '\(graph.name)'")
    }
    let batch = try batched(tokens)
    let count = batch.shape[0]
    let expanded = try expandedTargets(targets, count: count)
    let (reading, source) = try outputReading(for: expanded ?? [.category(0)])
    guard case .output(let outputIndex) = source else {
      throw KerasVisError.invalidArgument(
        "token attributions explain a model output; a target reading a layer's output is not supported here")
    }
    let key = LayerOutputKey(address: [layerIndex])
    let location = outputLocation(outputIndex)
    let modelKey = "tokens:\(layerIndex):\(reading.linearLayer.map { "\($0)" } ?? "-")"
    let model = try cachedModel(key: modelKey) {
      var target = graph
      if let linear = reading.linearLayer { target = try target.replacingActivation(ofLayerAt: linear, with: .linear) }
      return CompiledModel(
        graph: target, keeping: [key], gradients: true, inputGradients: true, precision: precision,
        substituting: [key])
    }
    // The real embeddings (the substituted input is read back from the layer as the model computes it).
    let reference = try cachedModel(key: "token-embeddings:\(layerIndex)") {
      CompiledModel(graph: graph, keeping: [key], precision: precision)
    }
    let embedded = try reference.run([batch]).layer([layerIndex])
    var resolved: [ExplanationTarget] = []

    /// Scores and `dS/de` at the embeddings `e`, for the (resolved) targets.
    func pass(_ e: Tensor) throws -> (scores: [Float], gradients: Tensor) {
      var scores: [Float] = []
      let (_, gradients) = try model.gradients([batch, e], targets: [.input(graph.inputs.count)]) { forward in
        let output = forward.outputs[outputIndex]
        var seeds: [Tensor] = []
        for sample in 0..<count {
          let raw = try output.sample(sample).reshaped(Array(output.shape.dropFirst()))
          let read = reading.appliesSoftmax ? try squashed(raw) : raw
          if resolved.count < count {
            resolved.append(expanded?[sample] ?? .category(topIndex(read), output: outputIndex))
          }
          var (value, seed) = try resolved[sample].evaluate(read, layer: location)
          if reading.appliesSoftmax { seed = try unsquashedGradient(seed, probabilities: read) }
          scores.append(value)
          seeds.append(try seed.reshaped([1] + seed.shape))
        }
        return [.output(outputIndex): try Tensor.concatenatingBatches(seeds)]
      }
      return (scores, gradients[0])
    }

    let e = embedded.scalars
    let (scores, gradients) = try pass(embedded)
    var attributions: [Float]
    switch method {
    case .saliency:
      attributions = gradients.scalars.map(abs)
    case .inputXGradient:
      let g = gradients.scalars
      attributions = e.indices.map { e[$0] * g[$0] }
    case .integratedGradients(let integrated):
      let baseline: [Float]
      switch integrated.baseline {
      case .constant(let value): baseline = [Float](repeating: value, count: e.count)
      case .tensor(let given):
        if given.count == e.count {
          baseline = given.scalars
        } else if given.count * count == e.count {
          baseline = Array((0..<count).map { _ in given.scalars }.joined())
        } else {
          throw KerasVisError.invalidArgument(
            "the baseline of shape \(given.shape) fits neither one sample nor the batch of embeddings \(embedded.shape)"
          )
        }
      }
      let (alphas, weights) = try integrated.quadrature()
      var total = [Float](repeating: 0, count: e.count)
      for (alpha, weight) in zip(alphas, weights) {
        let point = try Tensor(shape: embedded.shape) { baseline[$0] + Float(alpha) * (e[$0] - baseline[$0]) }
        let g = try pass(point).gradients.scalars
        for i in total.indices { total[i] += Float(weight) * g[i] }
      }
      attributions = total.indices.map { (e[$0] - baseline[$0]) * total[$0] }
    }
    let width = embedded.shape.last ?? 1
    let perToken = stride(from: 0, to: attributions.count, by: width).map { start -> Float in
      let slice = attributions[start..<(start + width)]
      if case .saliency = method { return slice.max() ?? 0 }
      return slice.reduce(0, +)
    }
    return TokenAttributions(
      tokens: try Tensor(shape: Array(embedded.shape.dropLast()), values: perToken),
      embeddings: try Tensor(shape: embedded.shape, values: attributions), targets: resolved, scores: scores)
  }
}

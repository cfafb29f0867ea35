import KerasGraph
import KerasRuntime

/// How attention rollout fuses a layer's heads.
public enum HeadFusion: String, Sendable, CaseIterable {
  case mean, max, min
}

/// Attention rollout (Abnar & Zuidema 2020, arXiv 2005.00928) as jacobgil/vit-explain's `vit_rollout.py`
/// computes it, for a ViT whose MultiHeadAttention layers attend over a class token followed by a square grid of
/// patch tokens. For each attention layer in call order, per sample: the probabilities `(heads, T, T)` are fused
/// over the heads (`headFusion`); the `int(T^2 discardRatio)` smallest entries of the fused `(T, T)` matrix are set
/// to 0, except entry `[0, 0]`; `a = (A + I) / 2`; and `result = a' result` (from the identity). The map is
/// `result[0, 1...]` as a square grid divided by its maximum, resized to the input with OpenCV's bilinear resize
/// (vit-explain's `show_mask_on_image`).
///
/// vit-explain's quirks are kept: `a / a.sum(dim=-1)` on the `(1, T, T)` batch divides entry `[i, j]` by the sum
/// of row `j` (not row `i`), so `a'` is not row-stochastic; ties among the smallest entries are broken by index
/// (torch's `topk` leaves that order unspecified). vit-explain runs one image at a time: kerasvis runs every sample
/// of the batch as vit-explain runs a batch of one.
public struct AttentionRollout: ExplanationMethod {
  public var headFusion: HeadFusion
  /// The fraction of the smallest fused attentions dropped in each layer (vit-explain's default 0.9).
  public var discardRatio: Double

  public var name: String { "attention-rollout" }
  public var usesLayer: Bool { false }

  public init(headFusion: HeadFusion = .mean, discardRatio: Double = 0.9) {
    self.headFusion = headFusion
    self.discardRatio = discardRatio
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.attentionRollout(request, gradient: false, headFusion: headFusion, discardRatio: discardRatio)
  }
}

/// Gradient attention rollout as jacobgil/vit-explain's `vit_grad_rollout.py` computes it: as `AttentionRollout`,
/// but each layer's heads are fused as `mean_heads(A * dS/dA)` with negative values set to 0 (`S` the target's
/// score, vit-explain's `(output * category_mask).sum()`), and the smallest entries are dropped including entry
/// `[0, 0]` (vit-explain comments that exception out). The same quirks as `AttentionRollout`.
public struct GradientAttentionRollout: ExplanationMethod {
  /// The fraction of the smallest fused attentions dropped in each layer (vit-explain's default 0.9).
  public var discardRatio: Double

  public var name: String { "gradient-rollout" }
  public var usesLayer: Bool { false }

  public init(discardRatio: Double = 0.9) {
    self.discardRatio = discardRatio
  }

  public func explain(_ request: ExplanationRequest, with explainer: Explainer) throws -> Explanation {
    try explainer.attentionRollout(request, gradient: true, headFusion: .mean, discardRatio: discardRatio)
  }
}

extension Explainer {
  /// The attention probabilities of every top-level MultiHeadAttention (and, with `gradient`, their gradients
  /// for the request's targets), then vit-explain's rollout per sample.
  func attentionRollout(
    _ request: ExplanationRequest, gradient: Bool, headFusion: HeadFusion, discardRatio: Double
  ) throws -> Explanation {
    let batch = try batched(request.input)
    let count = batch.shape[0]
    let expanded = try expandedTargets(request.targets, count: count)
    let (reading, source) = try outputReading(for: expanded ?? [.category(0, score: request.defaultScore)])
    guard case .output(let outputIndex) = source else {
      throw KerasVisError.invalidArgument("attention rollout explains a model output, not a layer's")
    }
    var target = graph
    if let linear = reading.linearLayer { target = try target.replacingActivation(ofLayerAt: linear, with: .linear) }
    let (exposed, layers) = try target.exposingAttentionScores()
    guard !layers.isEmpty else {
      throw KerasVisError.invalidArgument(
        "attention rollout needs MultiHeadAttention layers; model '\(graph.name)' has none")
    }
    let keys = layers.map { LayerOutputKey(address: [$0], tensor: 1) }
    let modelKey =
      "rollout:\(gradient):\(reading.linearLayer.map { "\($0)" } ?? "-")"
    let model = try cachedModel(key: modelKey) {
      CompiledModel(
        graph: exposed, keeping: keys, gradients: gradient, inputGradients: false, precision: precision)
    }
    let location = outputLocation(outputIndex)
    var resolved: [ExplanationTarget] = []
    var scores: [Float] = []
    func seeds(_ forward: ForwardResult) throws -> Tensor {
      let output = forward.outputs[outputIndex]
      var seeds: [Tensor] = []
      for sample in 0..<count {
        let raw = try output.sample(sample).reshaped(Array(output.shape.dropFirst()))
        let read = reading.appliesSoftmax ? try squashed(raw) : raw
        let sampleTarget =
          expanded?[sample] ?? .category(topIndex(read), score: request.defaultScore, output: outputIndex)
        var (value, seed) = try sampleTarget.evaluate(read, layer: location)
        if reading.appliesSoftmax { seed = try unsquashedGradient(seed, probabilities: read) }
        resolved.append(sampleTarget)
        scores.append(value)
        seeds.append(try seed.reshaped([1] + seed.shape))
      }
      return try Tensor.concatenatingBatches(seeds)
    }
    var attentions: [Tensor] = []
    var gradients: [Tensor] = []
    if gradient {
      let (forward, result) = try model.gradients([batch], targets: keys.map { .layer($0) }) { forward in
        [.output(outputIndex): try seeds(forward)]
      }
      attentions = try keys.map { try forward.layer($0.address, tensor: 1) }
      gradients = result
    } else {
      let forward = try model.run([batch])
      _ = try seeds(forward)
      attentions = try keys.map { try forward.layer($0.address, tensor: 1) }
    }
    for (position, attention) in attentions.enumerated() {
      let shape = attention.shape
      guard shape.count == 4, shape[2] == shape[3], shape[2] >= 2,
        Self.squareSide(shape[2] - 1) != nil, shape[2] == attentions[0].shape[2]
      else {
        throw KerasVisError.unsuitableLayer(
          layer: try layerLocation([layers[position]]),
          detail:
            "attention rollout needs self-attention over a class token and a square grid of patches, (N, heads, 1 + s^2, 1 + s^2); its probabilities are \(shape)"
        )
      }
    }
    let tokens = attentions[0].shape[2]
    let side = Self.squareSide(tokens - 1) ?? 1
    let inputSpatial = Array(batch.shape.dropFirst().dropLast())
    guard inputSpatial.count == 2 else {
      throw KerasVisError.invalidArgument("attention rollout draws maps over images, (N, H, W, C) inputs")
    }
    var low: [Float] = []
    var maps: [Float] = []
    for sample in 0..<count {
      var result = Self.identity(tokens)
      for (position, attention) in attentions.enumerated() {
        let heads = attention.shape[1]
        let a = try attention.sample(sample).scalars
        var fused = [Float](repeating: 0, count: tokens * tokens)
        if gradient {
          let g = try gradients[position].sample(sample).scalars
          for i in fused.indices {
            var total: Float = 0
            for h in 0..<heads { total += a[h * tokens * tokens + i] * g[h * tokens * tokens + i] }
            fused[i] = max(total / Float(heads), 0)
          }
        } else {
          for i in fused.indices {
            var values = (0..<heads).map { a[$0 * tokens * tokens + i] }
            switch headFusion {
            case .mean: fused[i] = values.reduce(0, +) / Float(heads)
            case .max: fused[i] = values.max() ?? 0
            case .min:
              values.sort()
              fused[i] = values.first ?? 0
            }
          }
        }
        let dropped = Int(Double(tokens * tokens) * discardRatio)
        let smallest = fused.indices.sorted { fused[$0] < fused[$1] || (fused[$0] == fused[$1] && $0 < $1) }
        for index in smallest.prefix(dropped) where gradient || index != 0 { fused[index] = 0 }
        var averaged = fused
        for i in 0..<tokens { averaged[i * tokens + i] += 1 }
        for i in averaged.indices { averaged[i] /= 2 }
        let rowSums = (0..<tokens).map { row in (0..<tokens).reduce(Float(0)) { $0 + averaged[row * tokens + $1] } }
        for i in 0..<tokens {
          for j in 0..<tokens { averaged[i * tokens + j] /= rowSums[j] }
        }
        result = Self.product(averaged, result, size: tokens)
      }
      var mask = Array(result[1..<tokens])
      let largest = mask.max() ?? 1
      mask = mask.map { $0 / largest }
      low += mask
      maps += openCVLinearResize(mask, height: side, width: side, toHeight: inputSpatial[0], toWidth: inputSpatial[1])
    }
    return Explanation(
      maps: try Tensor(shape: [count] + inputSpatial, values: maps),
      lowResolutionMaps: try Tensor(shape: [count, side, side], values: low), targets: resolved, scores: scores)
  }

  /// `s` with `s * s == count`, or nil.
  static func squareSide(_ count: Int) -> Int? {
    guard count > 0 else { return nil }
    var side = Int(Double(count).squareRoot())
    while side * side > count { side -= 1 }
    while (side + 1) * (side + 1) <= count { side += 1 }
    return side * side == count ? side : nil
  }

  private static func identity(_ size: Int) -> [Float] {
    var values = [Float](repeating: 0, count: size * size)
    for i in 0..<size { values[i * size + i] = 1 }
    return values
  }

  /// `a b` for row-major `(size, size)` matrices.
  private static func product(_ a: [Float], _ b: [Float], size: Int) -> [Float] {
    var c = [Float](repeating: 0, count: size * size)
    for i in 0..<size {
      for k in 0..<size {
        let factor = a[i * size + k]
        for j in 0..<size { c[i * size + j] += factor * b[k * size + j] }
      }
    }
    return c
  }
}

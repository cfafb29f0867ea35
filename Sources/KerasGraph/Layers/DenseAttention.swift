/// Keras's dot-product and additive attention over `(N, T, dim)` queries and `(N, S, dim)` values (keys default
/// to the values): `softmax(scores) @ value` with the softmax over the value steps, causal positions (with
/// `use_causal_mask`) lowered by 1e9 as Keras does. Scores:
/// - `Attention`, `score_mode="dot"` (Luong et al. 2015, arXiv 1508.04025): `q k^T`, times the `scale` weight with
///   `use_scale`;
/// - `Attention`, `score_mode="concat"`: `w * sum(tanh(scale * (q + k)), -1)` (`w` the `concat_score_weight`,
///   `scale` 1 without `use_scale`);
/// - `AdditiveAttention` (Bahdanau et al. 2014, arXiv 1409.0473): `sum(scale * tanh(q + k), -1)`, `scale` a
///   weight of size `dim` with `use_scale`.
///
/// Inputs: query, value, key (optional). Outputs: `(N, T, dim)`, then the attention probabilities `(N, T, S)`
/// with `return_attention_scores`.
public struct DenseAttention: LayerKind, Equatable {
  public static let kerasClassNames = ["Attention", "AdditiveAttention"]
  public static let operationNames = ["attention", "additive_attention"]

  /// How the scores are computed.
  public enum Score: String, Sendable {
    case dot, concat, additive
  }

  public var score: Score
  public var useScale: Bool
  public var useCausalMask: Bool
  public var returnAttentionScores: Bool

  public init(score: Score, useScale: Bool, useCausalMask: Bool = false, returnAttentionScores: Bool = false) {
    self.score = score
    self.useScale = useScale
    self.useCausalMask = useCausalMask
    self.returnAttentionScores = returnAttentionScores
  }

  enum CodingKeys: String, CodingKey {
    case scoreMode = "score_mode"
    case useScale = "use_scale"
    case causal
    case useCausalMask = "use_causal_mask"
    case returnAttentionScores = "return_attention_scores"
  }

  public init(config: JSONValue, name: String, context: LayerDecodingContext) throws {
    self = try context.decoder.decode(DenseAttention.self, from: config)
    if name == "AdditiveAttention" || name == "additive_attention" { score = .additive }
    let arguments = context.arguments
    if arguments["use_causal_mask"]?.bool == true { useCausalMask = true }
    if arguments["return_attention_scores"]?.bool == true { returnAttentionScores = true }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let mode = try container.string(.scoreMode, default: "dot")
    guard let score = Score(rawValue: mode) else {
      throw container.failure(.scoreMode, "expected 'dot' or 'concat', found '\(mode)'")
    }
    self.score = score
    useScale = try container.bool(.useScale, default: false)
    useCausalMask =
      try container.bool(.useCausalMask, default: false) || container.bool(.causal, default: false)
    returnAttentionScores = try container.bool(.returnAttentionScores, default: false)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    if score != .additive { try container.encode(score.rawValue, forKey: .scoreMode) }
    try container.encode(useScale, forKey: .useScale)
    try container.encode(useCausalMask, forKey: .useCausalMask)
    try container.encode(returnAttentionScores, forKey: .returnAttentionScores)
  }

  public var operationName: String { score == .additive ? "additive_attention" : "attention" }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    guard inputs.count == 2 || inputs.count == 3 else {
      throw ShapeProblem(detail: "attention needs a query, a value and optionally a key, got \(inputs.count) inputs")
    }
    let query = inputs[0]
    let value = inputs[1]
    let key = inputs.count == 3 ? inputs[2] : value
    guard query.rank == 3, value.rank == 3, key.rank == 3,
      key.dimensions[1] == value.dimensions[1] || key.dimensions[1] == nil || value.dimensions[1] == nil
    else {
      throw ShapeProblem(detail: "attention inputs \(inputs.map(\.description)) are not (N, T, dim) tensors that fit")
    }
    if score != .dot, query.last != key.last {
      throw ShapeProblem(detail: "\(score) attention needs the query and key sizes to agree, got \(query) and \(key)")
    }
    let output = TensorShape([query.dimensions[0], query.dimensions[1], value.last])
    let probabilities = TensorShape([query.dimensions[0], query.dimensions[1], value.dimensions[1]])
    return [output] + (returnAttentionScores ? [probabilities] : [])
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    switch score {
    case .dot: return useScale ? [WeightSpecification(name: "scale", shape: [])] : []
    case .concat:
      return (useScale ? [WeightSpecification(name: "scale", shape: [])] : [])
        + [WeightSpecification(name: "concat_score_weight", shape: [])]
    case .additive:
      return useScale ? [WeightSpecification(name: "scale", shape: [try channelCount(inputs[0])])] : []
    }
  }
}

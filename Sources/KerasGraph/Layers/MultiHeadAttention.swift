/// MultiHeadAttention (Vaswani et al. 2017, arXiv 1706.03762) as Keras builds it: the query, key and value
/// projections are EinsumDense layers to `(N, ..., heads, key_dim)` (`value_dim` for the value), the scores
/// `einsum(key, query / sqrt(key_dim))` over `attention_axes` have the shape `(N, <other axes>, heads, <query
/// attention axes>, <key attention axes>)`, a softmax over the key attention axes (masked by `attention_mask`
/// and the causal mask, AND-ed) weights the values, and an EinsumDense projects `(heads, value_dim)` to
/// `output_shape` (the query's last size by default). Dropout is off at inference.
///
/// Inputs: query, value, key (optional) and `attention_mask` `(N, T, S)` (optional), in the call's order
/// (`inputRoles`).
/// Outputs: the attention output, then (with `return_attention_scores`) the softmax probabilities.
/// Weights (Keras's order): `query/kernel` `(C_q, heads, key_dim)`, `query/bias` `(heads, key_dim)`, the same for
/// `key` and `value`, `attention_output/kernel` `(heads, value_dim, output...)`, `attention_output/bias`.
public struct MultiHeadAttention: LayerKind, Equatable, ArchiveVariableGroups {
  public static let kerasClassNames = ["MultiHeadAttention"]
  public static let operationNames = ["multi_head_attention"]

  public var numHeads: Int
  public var keyDim: Int
  public var valueDim: Int
  public var useBias: Bool
  /// The output's sizes after the query's attention axes (nil: the query's last size).
  public var outputShape: [Int]?
  /// The attended axes as written (nil: every axis between the batch and the last).
  public var attentionAxes: [Int]?
  /// Whether the call passes `use_causal_mask=True`.
  public var useCausalMask: Bool
  /// Whether the call passes `return_attention_scores=True` (a second output).
  public var returnAttentionScores: Bool
  /// What each input is, in the order of the layer's inputs: `query`, `value`, `key` (optional),
  /// `attention_mask` (optional). Positional arguments come first, then keyword ones (`keywordInputOrder`).
  public var inputRoles: [String]
  /// Whether the probabilities are a second output although the call does not return them (a tap for attention
  /// rollout, `Graph.exposingAttentionScores()`); the computation is unchanged.
  public var exposesAttentionScores = false
  /// The dropout rate (off at inference; Keras 3 takes its fused attention only without it).
  public var dropout: Float
  /// Keras 3's masked softmax (`where(mask, x, -1e9)`, then zeroing fully masked rows unless the fused attention
  /// runs) rather than tf-keras's (`x + (1 - mask) * -1e9`).
  public var zeroesMaskedScores: Bool

  /// Whether Keras 3 runs this call as its fused `dot_product_attention` (no dropout, no returned scores, a
  /// rank-3 query), whose masked softmax does not zero fully masked rows.
  public func usesFusedAttention(queryRank: Int) -> Bool {
    zeroesMaskedScores && dropout == 0 && !returnAttentionScores && queryRank == 3
  }

  public init(
    numHeads: Int, keyDim: Int, valueDim: Int? = nil, useBias: Bool = true, outputShape: [Int]? = nil,
    attentionAxes: [Int]? = nil, useCausalMask: Bool = false, returnAttentionScores: Bool = false,
    inputRoles: [String] = ["query", "value"], dropout: Float = 0, zeroesMaskedScores: Bool = true
  ) {
    self.numHeads = numHeads
    self.keyDim = keyDim
    self.valueDim = valueDim ?? keyDim
    self.useBias = useBias
    self.outputShape = outputShape
    self.attentionAxes = attentionAxes
    self.useCausalMask = useCausalMask
    self.returnAttentionScores = returnAttentionScores
    self.inputRoles = inputRoles
    self.dropout = dropout
    self.zeroesMaskedScores = zeroesMaskedScores
  }

  enum CodingKeys: String, CodingKey {
    case numHeads = "num_heads"
    case keyDim = "key_dim"
    case valueDim = "value_dim"
    case useBias = "use_bias"
    case outputShape = "output_shape"
    case attentionAxes = "attention_axes"
    case useCausalMask = "use_causal_mask"
    case returnAttentionScores = "return_attention_scores"
    case inputRoles = "input_roles"
    case dropout
    case exposesAttentionScores = "exposes_attention_scores"
    case zeroesMaskedScores = "zeroes_masked_scores"
    case useGate = "use_gate"
    case slidingWindow = "sliding_window"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let context = decoder.layerContext
    numHeads = try container.positiveInt(.numHeads)
    keyDim = try container.positiveInt(.keyDim)
    valueDim = try container.value(.valueDim) == nil ? keyDim : try container.positiveInt(.valueDim)
    useBias = try container.bool(.useBias, default: true)
    dropout = try container.float(.dropout, default: 0)
    exposesAttentionScores = try container.bool(.exposesAttentionScores, default: false)
    outputShape = try container.value(.outputShape) == nil ? nil : try container.intList(.outputShape)
    attentionAxes = try container.value(.attentionAxes) == nil ? nil : try container.intList(.attentionAxes)
    if try container.bool(.useGate, default: false) {
      throw container.failure(.useGate, "gated attention (use_gate=True) is not supported")
    }
    if try container.value(.slidingWindow) != nil {
      throw container.failure(.slidingWindow, "sliding-window attention is not supported")
    }
    let arguments = context?.arguments ?? .object([:])
    func flag(_ key: CodingKeys, _ argument: String) throws -> Bool {
      if container.contains(key) { return try container.bool(key, default: false) }
      return arguments[argument]?.bool ?? false
    }
    useCausalMask = try flag(.useCausalMask, "use_causal_mask")
    returnAttentionScores = try flag(.returnAttentionScores, "return_attention_scores")
    if container.contains(.inputRoles) {
      inputRoles = try container.decode([String].self, forKey: .inputRoles)
    } else {
      // The keyword tensors the call names, in the readers' order; the rest were positional.
      let major = context?.source == .keras(major: 2) ? 2 : 3
      let keywords = MultiHeadAttention.keywordInputOrder(kerasMajorVersion: major).filter { name in
        guard let argument = arguments[name] else { return false }
        return !argument.isNull && argument.bool == nil
      }
      let positional = max((context?.inputShapes.count ?? 2) - keywords.count, 0)
      inputRoles = Array(["query", "value", "key", "attention_mask"].prefix(positional)) + keywords
    }
    let roles = Set(inputRoles)
    guard roles.count == inputRoles.count, roles.contains("query"), roles.contains("value"),
      roles.isSubset(of: ["query", "value", "key", "attention_mask"])
    else {
      throw container.failure(.inputRoles, "the inputs \(inputRoles) are not a query, a value, a key and a mask")
    }
    zeroesMaskedScores = try container.bool(
      .zeroesMaskedScores, default: context?.source != .keras(major: 2))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(numHeads, forKey: .numHeads)
    try container.encode(keyDim, forKey: .keyDim)
    try container.encode(valueDim, forKey: .valueDim)
    try container.encode(useBias, forKey: .useBias)
    if let outputShape { try container.encode(outputShape, forKey: .outputShape) }
    if let attentionAxes { try container.encode(attentionAxes, forKey: .attentionAxes) }
    try container.encode(useCausalMask, forKey: .useCausalMask)
    try container.encode(returnAttentionScores, forKey: .returnAttentionScores)
    try container.encode(inputRoles, forKey: .inputRoles)
    try container.encode(dropout, forKey: .dropout)
    if exposesAttentionScores { try container.encode(true, forKey: .exposesAttentionScores) }
    try container.encode(zeroesMaskedScores, forKey: .zeroesMaskedScores)
  }

  /// Keras 3 keeps each projection's variables in a sub-layer's group.
  public var archiveVariableGroups: [String] {
    ["query_dense/vars", "key_dense/vars", "value_dense/vars", "output_dense/vars"]
  }

  /// The order in which a Keras file's call records the keyword tensors of an attention layer: tf-keras keeps
  /// `value`, `key`, `attention_mask` as written (the readers read them in this order), Keras 3 flattens them
  /// sorted by name.
  public static func keywordInputOrder(kerasMajorVersion: Int) -> [String] {
    kerasMajorVersion >= 3 ? ["attention_mask", "key", "query", "value"] : ["value", "key", "attention_mask"]
  }

  /// The positions of the inputs: query, value, key (the value's when not given), attention mask (or nil).
  public var inputPositions: (query: Int, value: Int, key: Int, attentionMask: Int?) {
    let query = inputRoles.firstIndex(of: "query") ?? 0
    let value = inputRoles.firstIndex(of: "value") ?? 1
    return (query, value, inputRoles.firstIndex(of: "key") ?? value, inputRoles.firstIndex(of: "attention_mask"))
  }

  /// The attended axes of the projected `(N, ..., heads, dim)` tensors of `rank` (the query's rank plus one),
  /// non-negative.
  public func projectedAttentionAxes(rank: Int) throws -> [Int] {
    guard let attentionAxes else { return Array(1..<(rank - 2)) }
    return try attentionAxes.map { axis in
      let normalized = axis >= 0 ? axis : rank - 1 + axis
      guard normalized >= 1, normalized < rank - 2 else {
        throw ShapeProblem(
          detail: "MultiHeadAttention attention axis \(axis) is not an axis between batch and features")
      }
      return normalized
    }
  }

  /// The einsums of the attention for projected tensors of `rank`: scores `einsum(key, query)` and the
  /// combination `einsum(probabilities, value)`, and the softmax axes of the scores.
  public func attentionEquations(rank: Int) throws -> (
    scores: EinsumEquation, combine: EinsumEquation, softmaxAxes: [Int]
  ) {
    let axes = try projectedAttentionAxes(rank: rank)
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    guard rank + axes.count <= letters.count else {
      throw ShapeProblem(detail: "MultiHeadAttention input of too high rank")
    }
    let target = Array(letters[0..<rank])
    var source = target
    for (offset, axis) in axes.enumerated() { source[axis] = letters[rank + offset] }
    let batchAxes = (0..<rank).filter { !axes.contains($0) && $0 != rank - 1 }
    let product = batchAxes.map { target[$0] } + axes.map { target[$0] } + axes.map { source[$0] }
    let softmaxAxes = Array((product.count - axes.count)..<product.count)
    return (
      EinsumEquation(lhs: source, rhs: target, output: product),
      EinsumEquation(lhs: product, rhs: source, output: target), softmaxAxes
    )
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, count: inputRoles.count)
    let positions = inputPositions
    let query = inputs[positions.query]
    let value = inputs[positions.value]
    let key = inputs[positions.key]
    guard query.rank >= 3, value.rank == query.rank, key.rank == query.rank,
      Array(value.dimensions.dropFirst().dropLast()) == Array(key.dimensions.dropFirst().dropLast())
    else {
      throw ShapeProblem(detail: "MultiHeadAttention query \(query), value \(value), key \(key) do not fit")
    }
    let rank = query.rank + 1
    let (scores, _, _) = try attentionEquations(rank: rank)
    let projectedQuery = Array(query.dimensions.dropLast()) + [numHeads, keyDim]
    let projectedKey = Array(key.dimensions.dropLast()) + [numHeads, keyDim]
    let scoreShape = try scores.outputShape(lhs: projectedKey, rhs: projectedQuery)
    if let position = positions.attentionMask {
      let axes = try projectedAttentionAxes(rank: rank)
      let mask = inputs[position]
      guard mask.rank <= scoreShape.count, mask.rank >= 1 + 2 * axes.count else {
        throw ShapeProblem(
          detail: "MultiHeadAttention attention_mask \(mask) does not fit the scores \(TensorShape(scoreShape))")
      }
    }
    if useCausalMask, try projectedAttentionAxes(rank: rank).count != 1 {
      throw ShapeProblem(detail: "MultiHeadAttention use_causal_mask needs one attention axis")
    }
    let outputSizes: [Int?] = outputShape.map { $0.map { Optional($0) } } ?? [query.last]
    let output = TensorShape(Array(query.dimensions.dropLast()) + outputSizes)
    return [output] + (returnAttentionScores || exposesAttentionScores ? [TensorShape(scoreShape)] : [])
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let positions = inputPositions
    let query = inputs[positions.query]
    let outputSizes = try outputShape ?? [knownSize(query, axis: query.rank - 1)]
    var specifications: [WeightSpecification] = []
    for (name, input, dim) in [
      ("query", query, keyDim), ("key", inputs[positions.key], keyDim), ("value", inputs[positions.value], valueDim),
    ] {
      specifications.append(
        WeightSpecification(name: name + "/kernel", shape: [try channelCount(input), numHeads, dim]))
      if useBias { specifications.append(WeightSpecification(name: name + "/bias", shape: [numHeads, dim])) }
    }
    specifications.append(
      WeightSpecification(name: "attention_output/kernel", shape: [numHeads, valueDim] + outputSizes))
    if useBias { specifications.append(WeightSpecification(name: "attention_output/bias", shape: outputSizes)) }
    return specifications
  }
}

import Foundation
import KerasGraph

extension PlanBuilder {
  /// MultiHeadAttention as Keras computes it (see `MultiHeadAttention`): three EinsumDense projections, the
  /// scaled scores, a softmax over the key attention axes under the attention and causal masks (and the Keras
  /// masks of the inputs), the weighted values and the output projection. Returns the output and, with
  /// `return_attention_scores`, the probabilities. The output carries the query's Keras mask; in files of Keras 3
  /// the inputs lose theirs, as Keras 3's `call` removes them.
  func lowerMultiHeadAttention(_ config: MultiHeadAttention, call: FlatCall, inputs: [Int]) throws -> [Int] {
    let label = call.location.description
    let positions = config.inputPositions
    // Keras masks of the query, value and key `(N, T)` / `(N, S)` (Embedding mask_zero, Masking).
    let queryMask = try mask(of: inputs[positions.query], call: call)
    let valueMask = try mask(of: inputs[positions.value], call: call)
    let keyMask = positions.key == positions.value ? nil : try mask(of: inputs[positions.key], call: call)
    let keras = [queryMask, valueMask, keyMask]
    if config.zeroesMaskedScores {
      // Keras 3's call removes the Keras masks of its query, value and key tensors ("the masks are handled at the
      // level of the layer"), so the layers that run after it see those tensors unmasked.
      for position in [positions.query, positions.value, positions.key] { masks[inputs[position]] = nil }
    }
    if keras.contains(where: { $0 != nil }), values[inputs[positions.query]].shape.count != 3 {
      throw TensorError.unsupportedLayer(
        layer: call.location,
        detail: "its inputs carry a Keras mask, which kerasvis applies to (N, T, C) queries only; pass attention_mask")
    }
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    func projection(_ name: String, input: Int, dim: Int) throws -> Int {
      let rank = values[input].shape.count
      let equation = EinsumEquation(
        lhs: Array(letters[0..<rank]), rhs: [letters[rank - 1], letters[rank], letters[rank + 1]],
        output: Array(letters[0..<(rank - 1)]) + [letters[rank], letters[rank + 1]])
      let channels = values[input].shape[rank - 1]
      return try PlainKernels.einsum(
        equation, label: label + " " + name, lhs: input,
        rhs: .constant(try weight(name + "/kernel", of: call), shape: [channels, config.numHeads, dim]),
        bias: config.useBias ? (try weight(name + "/bias", of: call), [config.numHeads, dim]) : nil, builder: self)
    }
    let query = try projection("query", input: inputs[positions.query], dim: config.keyDim)
    let key = try projection("key", input: inputs[positions.key], dim: config.keyDim)
    let value = try projection("value", input: inputs[positions.value], dim: config.valueDim)
    let rank = values[query].shape.count
    let (scoresEquation, combineEquation, softmaxAxes) = try config.attentionEquations(rank: rank)
    let scores = try PlainKernels.einsum(
      scoresEquation, label: label + " scores", lhs: key, rhs: .value(query),
      scale: 1 / Float(config.keyDim).squareRoot(), builder: self)
    let scoreShape = values[scores].shape
    var mask: Int?
    if let position = positions.attentionMask { mask = inputs[position] }
    if keras.contains(where: { $0 != nil }) {
      let (queries, keys) = (scoreShape[scoreShape.count - 2], scoreShape[scoreShape.count - 1])
      let automatic = try PlainKernels.sequenceAttentionMask(
        label: label + " mask", query: queryMask, value: valueMask, key: keyMask, batch: scoreShape[0],
        queries: queries, keys: keys, builder: self)
      mask =
        try mask.map { given in
          try PlainKernels.maskConjunction(
            label: label + " mask", lhs: given, rhs: automatic,
            outputShape: try broadcastShape(values[given].shape, values[automatic].shape, label: label), builder: self)
        } ?? automatic
    }
    if config.useCausalMask {
      let steps = (query: scoreShape[scoreShape.count - 2], key: scoreShape[scoreShape.count - 1])
      let causal = try causalMask(queries: steps.query, keys: steps.key, label: label)
      mask =
        try mask.map { given in
          try PlainKernels.maskConjunction(
            label: label + " mask", lhs: given, rhs: causal,
            outputShape: try broadcastShape(values[given].shape, values[causal].shape, label: label), builder: self)
        } ?? causal
    }
    let maskOperand = try mask.map { mask -> (value: Int, shape: [Int]) in
      let shape = values[mask].shape
      let missing = scoreShape.count - shape.count
      let split = shape.count - 2 * softmaxAxes.count
      guard missing >= 0, split >= 0 else {
        throw TensorError.unsupportedLayer(
          layer: call.location, detail: "its attention mask \(shape) does not fit the scores \(scoreShape)")
      }
      return (mask, Array(shape[..<split]) + [Int](repeating: 1, count: missing) + Array(shape[split...]))
    }
    let probabilities = try PlainKernels.softmax(
      axes: softmaxAxes, label: label + " softmax", input: scores, mask: maskOperand,
      masking: !config.zeroesMaskedScores
        ? .add
        : config.usesFusedAttention(queryRank: values[inputs[positions.query]].shape.count)
          ? .replace : .replaceAndZero,
      builder: self)
    let attended = try PlainKernels.einsum(
      combineEquation, label: label + " combine", lhs: probabilities, rhs: .value(value), builder: self)
    let attendedShape = values[attended].shape
    let outputSizes = config.outputShape ?? [values[inputs[positions.query]].shape.last ?? 1]
    let free = attendedShape.count - 2
    let outputLetters = Array(letters[(free + 2)..<(free + 2 + outputSizes.count)])
    let outputEquation = EinsumEquation(
      lhs: Array(letters[0..<(free + 2)]), rhs: [letters[free], letters[free + 1]] + outputLetters,
      output: Array(letters[0..<free]) + outputLetters)
    let output = try PlainKernels.einsum(
      outputEquation, label: label + " output", lhs: attended,
      rhs: .constant(
        try weight("attention_output/kernel", of: call), shape: [config.numHeads, config.valueDim] + outputSizes),
      bias: config.useBias ? (try weight("attention_output/bias", of: call), outputSizes) : nil, builder: self)
    // Keras sets the query's mask on the output.
    if let queryMask { masks[output] = queryMask }
    return [output] + (config.returnAttentionScores || config.exposesAttentionScores ? [probabilities] : [])
  }

  /// Keras's `Attention` and `AdditiveAttention` (see `DenseAttention`). Returns the output and, with
  /// `return_attention_scores`, the probabilities.
  func lowerDenseAttention(_ config: DenseAttention, call: FlatCall, inputs: [Int]) throws -> [Int] {
    let label = call.location.description
    // Keras's `mask=[query mask, value mask]`: the value mask hides value steps, the query mask zeroes output steps.
    let queryMask = try mask(of: inputs[0], call: call)
    let valueMask = try mask(of: inputs[1], call: call)
    let query = inputs[0]
    let value = inputs[1]
    let key = inputs.count == 3 ? inputs[2] : value
    let scores: Int
    switch config.score {
    case .dot:
      let scale = config.useScale ? try weight("scale", of: call).first ?? 1 : 1
      scores = try PlainKernels.einsum(
        EinsumEquation(lhs: Array("btd"), rhs: Array("bsd"), output: Array("bts")), label: label + " scores",
        lhs: query, rhs: .value(key), scale: scale, builder: self)
    case .concat:
      let inner = config.useScale ? try weight("scale", of: call).first ?? 1 : 1
      let outer = try weight("concat_score_weight", of: call).first ?? 1
      scores = try PlainKernels.additiveScores(
        label: label + " scores", query: query, key: key, inner: inner, outer: [outer], builder: self)
    case .additive:
      let channels = values[query].shape.last ?? 1
      let outer = config.useScale ? try weight("scale", of: call) : [Float](repeating: 1, count: channels)
      scores = try PlainKernels.additiveScores(
        label: label + " scores", query: query, key: key, inner: 1, outer: outer, builder: self)
    }
    let shape = values[scores].shape
    var mask = try config.useCausalMask ? causalMask(queries: shape[1], keys: shape[2], label: label) : nil
    if let valueMask {
      let steps = try PlainKernels.sequenceAttentionMask(
        label: label + " mask", query: nil, value: valueMask, key: nil, batch: shape[0], queries: shape[1],
        keys: shape[2], builder: self)
      mask =
        try mask.map { causal in
          try PlainKernels.maskConjunction(
            label: label + " mask", lhs: steps, rhs: causal, outputShape: shape, builder: self)
        } ?? steps
    }
    let probabilities = try PlainKernels.softmax(
      axes: [2], label: label + " softmax", input: scores, mask: mask.map { ($0, values[$0].shape) },
      masking: .add, builder: self)
    var output = try PlainKernels.einsum(
      EinsumEquation(lhs: Array("bts"), rhs: Array("bsd"), output: Array("btd")), label: label, lhs: probabilities,
      rhs: .value(value), builder: self)
    if let queryMask {
      output = try PlainKernels.zeroingMaskedSteps(
        label: label + " query mask", input: output, mask: queryMask, builder: self)
      masks[output] = queryMask
    }
    return [output] + (config.returnAttentionScores ? [probabilities] : [])
  }

  /// Keras's causal mask `(1, T, S)`: 1 where the key step is at most the query step.
  private func causalMask(queries: Int, keys: Int, label: String) throws -> Int {
    let shape = [1, queries, keys]
    let id = try newValue(shape: shape, desc: try Desc.plain(keras: shape), label: label + " (causal mask)")
    let pointer = values[id].buffer.floats
    for t in 0..<queries {
      for s in 0..<keys { pointer[t * keys + s] = s <= t ? 1 : 0 }
    }
    return id
  }
}

extension PlainKernels {
  /// `x[n, t, :] * mask[n, t]` for a `(N, T, C)` input and its `(N, T)` mask (nonzero counts), with the gradient of
  /// `x` only.
  static func zeroingMaskedSteps(label: String, input: Int, mask: Int, builder: PlanBuilder) throws -> Int {
    let shape = builder.values[input].shape
    guard shape.count == 3, builder.values[mask].shape == [shape[0], shape[1]] else {
      throw TensorError.invalidShape(
        shape: builder.values[mask].shape, detail: "is not the mask of \(shape) in \(label)")
    }
    let channels = shape[2]
    let count = shape.reduce(1, *)
    let step = try PlainStep(
      label: label, inputs: [input, mask], outputShape: shape, builder: builder,
      forward: { inputs, output in
        for i in 0..<count { output[i] = inputs[1][i / channels] != 0 ? inputs[0][i] : 0 }
      },
      backward: { inputs, _, dy, dx in
        for i in 0..<count where inputs[1][i / channels] != 0 { dx[0][i] = dy[i] }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// MultiHeadAttention's mask from the Keras masks of its inputs (`_compute_attention_mask`): `(N, T, S)`, 1
  /// where the query step `t` (`query` `(N, T)`), the value step `s` (`value` `(N, S)`) and the key step `s` all
  /// count (a missing mask counts every step); no gradient.
  static func sequenceAttentionMask(
    label: String, query: Int?, value: Int?, key: Int?, batch: Int, queries: Int, keys: Int, builder: PlanBuilder
  ) throws -> Int {
    let sources = [query, value, key]
    let present = sources.compactMap { $0 }
    for (position, source) in sources.enumerated() {
      guard let source else { continue }
      let expected = [batch, position == 0 ? queries : keys]
      guard builder.values[source].shape == expected else {
        throw TensorError.invalidShape(
          shape: builder.values[source].shape, detail: "is not the \(expected) mask of an input of \(label)")
      }
    }
    let slots = sources.map { source in source.flatMap { present.firstIndex(of: $0) } }
    let step = try PlainStep(
      label: label, inputs: present, outputShape: [batch, queries, keys], builder: builder,
      forward: { inputs, output in
        for n in 0..<batch {
          for t in 0..<queries {
            let queryCounts = slots[0].map { inputs[$0][n * queries + t] != 0 } ?? true
            for s in 0..<keys {
              let valueCounts = slots[1].map { inputs[$0][n * keys + s] != 0 } ?? true
              let keyCounts = slots[2].map { inputs[$0][n * keys + s] != 0 } ?? true
              output[(n * queries + t) * keys + s] = queryCounts && valueCounts && keyCounts ? 1 : 0
            }
          }
        }
      },
      backward: { _, _, _, _ in })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// `lhs AND rhs` of two masks (nonzero counts as true), NumPy-broadcast: 1 or 0, no gradient (Keras casts
  /// masks to booleans).
  static func maskConjunction(label: String, lhs: Int, rhs: Int, outputShape: [Int], builder: PlanBuilder) throws
    -> Int
  {
    let left = broadcastIndex(from: builder.values[lhs].shape, to: outputShape)
    let right = broadcastIndex(from: builder.values[rhs].shape, to: outputShape)
    let step = try PlainStep(
      label: label, inputs: [lhs, rhs], outputShape: outputShape, builder: builder,
      forward: { inputs, output in
        for i in left.indices { output[i] = inputs[0][left[i]] != 0 && inputs[1][right[i]] != 0 ? 1 : 0 }
      },
      backward: { _, _, _, _ in })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// Additive attention scores `(N, T, S)`: `sum_d outer_d tanh(inner (q[t, d] + k[s, d]))` (`outer` of size 1
  /// broadcasts), with the gradients of the query and the key.
  static func additiveScores(
    label: String, query: Int, key: Int, inner: Float, outer: [Float], builder: PlanBuilder
  ) throws -> Int {
    let queryShape = builder.values[query].shape
    let keyShape = builder.values[key].shape
    let (batch, queries, keys, channels) = (queryShape[0], queryShape[1], keyShape[1], queryShape[2])
    guard keyShape[2] == channels, outer.count == 1 || outer.count == channels else {
      throw TensorError.invalidShape(shape: keyShape, detail: "does not fit the query \(queryShape) in \(label)")
    }
    let weights = outer.count == 1 ? [Float](repeating: outer[0], count: channels) : outer
    let step = try PlainStep(
      label: label, inputs: [query, key], outputShape: [batch, queries, keys], builder: builder,
      forward: { inputs, output in
        let (q, k) = (inputs[0], inputs[1])
        for n in 0..<batch {
          for t in 0..<queries {
            let row = q + (n * queries + t) * channels
            for s in 0..<keys {
              let column = k + (n * keys + s) * channels
              var sum: Float = 0
              for d in 0..<channels { sum += weights[d] * tanh(inner * (row[d] + column[d])) }
              output[(n * queries + t) * keys + s] = sum
            }
          }
        }
      },
      backward: { inputs, _, dy, dx in
        let (q, k) = (inputs[0], inputs[1])
        for n in 0..<batch {
          for t in 0..<queries {
            let qOffset = (n * queries + t) * channels
            for s in 0..<keys {
              let kOffset = (n * keys + s) * channels
              let g = dy[(n * queries + t) * keys + s]
              for d in 0..<channels {
                let h = tanh(inner * (q[qOffset + d] + k[kOffset + d]))
                let local = g * weights[d] * (1 - h * h) * inner
                dx[0][qOffset + d] += local
                dx[1][kOffset + d] += local
              }
            }
          }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }
}

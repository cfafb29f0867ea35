import Foundation
import KerasGraph

extension PlanBuilder {
  /// Lowers the sequence layers: Embedding, Masking, SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed and
  /// RepeatVector. Masks are values of their own (`masks`, `(N, T)`, 1 where a step counts), made by Embedding
  /// (`mask_zero`) and Masking and read by the recurrent layers.
  func lowerSequenceLayer(_ index: Int, call: FlatCall, inputs: [Int], outputShapes: [[Int]]) throws -> [Int] {
    let label = call.location.description
    let inputShape = values[inputs[0]].shape
    func unsupported(_ detail: String) -> TensorError { .unsupportedLayer(layer: call.location, detail: detail) }
    switch call.layer.kind {
    case let config as Embedding:
      let output = try PlainKernels.embedding(
        config, table: try weight("embeddings", of: call), label: label, input: inputs[0],
        outputShape: outputShapes[0], builder: self)
      if config.maskZero {
        if tokenMasks[inputs[0]] == nil {
          tokenMasks[inputs[0]] = try PlainKernels.nonzeroMask(label: label, input: inputs[0], builder: self)
        }
        masks[output] = tokenMasks[inputs[0]]
      }
      return [output]

    case let config as Masking:
      let (output, mask) = try PlainKernels.masking(config, label: label, input: inputs[0], builder: self)
      masks[output] = mask
      return [output]

    case let config as RepeatVector:
      return [
        try PlainKernels.repeatVector(
          config, label: label, input: inputs[0], outputShape: outputShapes[0], builder: self)
      ]

    case let recurrent as any RecurrentKind:
      let direction = try RecurrentDirection(
        recurrent.recurrence, features: inputShape[2], prefix: "", call: call, builder: self)
      let outputs = try PlainKernels.recurrent(
        [(direction, false)], mergeMode: nil, label: label, input: inputs[0],
        mask: recurrent.recurrence.appliesMask ? try mask(of: inputs[0], call: call) : nil,
        initialStates: [Array(inputs.dropFirst())], outputShapes: outputShapes, builder: self)
      if recurrent.recurrence.returnSequences, let mask = masks[inputs[0]] { masks[outputs[0]] = mask }
      return outputs

    case let config as Bidirectional:
      let split: (forward: [Int], backward: [Int])
      do { split = try config.directionInputs(inputs) } catch let problem as ShapeProblem {
        throw unsupported(problem.detail)
      }
      let forward = try RecurrentDirection(
        config.forward, features: inputShape[2], prefix: "forward_", call: call, builder: self)
      let backward = try RecurrentDirection(
        config.backward, features: inputShape[2], prefix: "backward_", call: call, builder: self)
      let outputs = try PlainKernels.recurrent(
        [(forward, false), (backward, true)], mergeMode: config.mergeMode, label: label, input: inputs[0],
        mask: config.forward.appliesMask ? try mask(of: inputs[0], call: call) : nil,
        initialStates: [Array(split.forward.dropFirst()), Array(split.backward.dropFirst())],
        outputShapes: outputShapes, builder: self)
      if config.forward.returnSequences, let mask = masks[inputs[0]] {
        for position in 0..<(config.mergeMode == nil ? 2 : 1) { masks[outputs[position]] = mask }
      }
      return outputs

    case let config as TimeDistributed:
      guard inputShape.count >= 3 else { throw unsupported("TimeDistributed needs (batch, steps, ...) inputs") }
      let stepShape = [inputShape[0] * inputShape[1]] + inputShape.dropFirst(2)
      let folded = try copy(try plain(inputs[0], label: label), to: stepShape, label: label)
      let innerShapes: [[Int]]
      do {
        innerShapes = try config.layer.outputShapes(inputs: [TensorShape(stepShape)]).map { shape in
          try shape.dimensions.enumerated().map { axis, dimension in
            if axis == 0 { return stepShape[0] }
            guard let dimension else { throw ShapeProblem(detail: "an output dimension is unknown") }
            return dimension
          }
        }
      } catch let problem as ShapeProblem {
        throw unsupported("the wrapped layer on \(stepShape): \(problem.detail)")
      }
      var inner = call
      inner.layer.kind = config.layer
      inner.layer.activation = nil
      // Lowered as a call of its own that nothing fuses into (no call has index -1).
      var result = try lowerLayer(-1, call: inner, inputs: [folded], outputShapes: innerShapes)[0]
      if let function = config.activation, function != .linear {
        result = try activationStep(function, input: result, label: label, call: call)
      }
      let output = try copy(try plain(result, label: label), to: outputShapes[0], label: label)
      return [output]

    case let config as MaskOperation:
      guard
        values[inputs.last ?? inputs[0]].shape == inputShape || config.operation == .notEqual
          || config.operation == .any
      else { throw unsupported("\(config.operation.rawValue) of tensors of different shapes") }
      return [
        try PlainKernels.maskOperation(
          config, label: label, inputs: inputs, outputShape: outputShapes[0], builder: self)
      ]

    default:
      throw unsupported("the layer kind \(type(of: call.layer.kind)) is not a sequence layer")
    }
  }

  /// The mask marking a merge of differently masked inputs, which tf.keras and Keras 3 combine differently.
  static let ambiguousMask = -1

  /// The mask value reaching `value` for `call` to read, or nil.
  /// - Throws: `TensorError.unsupportedLayer` when the mask is ambiguous (see `propagateMasks`).
  func mask(of value: Int, call: FlatCall) throws -> Int? {
    guard let mask = masks[value] else { return nil }
    guard mask != PlanBuilder.ambiguousMask else {
      throw TensorError.unsupportedLayer(
        layer: call.location,
        detail:
          "its input's mask comes from merging differently masked (or masked and unmasked) tensors, which tf.keras and Keras 3 combine differently (AND, OR); mask the merged tensor explicitly or merge tensors under one mask"
      )
    }
    return mask
  }

  /// Carries masks to a call's outputs as Keras does: layers that support masking without changing the steps
  /// (Dense, activations, Dropout, normalizations, TimeDistributed) pass the input's mask on; merge layers keep
  /// the mask their inputs share (inputs under different masks, or masked and unmasked, give `ambiguousMask`);
  /// layers that would read a mask kerasvis does not apply (Softmax, 1-D global average pooling)
  /// refuse a masked input; every other layer drops the mask. Recurrent layers, Embedding and Masking set their
  /// outputs' masks when lowered.
  func propagateMasks(call: FlatCall, inputs: [Int], outputs: [Int]) throws {
    let inputMasks = inputs.compactMap { masks[$0] }
    guard !inputMasks.isEmpty, let first = outputs.first, masks[first] == nil else { return }
    let kind = call.layer.kind
    switch kind {
    case is Dense, is Activation, is ReLU, is LeakyReLU, is ELU, is PReLU, is Identity, is LayerNormalization,
      is BatchNormalization, is TimeDistributed:
      if let mask = masks[inputs[0]] { masks[first] = mask }
    case is Merge, is Concatenate:
      // Inputs under one mask keep it. Otherwise tf.keras ANDs the masks (an unmasked input counting as all
      // steps), Keras 3 ORs them (and its Add, Multiply, ... drop the mask when an input has none): which Keras
      // wrote the file is not known here, so a layer that reads such a mask refuses it (`mask(of:call:)`).
      let all = inputs.map { masks[$0] }
      let distinct = inputMasks.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
      var sameAxis = true
      if let concatenate = kind as? Concatenate {
        let rank = values[inputs[0]].shape.count
        sameAxis = (try? concatenate.normalizedAxis(rank: rank)) == rank - 1
      }
      masks[first] = sameAxis && distinct.count == 1 && !all.contains(nil) ? distinct[0] : PlanBuilder.ambiguousMask
    case is Embedding, is Masking, is RepeatVector, is Bidirectional, is any RecurrentKind, is MaskOperation:
      return
    default:
      let consumers: Set<String> = [
        "Softmax", "GlobalAveragePooling1D",
      ]
      if consumers.contains(LayerKinds.displayName(ofClass: call.layer.className)) {
        throw TensorError.unsupportedLayer(
          layer: call.location,
          detail: "its input carries a mask (from Embedding mask_zero or Masking), which kerasvis does not apply here")
      }
    }
  }
}

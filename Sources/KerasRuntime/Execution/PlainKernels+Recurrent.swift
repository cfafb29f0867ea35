import Foundation
import KerasGraph

extension PlainKernels {
  /// A recurrent layer (one direction) or a Bidirectional (two, merged by `mergeMode`): each direction's input
  /// projection `x W + b` for all steps at once on oneDNN's inner product, then one `PlainStep` running the
  /// recurrences whose output packs every Keras output of the layer per sample (the output or outputs, then each
  /// direction's final states), followed by one gather per Keras output. The backward pass runs the recurrence
  /// again and backpropagates through time (gradients to the input and states only: weights are constants here).
  /// - Parameters:
  ///   - directions: the directions with, for each, whether its sequence output is flipped back to time order
  ///     (Bidirectional's backward layer).
  ///   - mask: the `(N, T)` mask value reaching the layer, if any.
  ///   - initialStates: for each direction, the values of its initial states (none: zeros).
  ///   - outputShapes: the Keras outputs' shapes (batch first), checked against the packing.
  static func recurrent(
    _ directions: [(direction: RecurrentDirection, flips: Bool)], mergeMode: Bidirectional.MergeMode?,
    label: String, input: Int, mask: Int?, initialStates: [[Int]] = [], outputShapes: [[Int]], builder: PlanBuilder
  ) throws -> [Int] {
    let shape = builder.values[input].shape
    guard shape.count == 3 else {
      throw TensorError.invalidShape(shape: shape, detail: "is not (batch, steps, features) in \(label)")
    }
    let (batch, steps) = (shape[0], shape[1])
    if let mask, builder.values[mask].shape != [batch, steps] {
      throw TensorError.invalidShape(
        shape: builder.values[mask].shape, detail: "is not the (batch, steps) mask of \(shape) in \(label)")
    }
    let sequences = directions[0].direction.recurrence.returnSequences
    let returnsState = directions[0].direction.recurrence.returnState
    let length = sequences ? steps : 1
    let bidirectional = directions.count == 2
    // Segment sizes per sample: the outputs, then the states.
    var segments: [Int] = []
    if bidirectional, let mergeMode {
      let units = directions.map(\.direction.units)
      segments.append(length * (mergeMode == .concat ? units[0] + units[1] : units[0]))
    } else {
      segments += directions.map { length * $0.direction.units }
    }
    if returnsState {
      for entry in directions {
        segments += Array(repeating: entry.direction.units, count: entry.direction.recurrence.cell.stateCount)
      }
    }
    guard segments.count == outputShapes.count,
      zip(segments, outputShapes).allSatisfy({ $0 == $1.dropFirst().reduce(1, *) })
    else {
      throw TensorError.invalidShape(
        shape: shape, detail: "gives outputs \(segments) per sample, not those of \(outputShapes), in \(label)")
    }
    let total = segments.reduce(0, +)
    let offsets = segments.indices.map { segments[..<$0].reduce(0, +) }

    /// Each direction's output `(N, length, units)` in the layer's order.
    func directionOutput(_ trace: RecurrentDirection.Trace, units: Int, flips: Bool) -> [Float] {
      var result = [Float](repeating: 0, count: batch * length * units)
      for n in 0..<batch {
        for position in 0..<length {
          let s = sequences ? (flips ? steps - 1 - position : position) : steps - 1
          for j in 0..<units {
            result[(n * length + position) * units + j] = trace.o[((s + 1) * batch + n) * units + j]
          }
        }
      }
      return result
    }
    // Each direction's x W + b, (N, T, G units). The labels differ per direction: the compiled model's weight
    // store shares prepared weights by step label.
    let projections = try directions.enumerated().map { position, entry in
      let step = try InnerProductStep(
        label: label + " input projection" + (directions.count > 1 ? " \(position)" : ""), input: input,
        kernel: entry.direction.kernel,
        bias: entry.direction.inputBias, units: entry.direction.width, activation: nil, builder: builder)
      builder.steps.append(step)
      return step.outputs[0]
    }
    // The step's inputs: the projections, the mask, then every direction's initial states.
    let maskSlot = directions.count
    let inputIDs = projections + (mask.map { [$0] } ?? []) + initialStates.flatMap { $0 }
    let stateStart = maskSlot + (mask == nil ? 0 : 1)
    let stateSlots = directions.indices.map { d -> Range<Int> in
      let start = stateStart + initialStates.prefix(d).reduce(0) { $0 + $1.count }
      return start..<(start + (initialStates.indices.contains(d) ? initialStates[d].count : 0))
    }
    for (d, states) in initialStates.enumerated() {
      let units = directions[d].direction.units
      guard states.isEmpty || states.count == directions[d].direction.recurrence.cell.stateCount,
        states.allSatisfy({ builder.values[$0].shape == [batch, units] })
      else {
        throw TensorError.invalidShape(
          shape: states.first.map { builder.values[$0].shape } ?? [],
          detail: "initial states do not fit \(units) units and batch \(batch) in \(label)")
      }
    }
    func run(_ inputs: [UnsafePointer<Float>]) -> [RecurrentDirection.Trace] {
      directions.indices.map { d in
        directions[d].direction.run(
          projected: inputs[d], mask: mask == nil ? nil : inputs[maskSlot],
          initialStates: stateSlots[d].map { inputs[$0] }, batch: batch, steps: steps)
      }
    }

    let step = try PlainStep(
      label: label, inputs: inputIDs, outputShape: [batch, total], builder: builder,
      forward: { inputs, output in
        let traces = run(inputs)
        let ys = zip(directions, traces).map { directionOutput($1, units: $0.direction.units, flips: $0.flips) }
        var segment = 0
        if bidirectional, let mergeMode {
          let (uf, ub) = (directions[0].direction.units, directions[1].direction.units)
          let width = mergeMode == .concat ? uf + ub : uf
          for n in 0..<batch {
            for position in 0..<length {
              let base = n * total + position * width
              let f = (n * length + position) * uf
              let b = (n * length + position) * ub
              for j in 0..<uf {
                switch mergeMode {
                case .concat: output[base + j] = ys[0][f + j]
                case .sum: output[base + j] = ys[0][f + j] + ys[1][b + j]
                case .mul: output[base + j] = ys[0][f + j] * ys[1][b + j]
                case .ave: output[base + j] = (ys[0][f + j] + ys[1][b + j]) / 2
                }
              }
              if mergeMode == .concat { for j in 0..<ub { output[base + uf + j] = ys[1][b + j] } }
            }
          }
          segment = 1
        } else {
          for (d, y) in ys.enumerated() {
            let size = segments[d]
            for n in 0..<batch { for i in 0..<size { output[n * total + offsets[d] + i] = y[n * size + i] } }
          }
          segment = ys.count
        }
        if returnsState {
          for (entry, trace) in zip(directions, traces) {
            let u = entry.direction.units
            let states = entry.direction.recurrence.cell == .lstm ? [trace.h, trace.c] : [trace.h]
            for state in states {
              for n in 0..<batch {
                for j in 0..<u { output[n * total + offsets[segment] + j] = state[(steps * batch + n) * u + j] }
              }
              segment += 1
            }
          }
        }
      },
      backward: { inputs, _, dy, dx in
        let traces = run(inputs)
        // The gradient of each direction's output (N, length, units), from the merged output's.
        var dys = directions.map { [Float](repeating: 0, count: batch * length * $0.direction.units) }
        var segment = 0
        if bidirectional, let mergeMode {
          let ys = zip(directions, traces).map { directionOutput($1, units: $0.direction.units, flips: $0.flips) }
          let (uf, ub) = (directions[0].direction.units, directions[1].direction.units)
          let width = mergeMode == .concat ? uf + ub : uf
          for n in 0..<batch {
            for position in 0..<length {
              let base = n * total + position * width
              let f = (n * length + position) * uf
              let b = (n * length + position) * ub
              for j in 0..<uf {
                let g = dy[base + j]
                switch mergeMode {
                case .concat: dys[0][f + j] = g
                case .sum:
                  dys[0][f + j] = g
                  dys[1][b + j] = g
                case .mul:
                  dys[0][f + j] = g * ys[1][b + j]
                  dys[1][b + j] = g * ys[0][f + j]
                case .ave:
                  dys[0][f + j] = g / 2
                  dys[1][b + j] = g / 2
                }
              }
              if mergeMode == .concat { for j in 0..<ub { dys[1][b + j] = dy[base + uf + j] } }
            }
          }
          segment = 1
        } else {
          for d in directions.indices {
            let size = segments[d]
            for n in 0..<batch { for i in 0..<size { dys[d][n * size + i] = dy[n * total + offsets[d] + i] } }
          }
          segment = directions.count
        }
        for (d, (entry, trace)) in zip(directions, traces).enumerated() {
          let u = entry.direction.units
          var stateGradients = [[Float]](repeating: [Float](repeating: 0, count: batch * u), count: 2)
          if returnsState {
            for state in 0..<entry.direction.recurrence.cell.stateCount {
              for n in 0..<batch {
                for j in 0..<u { stateGradients[state][n * u + j] = dy[n * total + offsets[segment] + j] }
              }
              segment += 1
            }
          }
          // The output after processing step s receives the gradient of the position it is written to.
          var outputGradient = [Float](repeating: 0, count: steps * batch * u)
          for n in 0..<batch {
            for position in 0..<length {
              let s = sequences ? (entry.flips ? steps - 1 - position : position) : steps - 1
              for j in 0..<u { outputGradient[(s * batch + n) * u + j] += dys[d][(n * length + position) * u + j] }
            }
          }
          let initial = entry.direction.backpropagate(
            trace, outputGradient: outputGradient, stateGradient: stateGradients[0],
            carryGradient: stateGradients[1], projectionGradient: dx[d])
          for (position, slot) in stateSlots[d].enumerated() {
            let gradient = position == 0 ? initial.state : initial.carry
            for i in 0..<(batch * u) { dx[slot][i] += gradient[i] }
          }
        }
      })
    builder.steps.append(step)
    let packed = step.outputs[0]
    return try segments.indices.map { k in
      var gather = [Int](repeating: 0, count: batch * segments[k])
      for n in 0..<batch { for i in 0..<segments[k] { gather[n * segments[k] + i] = n * total + offsets[k] + i } }
      return try gatherStep(gather, label: label, input: packed, outputShape: outputShapes[k], builder: builder)
    }
  }

  /// Embedding: rows of `embeddings` `(V, D)` by the rounded ids; an id outside `0..<V` is an error naming the
  /// layer. A backward pass to the ids is an error (an integer input has no gradient): gradients are taken at the
  /// embedding output instead.
  static func embedding(
    _ config: Embedding, table: [Float], label: String, input: Int, outputShape: [Int], builder: PlanBuilder
  ) throws -> Int {
    let count = builder.values[input].elementCount
    let (vocabulary, width) = (config.inputDim, config.outputDim)
    guard table.count == vocabulary * width else {
      throw TensorError.invalidShape(shape: [vocabulary, width], detail: "does not hold the embeddings in \(label)")
    }
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: outputShape, builder: builder,
      forward: { inputs, output in
        for i in 0..<count {
          let value = inputs[0][i].rounded()
          guard value >= 0, value < Float(vocabulary) else {
            throw TensorError.invalidInput(
              detail: "\(label): token id \(inputs[0][i]) at position \(i) is outside the vocabulary 0..<\(vocabulary)")
          }
          let row = Int(value) * width
          for j in 0..<width { output[i * width + j] = table[row + j] }
        }
      },
      backward: { _, _, _, _ in
        throw TensorError.invalidInput(
          detail:
            "\(label): token ids have no gradient; attribute at the Embedding output instead (Explainer.tokenAttributions, or a gradient with respect to the layer)"
        )
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// Embedding's `mask_zero` mask: 1 where the rounded id is not 0 (no gradient).
  static func nonzeroMask(label: String, input: Int, builder: PlanBuilder) throws -> Int {
    let shape = builder.values[input].shape
    let count = shape.reduce(1, *)
    let step = try PlainStep(
      label: label + " mask", inputs: [input], outputShape: shape, builder: builder,
      forward: { inputs, output in
        for i in 0..<count { output[i] = inputs[0][i].rounded() != 0 ? 1 : 0 }
      },
      backward: { _, _, _, _ in })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// Masking: the mask `any(x != maskValue)` over the last axis, and `y = x * mask`. Returns (output, mask).
  static func masking(_ config: Masking, label: String, input: Int, builder: PlanBuilder) throws -> (Int, Int) {
    let shape = builder.values[input].shape
    let features = shape.last ?? 1
    let rows = shape.reduce(1, *) / max(features, 1)
    let maskValue = config.maskValue
    let maskStep = try PlainStep(
      label: label + " mask", inputs: [input], outputShape: Array(shape.dropLast()), builder: builder,
      forward: { inputs, output in
        for r in 0..<rows {
          var kept: Float = 0
          for j in 0..<features where inputs[0][r * features + j] != maskValue { kept = 1 }
          output[r] = kept
        }
      },
      backward: { _, _, _, _ in })
    builder.steps.append(maskStep)
    let mask = maskStep.outputs[0]
    let step = try PlainStep(
      label: label, inputs: [input, mask], outputShape: shape, builder: builder,
      forward: { inputs, output in
        for r in 0..<rows {
          for j in 0..<features { output[r * features + j] = inputs[0][r * features + j] * inputs[1][r] }
        }
      },
      backward: { inputs, _, dy, dx in
        for r in 0..<rows { for j in 0..<features { dx[0][r * features + j] = dy[r * features + j] * inputs[1][r] } }
      })
    builder.steps.append(step)
    return (step.outputs[0], mask)
  }

  /// RepeatVector: `(N, F)` -> `(N, n, F)`.
  static func repeatVector(_ config: RepeatVector, label: String, input: Int, outputShape: [Int], builder: PlanBuilder)
    throws -> Int
  {
    let shape = builder.values[input].shape
    let features = shape[1]
    var gather = [Int](repeating: 0, count: outputShape.reduce(1, *))
    for n in 0..<shape[0] {
      for t in 0..<config.n { for j in 0..<features { gather[(n * config.n + t) * features + j] = n * features + j } }
    }
    return try gatherStep(gather, label: label, input: input, outputShape: outputShape, builder: builder)
  }

  /// A `MaskOperation` as 0/1 floats (no gradient): `x != c`, `any(x != 0)` over axes, or the logical or/and of
  /// two tensors of one shape.
  static func maskOperation(
    _ config: MaskOperation, label: String, inputs: [Int], outputShape: [Int], builder: PlanBuilder
  ) throws -> Int {
    let shape = builder.values[inputs[0]].shape
    let count = shape.reduce(1, *)
    let outputCount = outputShape.reduce(1, *)
    var target: [Int] = []
    if config.operation == .any {
      let reduced = Set(try config.normalizedAxes(rank: shape.count))
      let keptShape = shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
      target = broadcastIndex(from: keptShape, to: shape)
    }
    let step = try PlainStep(
      label: label, inputs: inputs, outputShape: outputShape, builder: builder,
      forward: { inputs, output in
        switch config.operation {
        case .notEqual:
          for i in 0..<count { output[i] = inputs[0][i] != config.constant ? 1 : 0 }
        case .any:
          for o in 0..<outputCount { output[o] = 0 }
          for i in 0..<count where inputs[0][i] != 0 { output[target[i]] = 1 }
        case .logicalOr:
          for i in 0..<count { output[i] = inputs[0][i] != 0 || inputs[1][i] != 0 ? 1 : 0 }
        case .logicalAnd:
          for i in 0..<count { output[i] = inputs[0][i] != 0 && inputs[1][i] != 0 ? 1 : 0 }
        }
      },
      backward: { _, _, _, _ in })
    builder.steps.append(step)
    return step.outputs[0]
  }
}

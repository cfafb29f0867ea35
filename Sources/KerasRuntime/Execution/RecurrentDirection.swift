import Foundation
import KerasGraph

/// One direction of a recurrent layer (SimpleRNN, LSTM, GRU, or one half of a Bidirectional) with its weights: the
/// forward recurrence over a batch of sequences, which records what backpropagation through time needs, and that
/// backpropagation. The input projection `x W + b` of every step is computed beforehand (on oneDNN, see
/// `PlainKernels.recurrent`); the recurrence reads it and returns its gradient. Keras's semantics: gates in Keras's order (LSTM i, f, c, o; GRU z, r, h), zero initial
/// states, `go_backwards` reading the steps last to first, and at a masked step the states carried over and the
/// output either the previous step's output or zeros (`zero_output_for_mask`), as `keras.backend.rnn` does.
struct RecurrentDirection {
  let recurrence: Recurrence
  /// The input features per step (`F`).
  let features: Int
  /// `(F, G units)`, row-major.
  let kernel: [Float]
  /// `(units, G units)`, row-major.
  let recurrentKernel: [Float]
  /// Added to `x W` (`G units`; zeros without a bias).
  let inputBias: [Float]
  /// Added to `h U` (`G units`): a GRU with `reset_after`'s second bias row, zeros otherwise.
  let recurrentBias: [Float]

  var units: Int { recurrence.units }
  var width: Int { recurrence.cell.gateCount * recurrence.units }

  /// Reads the weights `prefix + kernel`, `recurrent_kernel`, `bias` of `call`'s layer.
  init(_ recurrence: Recurrence, features: Int, prefix: String, call: FlatCall, builder: PlanBuilder) throws {
    self.recurrence = recurrence
    self.features = features
    kernel = try builder.weight(prefix + "kernel", of: call)
    recurrentKernel = try builder.weight(prefix + "recurrent_kernel", of: call)
    let width = recurrence.cell.gateCount * recurrence.units
    var inputBias = [Float](repeating: 0, count: width)
    var recurrentBias = [Float](repeating: 0, count: width)
    for function in [recurrence.activation, recurrence.recurrentActivation]
    where !ActivationMath.isElementwise(function) {
      throw TensorError.unsupportedLayer(
        layer: call.location, detail: "the recurrent activation '\(function.rawValue)' is not element-wise")
    }
    if recurrence.useBias {
      let bias = try builder.weight(prefix + "bias", of: call)
      guard bias.count == (recurrence.cell == .gru ? 2 : 1) * width else {
        throw TensorError.unsupportedLayer(
          layer: call.location, detail: "its bias has \(bias.count) values, not those of \(recurrence.units) units")
      }
      for j in 0..<width { inputBias[j] = bias[j] }
      if recurrence.cell == .gru { for j in 0..<width { recurrentBias[j] = bias[width + j] } }
    }
    self.inputBias = inputBias
    self.recurrentBias = recurrentBias
    guard kernel.count == features * width, recurrentKernel.count == recurrence.units * width else {
      throw TensorError.unsupportedLayer(
        layer: call.location, detail: "its kernels do not fit \(features) features and \(recurrence.units) units")
    }
  }

  /// What one run records, per processing step `s` (step `order[s]` of the sequence) and sample `n`.
  struct Trace {
    var batch: Int
    var steps: Int
    /// The time index read at processing step `s`.
    var order: [Int]
    /// States after `s` steps, `(T + 1, N, units)`: `h[0]` the initial zeros.
    var h: [Float]
    /// An LSTM's carry states, like `h`.
    var c: [Float]
    /// Outputs after `s` steps, `(T + 1, N, units)`: `o[0]` zeros.
    var o: [Float]
    /// `x W + b`, `(T, N, G units)`.
    var xm: [Float]
    /// `h U (+ b_recurrent)`, `(T, N, G units)`; a GRU without `reset_after` keeps `(r h) U_h` in its third block.
    var hm: [Float]
    /// The mask, `(T, N)` (1 where the step counts).
    var mask: [Float]
  }

  /// Runs the recurrence over the input projections `x W + b` `(N, T, G units)` with an optional mask `(N, T)`,
  /// from zero states or the given `initialStates` (`h`, and `c` for an LSTM, `(N, units)` each).
  func run(
    projected: UnsafePointer<Float>, mask: UnsafePointer<Float>?, initialStates: [UnsafePointer<Float>] = [],
    batch: Int, steps: Int
  ) -> Trace {
    let (u, width) = (units, width)
    let cell = recurrence.cell
    let act = recurrence.activation
    let gate = recurrence.recurrentActivation
    let zeroOutput = recurrence.zeroOutputForMask
    var trace = Trace(
      batch: batch, steps: steps,
      order: (0..<steps).map { recurrence.goBackwards ? steps - 1 - $0 : $0 },
      h: [Float](repeating: 0, count: (steps + 1) * batch * u), c: [],
      o: [Float](repeating: 0, count: (steps + 1) * batch * u),
      xm: [Float](repeating: 0, count: steps * batch * width), hm: [Float](repeating: 0, count: steps * batch * width),
      mask: [Float](repeating: 1, count: steps * batch))
    if cell == .lstm { trace.c = [Float](repeating: 0, count: (steps + 1) * batch * u) }
    if initialStates.count >= 1 { for i in 0..<(batch * u) { trace.h[i] = initialStates[0][i] } }
    if initialStates.count >= 2, cell == .lstm { for i in 0..<(batch * u) { trace.c[i] = initialStates[1][i] } }
    var candidate = [Float](repeating: 0, count: u)
    var carry = [Float](repeating: 0, count: u)
    var reset = [Float](repeating: 0, count: u)
    for s in 0..<steps {
      let t = trace.order[s]
      for n in 0..<batch {
        let m = mask.map { $0[n * steps + t] != 0 ? Float(1) : 0 } ?? 1
        trace.mask[s * batch + n] = m
        let gates = (s * batch + n) * width
        let previous = (s * batch + n) * u
        let next = ((s + 1) * batch + n) * u
        let row = projected + (n * steps + t) * width
        for j in 0..<width {
          trace.xm[gates + j] = row[j]
          trace.hm[gates + j] = recurrentBias[j]
        }
        let recurrentColumns = cell == .gruResetBefore ? 2 * u : width
        for k in 0..<u {
          let value = trace.h[previous + k]
          if value == 0 { continue }
          for j in 0..<recurrentColumns { trace.hm[gates + j] += value * recurrentKernel[k * width + j] }
        }
        switch cell {
        case .simple:
          for j in 0..<u { candidate[j] = ActivationMath.value(act, trace.xm[gates + j] + trace.hm[gates + j]) }
        case .lstm:
          for j in 0..<u {
            let a = { (block: Int) in trace.xm[gates + block * u + j] + trace.hm[gates + block * u + j] }
            let i = ActivationMath.value(gate, a(0))
            let forget = ActivationMath.value(gate, a(1))
            let g = ActivationMath.value(act, a(2))
            let o = ActivationMath.value(gate, a(3))
            carry[j] = forget * trace.c[previous + j] + i * g
            candidate[j] = o * ActivationMath.value(act, carry[j])
          }
        case .gru, .gruResetBefore:
          for j in 0..<u { reset[j] = ActivationMath.value(gate, trace.xm[gates + u + j] + trace.hm[gates + u + j]) }
          if cell == .gruResetBefore {
            for j in 0..<u { trace.hm[gates + 2 * u + j] = 0 }
            for k in 0..<u {
              let value = reset[k] * trace.h[previous + k]
              if value == 0 { continue }
              for j in 0..<u { trace.hm[gates + 2 * u + j] += value * recurrentKernel[k * width + 2 * u + j] }
            }
          }
          for j in 0..<u {
            let z = ActivationMath.value(gate, trace.xm[gates + j] + trace.hm[gates + j])
            let recurrentPart = trace.hm[gates + 2 * u + j]
            let g = ActivationMath.value(
              act, trace.xm[gates + 2 * u + j] + (cell == .gru ? reset[j] * recurrentPart : recurrentPart))
            candidate[j] = z * trace.h[previous + j] + (1 - z) * g
          }
        }
        for j in 0..<u {
          trace.h[next + j] = m * candidate[j] + (1 - m) * trace.h[previous + j]
          trace.o[next + j] = m * candidate[j] + (1 - m) * (zeroOutput ? 0 : trace.o[previous + j])
          if cell == .lstm { trace.c[next + j] = m * carry[j] + (1 - m) * trace.c[previous + j] }
        }
      }
    }
    return trace
  }

  /// Backpropagation through time: given the gradients of the outputs after each processing step
  /// (`outputGradient`, `(T, N, units)`) and of the final states (`stateGradient`, `carryGradient`, `(N, units)`),
  /// adds the gradient of the input projections `(N, T, G units)` to `projectionGradient` and returns those of the
  /// initial states (`h`, `c`).
  @discardableResult
  func backpropagate(
    _ trace: Trace, outputGradient: [Float], stateGradient: [Float], carryGradient: [Float],
    projectionGradient: UnsafeMutablePointer<Float>
  ) -> (state: [Float], carry: [Float]) {
    let (u, width) = (units, width)
    let (batch, steps) = (trace.batch, trace.steps)
    let cell = recurrence.cell
    let act = recurrence.activation
    let gate = recurrence.recurrentActivation
    let passOutput: Float = recurrence.zeroOutputForMask ? 0 : 1
    var dh = stateGradient
    var dc = cell == .lstm ? carryGradient : []
    var dPreviousOutput = [Float](repeating: 0, count: batch * u)
    var dxm = [Float](repeating: 0, count: width)
    var dhm = [Float](repeating: 0, count: width)
    var dCandidate = [Float](repeating: 0, count: u)
    var reset = [Float](repeating: 0, count: u)
    var dReset = [Float](repeating: 0, count: u)
    for s in (0..<steps).reversed() {
      let t = trace.order[s]
      var nextDh = [Float](repeating: 0, count: batch * u)
      var nextDc = cell == .lstm ? [Float](repeating: 0, count: batch * u) : []
      for n in 0..<batch {
        let m = trace.mask[s * batch + n]
        let gates = (s * batch + n) * width
        let previous = (s * batch + n) * u
        let next = ((s + 1) * batch + n) * u
        let state = n * u
        for j in 0..<u {
          let dOutput = outputGradient[(s * batch + n) * u + j] + dPreviousOutput[state + j]
          dCandidate[j] = m * (dh[state + j] + dOutput)
          nextDh[state + j] = (1 - m) * dh[state + j]
          dPreviousOutput[state + j] = (1 - m) * passOutput * dOutput
        }
        if m == 0 {
          if cell == .lstm { for j in 0..<u { nextDc[state + j] = dc[state + j] } }
          continue
        }
        switch cell {
        case .simple:
          for j in 0..<u {
            dxm[j] = dCandidate[j] * ActivationMath.derivative(act, trace.xm[gates + j] + trace.hm[gates + j])
            dhm[j] = dxm[j]
          }
        case .lstm:
          for j in 0..<u {
            let a = { (block: Int) in trace.xm[gates + block * u + j] + trace.hm[gates + block * u + j] }
            let i = ActivationMath.value(gate, a(0))
            let forget = ActivationMath.value(gate, a(1))
            let g = ActivationMath.value(act, a(2))
            let o = ActivationMath.value(gate, a(3))
            let carry = trace.c[next + j]
            let dCarry = dc[state + j] + dCandidate[j] * o * ActivationMath.derivative(act, carry)
            dxm[j] = dCarry * g * ActivationMath.derivative(gate, a(0))
            dxm[u + j] = dCarry * trace.c[previous + j] * ActivationMath.derivative(gate, a(1))
            dxm[2 * u + j] = dCarry * i * ActivationMath.derivative(act, a(2))
            dxm[3 * u + j] = dCandidate[j] * ActivationMath.value(act, carry) * ActivationMath.derivative(gate, a(3))
            nextDc[state + j] = dCarry * forget
          }
          for j in 0..<width { dhm[j] = dxm[j] }
        case .gru, .gruResetBefore:
          for j in 0..<u {
            let pz = trace.xm[gates + j] + trace.hm[gates + j]
            let pr = trace.xm[gates + u + j] + trace.hm[gates + u + j]
            let z = ActivationMath.value(gate, pz)
            reset[j] = ActivationMath.value(gate, pr)
            let recurrentPart = trace.hm[gates + 2 * u + j]
            let ph = trace.xm[gates + 2 * u + j] + (cell == .gru ? reset[j] * recurrentPart : recurrentPart)
            let g = ActivationMath.value(act, ph)
            let hPrevious = trace.h[previous + j]
            let dz = dCandidate[j] * (hPrevious - g)
            let dph = dCandidate[j] * (1 - z) * ActivationMath.derivative(act, ph)
            nextDh[state + j] += dCandidate[j] * z
            dxm[j] = dz * ActivationMath.derivative(gate, pz)
            dxm[2 * u + j] = dph
            if cell == .gru {
              dReset[j] = dph * recurrentPart
              dhm[2 * u + j] = dph * reset[j]
            } else {
              dhm[2 * u + j] = 0
            }
          }
          if cell == .gruResetBefore {
            // (r h) U_h: the gradient of r h is dph U_hᵀ.
            for k in 0..<u {
              var sum: Float = 0
              for j in 0..<u { sum += dxm[2 * u + j] * recurrentKernel[k * width + 2 * u + j] }
              dReset[k] = sum * trace.h[previous + k]
              nextDh[state + k] += sum * reset[k]
            }
          }
          for j in 0..<u {
            let pr = trace.xm[gates + u + j] + trace.hm[gates + u + j]
            dxm[u + j] = dReset[j] * ActivationMath.derivative(gate, pr)
            dhm[j] = dxm[j]
            dhm[u + j] = dxm[u + j]
          }
        }
        let row = projectionGradient + (n * steps + t) * width
        for j in 0..<width { row[j] += dxm[j] }
        for k in 0..<u {
          var sum: Float = 0
          for j in 0..<width { sum += dhm[j] * recurrentKernel[k * width + j] }
          nextDh[state + k] += sum
        }
      }
      dh = nextDh
      dc = nextDc
    }
    return (dh, dc)
  }
}

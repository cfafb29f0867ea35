import Foundation
import KerasGraph

extension PlainKernels {
  /// `Reduce`: mean, max, sum or min over `axes` (non-negative), with TensorFlow's gradients: a sum's gradient is
  /// `dy` for every element, a mean's `dy / count`, and a max's or min's `dy / ties` for each element equal to
  /// the result (`reduce_max` splits the gradient equally among tied maxima).
  static func reduce(
    _ operation: ReduceOperation, axes: [Int], label: String, input: Int, outputShape: [Int], builder: PlanBuilder
  ) throws -> Int {
    let shape = builder.values[input].shape
    let reduced = Set(axes)
    let keptShape = shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
    let target = broadcastIndex(from: keptShape, to: shape)
    let count = shape.reduce(1, *)
    let outputCount = keptShape.reduce(1, *)
    guard outputShape.reduce(1, *) == outputCount else {
      throw TensorError.invalidShape(shape: outputShape, detail: "does not hold the reduction of \(shape) in \(label)")
    }
    let size = Float(count / max(outputCount, 1))
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: outputShape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        switch operation {
        case .sum, .mean:
          for o in 0..<outputCount { output[o] = 0 }
          for i in 0..<count { output[target[i]] += x[i] }
          if operation == .mean { for o in 0..<outputCount { output[o] /= size } }
        case .max:
          for o in 0..<outputCount { output[o] = -.infinity }
          for i in 0..<count where x[i] > output[target[i]] || x[i].isNaN { output[target[i]] = x[i] }
        case .min:
          for o in 0..<outputCount { output[o] = .infinity }
          for i in 0..<count where x[i] < output[target[i]] || x[i].isNaN { output[target[i]] = x[i] }
        }
      },
      backward: { inputs, output, dy, dx in
        let x = inputs[0]
        switch operation {
        case .sum:
          for i in 0..<count { dx[0][i] = dy[target[i]] }
        case .mean:
          for i in 0..<count { dx[0][i] = dy[target[i]] / size }
        case .max, .min:
          var ties = [Float](repeating: 0, count: outputCount)
          for i in 0..<count where x[i] == output[target[i]] { ties[target[i]] += 1 }
          for i in 0..<count where x[i] == output[target[i]] { dx[0][i] = 1 / ties[target[i]] * dy[target[i]] }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// `Elementwise`: sqrt, square, log, abs, clipping and the tanh form of GELU, with TensorFlow's gradients.
  static func elementwise(_ config: Elementwise, label: String, input: Int, builder: PlanBuilder) throws -> Int {
    let shape = builder.values[input].shape
    let count = shape.reduce(1, *)
    let lower = config.minimum ?? -.infinity
    let upper = config.maximum ?? .infinity
    let function = config.function
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: shape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        switch function {
        case .sqrt: for i in 0..<count { output[i] = x[i].squareRoot() }
        case .square: for i in 0..<count { output[i] = x[i] * x[i] }
        case .log: for i in 0..<count { output[i] = Foundation.log(x[i]) }
        case .abs: for i in 0..<count { output[i] = Swift.abs(x[i]) }
        case .clip: for i in 0..<count { output[i] = Swift.min(Swift.max(x[i], lower), upper) }
        case .geluTanh: for i in 0..<count { output[i] = geluTanh(x[i]).value }
        }
      },
      backward: { inputs, output, dy, dx in
        let x = inputs[0]
        switch function {
        case .sqrt: for i in 0..<count { dx[0][i] = 0.5 * dy[i] / output[i] }
        case .square: for i in 0..<count { dx[0][i] = dy[i] * (2 * x[i]) }
        case .log: for i in 0..<count { dx[0][i] = dy[i] * (1 / x[i]) }
        case .abs: for i in 0..<count { dx[0][i] = x[i] > 0 ? dy[i] : (x[i] < 0 ? -dy[i] : 0) }
        case .clip: for i in 0..<count { dx[0][i] = x[i] >= lower && x[i] <= upper ? dy[i] : 0 }
        case .geluTanh: for i in 0..<count { dx[0][i] = dy[i] * geluTanh(x[i]).derivative }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// `0.5 x (1 + tanh(u))` with `u = sqrt(2 / pi) (x + 0.044715 x^3)`, as `tf.nn.gelu(approximate=True)`
  /// computes it, and its derivative `0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2 / pi) (1 + 3 * 0.044715 x^2)`.
  static func geluTanh(_ x: Float) -> (value: Float, derivative: Float) {
    let c: Float = 0.7978845608028654
    let t = Foundation.tanh(c * (x + 0.044715 * (x * x * x)))
    let value = 0.5 * x * (1 + t)
    let derivative = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    return (value, derivative)
  }
}

extension PlainKernels {
  /// `Stack`: `output[o, k, i] = inputs[k][o, i]`, with `o` running over the axes before the new axis `axis` and
  /// `i` over the rest; input `k`'s gradient is its slice `dy[o, k, i]`.
  static func stack(axis: Int, label: String, inputs: [Int], outputShape: [Int], builder: PlanBuilder) throws -> Int {
    let shape = builder.values[inputs[0]].shape
    guard inputs.allSatisfy({ builder.values[$0].shape == shape }), axis >= 1, axis <= shape.count else {
      throw TensorError.invalidShape(shape: shape, detail: "cannot be stacked on axis \(axis) in \(label)")
    }
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[axis...].reduce(1, *)
    let count = inputs.count
    let step = try PlainStep(
      label: label, inputs: inputs, outputShape: outputShape, builder: builder,
      forward: { inputs, output in
        for o in 0..<outer {
          for k in 0..<count { (output + (o * count + k) * inner).update(from: inputs[k] + o * inner, count: inner) }
        }
      },
      backward: { _, _, dy, dx in
        for o in 0..<outer {
          for k in 0..<count { (dx[k] + o * inner).update(from: dy + (o * count + k) * inner, count: inner) }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// A strided window of the input (a slice, a part of a split): `output[o] = input[offset + sum_k o_k *
  /// sourceStrides[k]]` (a stride may be negative, or 0 for a new axis of size 1); the gradient is scattered back.
  static func stridedGather(
    offset: Int, sourceStrides: [Int], label: String, input: Int, outputShape: [Int], builder: PlanBuilder
  ) throws -> Int {
    let inputCount = builder.values[input].shape.reduce(1, *)
    let gather = gatherIndex(shape: outputShape, sourceStrides: sourceStrides).map { $0 + offset }
    guard gather.allSatisfy({ $0 >= 0 && $0 < inputCount }) else {
      throw TensorError.invalidShape(
        shape: builder.values[input].shape, detail: "does not hold the window \(outputShape) read in \(label)")
    }
    return try gatherStep(gather, label: label, input: input, outputShape: outputShape, builder: builder)
  }
}

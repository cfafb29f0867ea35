import Foundation
import KerasGraph

extension PlainKernels {
  /// How a masked softmax treats the masked positions (Keras's `Softmax(x, mask)`).
  enum SoftmaxMasking {
    /// Keras 3: `where(mask, x, -1e9)`, softmax, then `where(mask, y, 0)` (a fully masked row gives zeros).
    case replaceAndZero
    /// Keras 3's fused `dot_product_attention`: `where(mask, x, large negative)`, softmax (a fully masked row
    /// gives the uniform distribution).
    case replace
    /// tf-keras: `x + (1 - mask) * -1e9`, softmax (a fully masked row gives the softmax of the shifted scores).
    case add
  }

  /// `exp(x) / sum(exp(x))` over `axes` (any number, any position), Keras's `exp(x - logsumexp(x, axes))`, with
  /// an optional mask: a `(mask value, shape)` whose shape has the input's rank with 1s where it broadcasts (its
  /// data is the mask value's, row-major), nonzero where a position counts (Keras casts masks to booleans). The gradient is
  /// `dx = y (dy - sum(dy y))` per softmax group (0 at replaced positions, whose `y` is 0 unless the whole
  /// group is masked, where `replaceAndZero` zeroes `y` and `replace` keeps the uniform row, whose gradient goes to
  /// the constant and so is dropped).
  static func softmax(
    axes: [Int], label: String, input: Int, mask: (value: Int, shape: [Int])? = nil,
    masking: SoftmaxMasking = .replaceAndZero, builder: PlanBuilder
  ) throws -> Int {
    let shape = builder.values[input].shape
    let groups = groups(shape: shape, axes: axes)
    let group = groups.statistics
    let groupCount = groups.count
    let count = shape.reduce(1, *)
    var maskIndex: [Int]?
    var inputs = [input]
    if let mask {
      guard mask.shape.count == shape.count, zip(mask.shape, shape).allSatisfy({ $0 == $1 || $0 == 1 }),
        mask.shape.reduce(1, *) == builder.values[mask.value].shape.reduce(1, *)
      else {
        throw TensorError.invalidShape(shape: mask.shape, detail: "mask does not broadcast to \(shape) in \(label)")
      }
      maskIndex = broadcastIndex(from: mask.shape, to: shape)
      inputs.append(mask.value)
    }
    let largeNegative: Float = -1e9
    func shifted(_ inputs: [UnsafePointer<Float>], _ i: Int) -> Float {
      guard let maskIndex else { return inputs[0][i] }
      let keep = inputs[1][maskIndex[i]]
      switch masking {
      case .replaceAndZero, .replace: return keep != 0 ? inputs[0][i] : largeNegative
      case .add: return inputs[0][i] + (keep != 0 ? 0 : largeNegative)
      }
    }
    let zeroesMasked = maskIndex != nil && masking == .replaceAndZero
    let replaces = maskIndex != nil && masking != .add
    let step = try PlainStep(
      label: label, inputs: inputs, outputShape: shape, builder: builder,
      forward: { inputs, output in
        var maximum = [Float](repeating: -.infinity, count: groupCount)
        for i in 0..<count { maximum[group[i]] = max(maximum[group[i]], shifted(inputs, i)) }
        var sum = [Float](repeating: 0, count: groupCount)
        for i in 0..<count {
          let e = exp(shifted(inputs, i) - maximum[group[i]])
          output[i] = e
          sum[group[i]] += e
        }
        for i in 0..<count { output[i] /= sum[group[i]] }
        if zeroesMasked, let maskIndex {
          for i in 0..<count where inputs[1][maskIndex[i]] == 0 { output[i] = 0 }
        }
      },
      backward: { inputs, output, dy, dx in
        // With Keras 3's masking the output's masked entries are 0, so sum(dy y) and y (dy - sum) skip them.
        var dot = [Float](repeating: 0, count: groupCount)
        for i in 0..<count { dot[group[i]] += dy[i] * output[i] }
        for i in 0..<count { dx[0][i] = output[i] * (dy[i] - dot[group[i]]) }
        if replaces, let maskIndex {
          for i in 0..<count where inputs[1][maskIndex[i]] == 0 { dx[0][i] = 0 }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }
}

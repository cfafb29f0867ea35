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
    if mask == nil, !axes.isEmpty, axes.sorted() == Array((shape.count - axes.count)..<shape.count) {
      // Unmasked over the trailing axes (attention scores): oneDNN's softmax over the rows.
      let step = try SoftmaxStep(
        label: label, input: input, rowLength: axes.reduce(1) { $0 * shape[$1] }, builder: builder)
      builder.steps.append(step)
      return step.outputs[0]
    }
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

extension PlainKernels {
  /// Keras's `glu` over the last axis: `a * sigmoid(b)` for the halves `a`, `b` of `x` (Dauphin et al. 2016,
  /// arXiv 1612.08083); the output has half the last size.
  static func gatedLinearUnit(label: String, input: Int, builder: PlanBuilder) throws -> Int {
    let shape = builder.values[input].shape
    let width = shape.last ?? 0
    guard width % 2 == 0 else {
      throw TensorError.invalidShape(shape: shape, detail: "glu needs an even last axis in \(label)")
    }
    let half = width / 2
    let rows = shape.reduce(1, *) / max(width, 1)
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: Array(shape.dropLast()) + [half], builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        for r in 0..<rows {
          for j in 0..<half {
            output[r * half + j] = x[r * width + j] * ActivationMath.sigmoid(x[r * width + half + j])
          }
        }
      },
      backward: { inputs, _, dy, dx in
        let x = inputs[0]
        for r in 0..<rows {
          for j in 0..<half {
            let a = x[r * width + j]
            let s = ActivationMath.sigmoid(x[r * width + half + j])
            let g = dy[r * half + j]
            dx[0][r * width + j] = g * s
            dx[0][r * width + half + j] = g * a * s * (1 - s)
          }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// Keras's `sparsemax` over the last axis (after Martins & Astudillo 2016, arXiv 1602.02068), as Keras 3
  /// computes it: with `s` the values sorted in descending order, `C` their cumulative sums and the support `S` the
  /// positions `p` where `s_p > (C_p - 1) / (p + 1)` (`k` of them), `tau = (sum_{p in S} C_p - 1) / k` and
  /// `y = max(x - tau, 0)`. Keras sums the cumulative sums over the support where the paper takes `C_{k-1}`, so its
  /// outputs do not sum to 1; kerasvis follows Keras. The gradient is TensorFlow's of that formula:
  /// `dx_j = [y_j > 0] dy_j - (sum_i [y_i > 0] dy_i) (k - r_j) / k` for the sorted rank `r_j < k`.
  static func sparsemax(label: String, input: Int, builder: PlanBuilder) throws -> Int {
    let shape = builder.values[input].shape
    let width = shape.last ?? 0
    let rows = shape.reduce(1, *) / max(width, 1)
    /// The row's descending order and support size.
    func analysed(_ x: UnsafePointer<Float>, row r: Int) -> (order: [Int], support: Int, tau: Float) {
      let order = (0..<width).sorted {
        x[r * width + $0] > x[r * width + $1] || (x[r * width + $0] == x[r * width + $1] && $0 < $1)
      }
      var cumulative: Float = 0
      var supportSum: Float = 0
      var support = 0
      for (position, index) in order.enumerated() {
        let value = x[r * width + index]
        cumulative += value
        if value - (cumulative - 1) / Float(position + 1) > 0 {
          supportSum += cumulative
          support += 1
        }
      }
      return (order, support, (supportSum - 1) / Float(max(support, 1)))
    }
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: shape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        for r in 0..<rows {
          let tau = analysed(x, row: r).tau
          for j in 0..<width { output[r * width + j] = max(x[r * width + j] - tau, 0) }
        }
      },
      backward: { inputs, output, dy, dx in
        let x = inputs[0]
        for r in 0..<rows {
          let (order, support, _) = analysed(x, row: r)
          var total: Float = 0
          for j in 0..<width where output[r * width + j] > 0 {
            dx[0][r * width + j] = dy[r * width + j]
            total += dy[r * width + j]
          }
          for (rank, index) in order.enumerated() where rank < support {
            dx[0][r * width + index] -= total * Float(support - rank) / Float(support)
          }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }
}

import Foundation
import KerasGraph

extension PlainKernels {
  /// The second operand of an einsum: another plan value, or a constant (a layer's kernel) of the given shape.
  enum EinsumOperand {
    case value(Int)
    case constant([Float], shape: [Int])
  }

  /// How an einsum runs as one batched matrix product `C[b] = A[b] B[b]`: each operand gathered into
  /// `(batch, m, k)` and `(batch, k, n)` (batch letters, then the free letters, then the summed ones), the
  /// product's `(batch, m, n)` elements scattered to the output's axis order.
  struct EinsumLayout {
    var batch: Int
    var rows: Int
    var inner: Int
    var columns: Int
    /// For each element of the gathered `A`, its offset in the first operand.
    var lhsGather: [Int]
    /// For each element of the gathered `B`, its offset in the second operand.
    var rhsGather: [Int]
    /// For each element of `C`, its offset in the output.
    var outputScatter: [Int]

    init(_ equation: EinsumEquation, lhsShape: [Int], rhsShape: [Int]) throws {
      let lhs = equation.lhs
      let rhs = equation.rhs
      let output = equation.output
      let batchLetters = output.filter { lhs.contains($0) && rhs.contains($0) }
      let rowLetters = output.filter { lhs.contains($0) && !rhs.contains($0) }
      let columnLetters = output.filter { rhs.contains($0) && !lhs.contains($0) }
      let summed = lhs.filter { rhs.contains($0) && !output.contains($0) }
      var size: [Character: Int] = [:]
      for (letters, shape) in [(lhs, lhsShape), (rhs, rhsShape)] {
        for (letter, extent) in zip(letters, shape) {
          if let known = size[letter], known != extent {
            throw TensorError.invalidShape(
              shape: lhsShape,
              detail: "einsum \(equation): axis '\(letter)' is \(known) and \(extent) (with \(rhsShape))")
          }
          size[letter] = extent
        }
      }
      func extent(_ letters: [Character]) -> Int { letters.reduce(1) { $0 * (size[$1] ?? 1) } }
      batch = extent(batchLetters)
      rows = extent(rowLetters)
      inner = extent(summed)
      columns = extent(columnLetters)
      func gather(_ order: [Character], from letters: [Character], shape: [Int]) -> [Int] {
        let operandStrides = PlainKernels.strides(shape)
        let strideOf = Dictionary(uniqueKeysWithValues: zip(letters, operandStrides))
        return PlainKernels.gatherIndex(
          shape: order.map { size[$0] ?? 1 }, sourceStrides: order.map { strideOf[$0] ?? 0 })
      }
      lhsGather = gather(batchLetters + rowLetters + summed, from: lhs, shape: lhsShape)
      rhsGather = gather(batchLetters + summed + columnLetters, from: rhs, shape: rhsShape)
      outputScatter = gather(
        batchLetters + rowLetters + columnLetters, from: output, shape: output.map { size[$0] ?? 1 })
    }
  }

  /// Runs `body` over `0..<count` split into contiguous ranges, on every core at once (the matrix products of
  /// attention layers; each range writes its own rows).
  static func parallelRanges(_ count: Int, minimumWork: Int, _ body: (Range<Int>) -> Void) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    guard cores > 1, count > 1, minimumWork >= 1 << 15 else { return body(0..<count) }
    let chunks = min(count, cores * 2)
    withoutActuallyEscaping(body) { body in
      let work = UncheckedSendable(body)
      DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = count * chunk / chunks
        let end = count * (chunk + 1) / chunks
        if start < end { work.value(start..<end) }
      }
    }
  }

  /// `C[b] += A[b] B[b]` for row-major `A (batch, m, k)`, `B (batch, k, n)`, `C (batch, m, n)`.
  static func multiply(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, batch: Int, m: Int,
    k: Int, n: Int
  ) {
    let (a, b, c) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
    parallelRanges(batch * m, minimumWork: batch * m * k * n) { rows in
      for row in rows {
        let (p, i) = (row / m, row % m)
        let a = a.value + p * m * k
        let b = b.value + p * k * n
        let output = c.value + p * m * n + i * n
        for l in 0..<k {
          let factor = a[i * k + l]
          if factor == 0 { continue }
          let source = b + l * n
          for j in 0..<n { output[j] += factor * source[j] }
        }
      }
    }
  }

  /// `A'[b] += C[b] B[b]^T` (the gradient of `A` from that of `C`): `C (batch, m, n)`, `B (batch, k, n)`.
  static func multiplyTransposed(
    _ c: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into a: UnsafeMutablePointer<Float>, batch: Int, m: Int,
    k: Int, n: Int
  ) {
    let (a, b, c) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
    parallelRanges(batch * m, minimumWork: batch * m * k * n) { rows in
      for row in rows {
        let (p, i) = (row / m, row % m)
        let c = c.value + p * m * n + i * n
        let b = b.value + p * k * n
        let output = a.value + p * m * k + i * k
        for l in 0..<k { output[l] += dot(c, b + l * n, count: n) }
      }
    }
  }

  /// `B'[b] += A[b]^T C[b]` (the gradient of `B` from that of `C`): `A (batch, m, k)`, `C (batch, m, n)`.
  static func transposedMultiply(
    _ a: UnsafePointer<Float>, _ c: UnsafePointer<Float>, into b: UnsafeMutablePointer<Float>, batch: Int, m: Int,
    k: Int, n: Int
  ) {
    let (a, b, c) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
    // Each range owns rows l of B: the sum over i stays inside one thread.
    parallelRanges(batch * k, minimumWork: batch * m * k * n) { rows in
      for row in rows {
        let (p, l) = (row / k, row % k)
        let a = a.value + p * m * k
        let c = c.value + p * m * n
        let output = b.value + p * k * n + l * n
        for i in 0..<m {
          let factor = a[i * k + l]
          if factor == 0 { continue }
          let source = c + i * n
          for j in 0..<n { output[j] += factor * source[j] }
        }
      }
    }
  }

  /// `sum_j x[j] y[j]` in eight float32 lanes (then their sum), which the compiler vectorizes.
  @inline(__always) static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD8<Float>()
    var j = 0
    while j + 8 <= count {
      lanes +=
        UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
        * UnsafeRawPointer(y + j).loadUnaligned(as: SIMD8<Float>.self)
      j += 8
    }
    var sum = lanes.sum()
    while j < count {
      sum += x[j] * y[j]
      j += 1
    }
    return sum
  }

  /// `y = scale * einsum(equation, lhs, rhs) + bias` (bias right-aligned against the output, NumPy broadcasting),
  /// with the gradients of both operands (a constant operand gets none). The einsum runs as one batched matrix
  /// product (`EinsumLayout`).
  static func einsum(
    _ equation: EinsumEquation, label: String, lhs: Int, rhs: EinsumOperand, scale: Float = 1,
    bias: (values: [Float], shape: [Int])? = nil, builder: PlanBuilder
  ) throws -> Int {
    let lhsShape = builder.values[lhs].shape
    let rhsShape: [Int]
    var inputs = [lhs]
    var constant: [Float]?
    switch rhs {
    case .value(let id):
      rhsShape = builder.values[id].shape
      inputs.append(id)
    case .constant(let values, let shape):
      rhsShape = shape
      constant = values
      guard values.count == shape.reduce(1, *) else {
        throw TensorError.invalidShape(shape: shape, detail: "holds \(values.count) values in \(label)")
      }
    }
    let layout = try EinsumLayout(equation, lhsShape: lhsShape, rhsShape: rhsShape)
    let outputShape = try equation.outputShape(lhs: lhsShape, rhs: rhsShape).map { $0 ?? 1 }
    let biasIndex = try bias.map { bias -> [Int] in
      guard bias.shape.count <= outputShape.count,
        zip(bias.shape.reversed(), outputShape.reversed()).allSatisfy({ $0 == $1 || $0 == 1 }),
        bias.values.count == bias.shape.reduce(1, *)
      else {
        throw TensorError.invalidShape(
          shape: bias.shape, detail: "bias does not broadcast to \(outputShape) in \(label)")
      }
      return broadcastIndex(from: bias.shape, to: outputShape)
    }
    let biasValues = bias?.values ?? []
    let (batch, m, k, n) = (layout.batch, layout.rows, layout.inner, layout.columns)
    let lhsGather = layout.lhsGather
    let rhsGather = layout.rhsGather
    let scatter = layout.outputScatter
    let gatheredConstant = constant.map { values in rhsGather.map { values[$0] } }
    let step = try PlainStep(
      label: label, inputs: inputs, outputShape: outputShape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        let a = lhsGather.map { x[$0] }
        let b = gatheredConstant ?? rhsGather.map { inputs[1][$0] }
        var c = [Float](repeating: 0, count: batch * m * n)
        a.withUnsafeBufferPointer { a in
          b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
              multiply(a.baseAddress!, b.baseAddress!, into: c.baseAddress!, batch: batch, m: m, k: k, n: n)
            }
          }
        }
        for i in scatter.indices { output[scatter[i]] = scale * c[i] }
        if let biasIndex {
          for i in biasIndex.indices { output[i] += biasValues[biasIndex[i]] }
        }
      },
      backward: { inputs, _, dy, dx in
        let dc = scatter.map { scale * dy[$0] }
        let a = lhsGather.map { inputs[0][$0] }
        let b = gatheredConstant ?? rhsGather.map { inputs[1][$0] }
        var da = [Float](repeating: 0, count: a.count)
        dc.withUnsafeBufferPointer { dc in
          b.withUnsafeBufferPointer { b in
            da.withUnsafeMutableBufferPointer { da in
              multiplyTransposed(dc.baseAddress!, b.baseAddress!, into: da.baseAddress!, batch: batch, m: m, k: k, n: n)
            }
          }
        }
        for i in lhsGather.indices { dx[0][lhsGather[i]] += da[i] }
        guard gatheredConstant == nil else { return }
        var db = [Float](repeating: 0, count: b.count)
        a.withUnsafeBufferPointer { a in
          dc.withUnsafeBufferPointer { dc in
            db.withUnsafeMutableBufferPointer { db in
              transposedMultiply(a.baseAddress!, dc.baseAddress!, into: db.baseAddress!, batch: batch, m: m, k: k, n: n)
            }
          }
        }
        for i in rhsGather.indices { dx[1][rhsGather[i]] += db[i] }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }
}

/// A value handed to the threads of `parallelRanges`, each of which touches its own part of it.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

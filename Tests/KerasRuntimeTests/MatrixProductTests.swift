import Foundation
import KerasGraph
import TestSupport
import Testing

@testable import KerasRuntime

/// Einsums run as oneDNN matmuls over the operands' own strides (`EinsumViews`, `MatrixProduct`): direct where the
/// letters lie as matmul dimensions (transposing the product where that makes the destination row-major), staged
/// through row-major copies where they do not; the forward product and both gradient products, writing and adding.
@Suite("Einsum products on oneDNN's matmul equal direct sums")
struct MatrixProductTests {
  struct Case: CustomStringConvertible, Sendable {
    var equation: String
    var lhs: [Int]
    var rhs: [Int]
    /// Whether the forward product needs row-major copies (letters that do not lie as matmul dimensions).
    var staged: Bool
    var description: String { equation }
  }

  static let cases: [Case] = [
    Case(equation: "abc,cd->abd", lhs: [2, 5, 7], rhs: [7, 3], staged: false),  // EinsumDense
    Case(equation: "abc,cde->abde", lhs: [2, 5, 6], rhs: [6, 3, 4], staged: false),  // attention projections
    Case(equation: "aecd,abcd->acbe", lhs: [2, 5, 3, 4], rhs: [2, 6, 3, 4], staged: false),  // attention scores
    Case(equation: "acbe,aecd->abcd", lhs: [2, 3, 6, 5], rhs: [2, 5, 3, 4], staged: false),  // attention combine
    Case(equation: "abcd,cde->abe", lhs: [2, 6, 3, 4], rhs: [3, 4, 5], staged: false),  // attention output
    Case(equation: "abcd,abde->abce", lhs: [2, 3, 4, 5], rhs: [2, 3, 5, 6], staged: false),  // merged batch
    Case(equation: "abc,abd->cd", lhs: [3, 4, 5], rhs: [3, 4, 6], staged: false),  // two summed letters
    Case(equation: "ab,b->a", lhs: [4, 6], rhs: [6], staged: false),  // matrix-vector
    Case(equation: "ab,ab->a", lhs: [5, 7], rhs: [5, 7], staged: false),  // batched dot products
    Case(equation: "ba,ca->abc", lhs: [4, 3], rhs: [5, 3], staged: false),  // batch letter innermost
    Case(equation: "bac,cd->abd", lhs: [5, 2, 7], rhs: [7, 3], staged: true),  // rows in another order
  ]

  /// `einsum` in Float64, and the gradients of both operands for the output gradient `dy`, by one loop over every
  /// assignment of the letters.
  static func reference(_ equation: EinsumEquation, _ sizes: [Character: Int], lhs: [Float], rhs: [Float], dy: [Float])
    -> (y: [Double], dlhs: [Double], drhs: [Double])
  {
    let letters = Array(Set(equation.lhs + equation.rhs + equation.output)).sorted()
    func offset(_ axes: [Character], _ assignment: [Character: Int]) -> Int {
      axes.reduce(0) { $0 * (sizes[$1] ?? 1) + (assignment[$1] ?? 0) }
    }
    var y = [Double](repeating: 0, count: dy.count)
    var dlhs = [Double](repeating: 0, count: lhs.count)
    var drhs = [Double](repeating: 0, count: rhs.count)
    let total = letters.reduce(1) { $0 * (sizes[$1] ?? 1) }
    for flat in 0..<total {
      var assignment: [Character: Int] = [:]
      var rest = flat
      for letter in letters.reversed() {
        assignment[letter] = rest % (sizes[letter] ?? 1)
        rest /= sizes[letter] ?? 1
      }
      let (l, r, o) = (
        offset(equation.lhs, assignment), offset(equation.rhs, assignment), offset(equation.output, assignment)
      )
      y[o] += Double(lhs[l]) * Double(rhs[r])
      dlhs[l] += Double(dy[o]) * Double(rhs[r])
      drhs[r] += Double(lhs[l]) * Double(dy[o])
    }
    return (y, dlhs, drhs)
  }

  @Test("forward and gradient products, written and added, for every letter arrangement", arguments: cases)
  func products(_ testCase: Case) throws {
    let equation = try EinsumEquation(
      parsing: testCase.equation, lhsRank: testCase.lhs.count, rhsRank: testCase.rhs.count)
    let views = try EinsumViews(equation, lhsShape: testCase.lhs, rhsShape: testCase.rhs, label: testCase.equation)
    let sizes = views.lhs.sizes.merging(views.rhs.sizes) { first, _ in first }
    var generator = SeededGenerator(state: 2_026_120_7)
    func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1...1, using: &generator) } }
    let lhs = random(testCase.lhs.reduce(1, *))
    let rhs = random(testCase.rhs.reduce(1, *))
    let outputCount = views.outputShape.reduce(1, *)
    let dy = random(outputCount)
    let scale: Float = 0.5
    let bias = random(views.output.dims.last ?? 1)
    let expected = Self.reference(equation, sizes, lhs: lhs, rhs: rhs, dy: dy)
    let engine = try DNNLEngine.shared().engine
    let stream = try DNNLEngine.shared().makeStream()
    let (lhsBuffer, rhsBuffer, dyBuffer) = (
      AlignedBuffer(copying: lhs), AlignedBuffer(copying: rhs), AlignedBuffer(copying: dy)
    )
    // Sums of at most 35 products of values in [-1, 1] in float32 against float64: rounding only.
    let (rtol, atol): (Float, Float) = (1e-5, 1e-5)

    // y = scale * (lhs rhs) without bias (scale goes in a post-op), and lhs rhs + bias (bias per column).
    let scaled = try MatrixProduct(
      src: views.lhs, weights: views.rhs, dst: views.output, scale: scale, engine: engine, label: testCase.equation)
    #expect(scaled.isStaged == testCase.staged)
    let y = AlignedBuffer(byteCount: outputCount * 4)
    try scaled.run(src: lhsBuffer.pointer, weights: rhsBuffer.pointer, dst: y.pointer, engine: engine, stream: stream)
    expectAllClose(
      Array(UnsafeBufferPointer(start: y.floats, count: outputCount)), expected.y.map { Float($0) * scale },
      rtol: rtol, atol: atol, "\(testCase) scaled forward")
    let biased = try MatrixProduct(
      src: views.lhs, weights: views.rhs, dst: views.output, bias: bias, engine: engine, label: testCase.equation)
    try biased.run(src: lhsBuffer.pointer, weights: rhsBuffer.pointer, dst: y.pointer, engine: engine, stream: stream)
    expectAllClose(
      Array(UnsafeBufferPointer(start: y.floats, count: outputCount)),
      Self.withColumnBias(expected.y, bias: bias, views: views), rtol: rtol, atol: atol,
      "\(testCase) forward with bias")

    // dlhs = scale * dy rhs^T and drhs = scale * lhs^T dy, written, then added to what the buffer holds.
    for accumulate in [false, true] {
      let dlhs = AlignedBuffer(copying: [Float](repeating: 1, count: lhs.count))
      let drhs = AlignedBuffer(copying: [Float](repeating: 1, count: rhs.count))
      try MatrixProduct(
        src: views.output, weights: views.rhs.transposed, dst: views.lhs, scale: scale, accumulate: accumulate,
        engine: engine, label: testCase.equation
      ).run(src: dyBuffer.pointer, weights: rhsBuffer.pointer, dst: dlhs.pointer, engine: engine, stream: stream)
      try MatrixProduct(
        src: views.lhs.transposed, weights: views.output, dst: views.rhs, scale: scale, accumulate: accumulate,
        engine: engine, label: testCase.equation
      ).run(src: lhsBuffer.pointer, weights: dyBuffer.pointer, dst: drhs.pointer, engine: engine, stream: stream)
      let base: Float = accumulate ? 1 : 0
      expectAllClose(
        Array(UnsafeBufferPointer(start: dlhs.floats, count: lhs.count)),
        expected.dlhs.map { Float($0) * scale + base }, rtol: rtol, atol: atol, "\(testCase) lhs gradient")
      expectAllClose(
        Array(UnsafeBufferPointer(start: drhs.floats, count: rhs.count)),
        expected.drhs.map { Float($0) * scale + base }, rtol: rtol, atol: atol, "\(testCase) rhs gradient")
    }
  }

  /// `y + bias[column]`, the column of each output element numbered over the output's column letters.
  static func withColumnBias(_ y: [Double], bias: [Float], views: EinsumViews) -> [Float] {
    let output = views.output
    let columnLetters = output.groups[output.groups.count - 1]
    return y.indices.map { index in
      var column = 0
      for letter in columnLetters {
        let coordinate = index / (output.strides[letter] ?? 1) % (output.sizes[letter] ?? 1)
        column = column * (output.sizes[letter] ?? 1) + coordinate
      }
      return Float(y[index]) + bias[column]
    }
  }
}

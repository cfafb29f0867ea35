import KerasGraph

extension PlainKernels {
  /// The second operand of an einsum: another plan value, or a constant (a layer's kernel) of the given shape.
  enum EinsumOperand {
    case value(Int)
    case constant([Float], shape: [Int])
  }

  /// `y = scale * einsum(equation, lhs, rhs) + bias` (bias right-aligned against the output, NumPy broadcasting),
  /// with the gradients of both operands (a constant operand gets none), as one oneDNN matmul (`EinsumStep`).
  static func einsum(
    _ equation: EinsumEquation, label: String, lhs: Int, rhs: EinsumOperand, scale: Float = 1,
    bias: (values: [Float], shape: [Int])? = nil, builder: PlanBuilder
  ) throws -> Int {
    let step = try EinsumStep(
      label: label, equation: equation, lhs: lhs, rhs: rhs, scale: scale, bias: bias, builder: builder)
    builder.steps.append(step)
    return step.outputs[0]
  }
}

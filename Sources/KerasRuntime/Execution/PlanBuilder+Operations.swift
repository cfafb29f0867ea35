import KerasGraph

extension PlanBuilder {
  /// Lowers the kinds TensorFlow functions and Keras 3 operations on tensors import as: `Stack`, `Split` (one
  /// strided window per part), `StridedSlice` (one strided window) and `MatMul` (a batched einsum).
  func lowerTensorOperation(call: FlatCall, inputs: [Int], outputShapes: [[Int]]) throws -> [Int] {
    let label = call.location.description
    let inputShape = values[inputs[0]].shape
    switch call.layer.kind {
    case let stack as Stack:
      return [
        try PlainKernels.stack(
          axis: try stack.normalizedAxis(inputRank: inputShape.count), label: label, inputs: inputs,
          outputShape: outputShapes[0], builder: self)
      ]

    case let split as Split:
      let axis = try normalizedAxis(split.axis, rank: inputShape.count)
      let inputStrides = PlainKernels.strides(inputShape)
      var start = 0
      return try outputShapes.enumerated().map { part, shape in
        defer { start += shape[axis] }
        return try PlainKernels.stridedGather(
          offset: start * inputStrides[axis], sourceStrides: inputStrides, label: "\(label) (part \(part))",
          input: inputs[0], outputShape: shape, builder: self)
      }

    case let slice as StridedSlice:
      let selection = try slice.selection(input: inputShape.map { Optional($0) })
      let inputStrides = PlainKernels.strides(inputShape)
      var offset = selection.indices.reduce(0) { $0 + $1.position * inputStrides[$1.inputAxis] }
      var sourceStrides: [Int] = []
      for axis in selection.axes {
        guard let inputAxis = axis.inputAxis else {
          sourceStrides.append(0)
          continue
        }
        offset += axis.start * inputStrides[inputAxis]
        sourceStrides.append(axis.step * inputStrides[inputAxis])
      }
      return [
        try PlainKernels.stridedGather(
          offset: offset, sourceStrides: sourceStrides, label: label, input: inputs[0], outputShape: outputShapes[0],
          builder: self)
      ]

    case let matmul as MatMul:
      let operand: PlainKernels.EinsumOperand
      let rhsRank: Int
      if let constant = matmul.constant, let shape = matmul.constantShape {
        operand = .constant(constant, shape: shape)
        rhsRank = shape.count
      } else {
        operand = .value(inputs[1])
        rhsRank = values[inputs[1]].shape.count
      }
      let equation = try matmul.einsum(lhsRank: inputShape.count, rhsRank: rhsRank)
      return [try PlainKernels.einsum(equation, label: label, lhs: inputs[0], rhs: operand, builder: self)]

    default:
      throw TensorError.unsupportedLayer(
        layer: call.location, detail: "the layer kind \(type(of: call.layer.kind)) is not a tensor operation")
    }
  }
}

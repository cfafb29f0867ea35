import CDNNL
import KerasGraph

/// `y = scale * einsum(equation, lhs, rhs) + bias` (EinsumDense, MultiHeadAttention's and Attention's products, Dot)
/// as one oneDNN matmul over the operands' own buffers: the letters in both operands and the output are its batch
/// dimensions, those of the first operand only its rows, of the second only its columns, the summed ones its inner
/// dimension (see `MatrixProduct`). The gradients are two more matmuls, `dlhs = dy rhs^T` and `drhs = lhs^T dy`
/// (scaled the same way). Inputs and output are plain (row-major).
final class EinsumStep: Step {
  private let lhsView: LetterView
  private let rhsView: LetterView
  private let outputView: LetterView
  private let scale: Float
  private let product: MatrixProduct
  /// The second operand when it is a constant (a layer's kernel, shared with the compiled model's other plans).
  private let constant: AlignedBuffer?
  /// A bias that is not one value per column of the product (or comes with a scale), added after it: the values and,
  /// for each output element, its bias element.
  private let broadcastBias: (values: [Float], index: [Int])?
  /// The gradient products of each operand: writing the first contribution, and adding later ones (made when needed).
  private var gradientProducts: [Int: (write: MatrixProduct, add: MatrixProduct?)] = [:]

  init(
    label: String, equation: EinsumEquation, lhs: Int, rhs: PlainKernels.EinsumOperand, scale: Float,
    bias: (values: [Float], shape: [Int])?, builder: PlanBuilder
  ) throws {
    let lhsInput = try builder.plain(lhs, label: label)
    let lhsShape = builder.values[lhsInput].shape
    var operands = [lhsInput]
    let rhsShape: [Int]
    switch rhs {
    case .value(let id):
      let rhsInput = try builder.plain(id, label: label)
      rhsShape = builder.values[rhsInput].shape
      operands.append(rhsInput)
      constant = nil
    case .constant(let values, let shape):
      guard values.count == shape.reduce(1, *) else {
        throw TensorError.invalidShape(shape: shape, detail: "holds \(values.count) values in \(label)")
      }
      rhsShape = shape
      constant = builder.sharedUserWeights(values, label: label, desc: try Desc.plain(keras: shape))
    }
    let views = try EinsumViews(equation, lhsShape: lhsShape, rhsShape: rhsShape, label: label)
    (lhsView, rhsView, outputView) = (views.lhs, views.rhs, views.output)
    let outputShape = views.outputShape
    let outputLetters = equation.output
    let columnLetters = views.output.groups[views.output.groups.count - 1]
    let outputPlain = LetterView(groups: [], letters: outputLetters, shape: outputShape)
    self.scale = scale
    // A bias of one value per column goes into the matmul; any other is added after it.
    var columnBias: [Float]?
    var broadcastBias: (values: [Float], index: [Int])?
    if let bias {
      guard bias.shape.count <= outputShape.count,
        zip(bias.shape.reversed(), outputShape.reversed()).allSatisfy({ $0 == $1 || $0 == 1 }),
        bias.values.count == bias.shape.reduce(1, *)
      else {
        throw TensorError.invalidShape(
          shape: bias.shape, detail: "bias does not broadcast to \(outputShape) in \(label)")
      }
      let index = PlainKernels.broadcastIndex(from: bias.shape, to: outputShape)
      let offset = outputShape.count - bias.shape.count
      let perColumn = outputLetters.enumerated().allSatisfy { axis, letter in
        columnLetters.contains(letter) || axis < offset || bias.shape[axis - offset] == 1
      }
      if perColumn && scale == 1 {
        // Column j's element: the output element at j with every other letter at 0.
        let columnShape = columnLetters.map { outputPlain.sizes[$0] ?? 1 }
        let positions = LetterView(groups: [], letters: columnLetters, shape: columnShape)
        columnBias = (0..<columnShape.reduce(1, *)).map { column in
          let offset = columnLetters.reduce(0) { sum, letter in
            let coordinate = column / (positions.strides[letter] ?? 1) % (positions.sizes[letter] ?? 1)
            return sum + coordinate * (outputPlain.strides[letter] ?? 0)
          }
          return bias.values[index[offset]]
        }
      } else {
        broadcastBias = (bias.values, index)
      }
    }
    self.broadcastBias = broadcastBias
    product = try MatrixProduct(
      src: lhsView, weights: rhsView, dst: outputView, scale: scale, bias: columnBias, engine: builder.engine,
      label: label, choices: builder.weightStore.choices)
    super.init(label: label)
    inputs = operands
    outputs = [try builder.newValue(shape: outputShape, desc: try Desc.plain(keras: outputShape), label: label)]
  }

  private func rhsPointer(_ plan: ExecutionPlan) -> UnsafeMutableRawPointer {
    constant?.pointer ?? plan.values[inputs[1]].buffer.pointer
  }

  override func forward(_ plan: ExecutionPlan) throws {
    let output = plan.values[outputs[0]].buffer
    try product.run(
      src: plan.values[inputs[0]].buffer.pointer, weights: rhsPointer(plan), dst: output.pointer, engine: plan.engine,
      stream: plan.stream)
    if let broadcastBias {
      let y = output.floats
      broadcastBias.values.withUnsafeBufferPointer { values in
        broadcastBias.index.withUnsafeBufferPointer { index in
          for i in index.indices { y[i] += values[index[i]] }
        }
      }
    }
  }

  /// The product writing (or, `accumulate`, adding) the gradient of operand `position` (0: lhs, 1: rhs).
  private func gradientProduct(_ position: Int, accumulate: Bool, plan: ExecutionPlan) throws -> MatrixProduct {
    let label = self.label + " (gradient \(position))"
    let choices = plan.weightStore.choices
    return position == 0
      ? try MatrixProduct(
        src: outputView, weights: rhsView.transposed, dst: lhsView, scale: scale, accumulate: accumulate,
        engine: plan.engine, label: label, choices: choices)
      : try MatrixProduct(
        src: lhsView.transposed, weights: outputView, dst: rhsView, scale: scale, accumulate: accumulate,
        engine: plan.engine, label: label, choices: choices)
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    for position in inputs.indices {
      gradientProducts[position] = (try gradientProduct(position, accumulate: false, plan: plan), nil)
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard plan.gradient(of: outputs[0]) != nil, let dy = plan.values[outputs[0]].gradient?.pointer else { return }
    let lhs = plan.values[inputs[0]].buffer.pointer
    let rhs = rhsPointer(plan)
    for (position, input) in inputs.enumerated() {
      guard let products = gradientProducts[position] else { continue }
      // dlhs = dy rhs^T, drhs = lhs^T dy.
      func run(_ product: MatrixProduct, into target: DNNLMemory) throws {
        let destination = try plan.dataHandle(target)
        if position == 0 {
          try product.run(src: dy, weights: rhs, dst: destination, engine: plan.engine, stream: plan.stream)
        } else {
          try product.run(src: lhs, weights: dy, dst: destination, engine: plan.engine, stream: plan.stream)
        }
      }
      try plan.accumulateGradient(
        into: input, produce: { try run(products.write, into: $0) },
        addInPlace: { target in
          let adding = try products.add ?? self.gradientProduct(position, accumulate: true, plan: plan)
          self.gradientProducts[position] = (products.write, adding)
          try run(adding, into: target)
        })
    }
  }
}

/// The letter views of an einsum's operands and output as one batched matrix product: the letters in both operands
/// and the output are its batch dimensions (neighbours merged where they lie as one dimension in all three tensors),
/// those of the first operand only its rows, of the second only its columns (both in the output's order), the summed
/// ones its inner dimension.
struct EinsumViews {
  /// `(batch..., rows, summed)` over the first operand.
  let lhs: LetterView
  /// `(batch..., summed, columns)` over the second operand.
  let rhs: LetterView
  /// `(batch..., rows, columns)` over the output.
  let output: LetterView
  let outputShape: [Int]

  /// `label` names the step in errors.
  init(_ equation: EinsumEquation, lhsShape: [Int], rhsShape: [Int], label: String) throws {
    guard equation.lhs.count == lhsShape.count, equation.rhs.count == rhsShape.count else {
      throw TensorError.invalidShape(
        shape: lhsShape, detail: "does not fit einsum \(equation) with \(rhsShape) in \(label)")
    }
    let sizes: [Character: Int?]
    do {
      sizes = try equation.letterSizes(lhs: lhsShape, rhs: rhsShape)
    } catch let problem as ShapeProblem {
      throw TensorError.invalidShape(shape: lhsShape, detail: problem.detail + " in \(label)")
    }
    outputShape = equation.output.map { (sizes[$0] ?? nil) ?? 1 }
    let (lhsLetters, rhsLetters, outputLetters) = (equation.lhs, equation.rhs, equation.output)
    let batchLetters = outputLetters.filter { lhsLetters.contains($0) && rhsLetters.contains($0) }
    let rowLetters = outputLetters.filter { lhsLetters.contains($0) && !rhsLetters.contains($0) }
    let columnLetters = outputLetters.filter { rhsLetters.contains($0) && !lhsLetters.contains($0) }
    let lhsPlain = LetterView(groups: [], letters: lhsLetters, shape: lhsShape)
    let rhsPlain = LetterView(groups: [], letters: rhsLetters, shape: rhsShape)
    let outputPlain = LetterView(groups: [], letters: outputLetters, shape: outputShape)
    // The summed letters in the first operand's order, or the second's where only that order lies as one dimension
    // in both.
    let summedInLhsOrder = lhsLetters.filter { rhsLetters.contains($0) && !outputLetters.contains($0) }
    let summedInRhsOrder = rhsLetters.filter { lhsLetters.contains($0) && !outputLetters.contains($0) }
    let summed =
      [summedInLhsOrder, summedInRhsOrder].first { order in
        lhsPlain.liesAsOneDimension(order) && rhsPlain.liesAsOneDimension(order)
      } ?? summedInLhsOrder
    var batchGroups: [[Character]] = []
    for letter in batchLetters {
      if let last = batchGroups.last,
        [lhsPlain, rhsPlain, outputPlain].allSatisfy({ $0.liesAsOneDimension(last + [letter]) })
      {
        batchGroups[batchGroups.count - 1].append(letter)
      } else {
        batchGroups.append([letter])
      }
    }
    func view(_ plain: LetterView, _ matrix: [[Character]]) -> LetterView {
      LetterView(groups: batchGroups + matrix, sizes: plain.sizes, strides: plain.strides)
    }
    lhs = view(lhsPlain, [rowLetters, summed])
    rhs = view(rhsPlain, [summed, columnLetters])
    output = view(outputPlain, [rowLetters, columnLetters])
  }
}

import CDNNL
import CDNNLShim

/// A weighted sum of same-shape tensors on oneDNN: `y = sum_i scale_i x_i` (Add, Average, CustomScaleLayer).
final class SumStep: Step {
  private let primitive: DNNLPrimitive
  private let scales: [Float]

  init(label: String, inputs sources: [Int], scales: [Float], builder: PlanBuilder) throws {
    self.scales = scales
    let layout = builder.values[sources[0]].desc
    let converted = try sources.map { try builder.converted($0, to: layout, label: label) }
    // The converted values' layouts equal `layout` (oneDNN's equality) but may be described differently (the
    // strides of a batch of 1); described alike, the sum gets oneDNN's optimized kernel instead of its reference one.
    let descs = converted.map { _ in layout }
    primitive = try withExtendedLifetime(descs) {
      try DNNLPrimitive(name: label) {
        kvdnnl_sum_create($0, builder.engine, layout.handle, Int32(descs.count), scales, handles(descs), nil)
      }
    }
    super.init(label: label)
    inputs = converted
    outputs = [try builder.newValue(shape: builder.values[sources[0]].shape, desc: layout, label: label)]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    var arguments: [(Int32, DNNLMemory)] = inputs.enumerated().map {
      (DNNL_ARG_MULTIPLE_SRC + Int32($0), plan.values[$1].memory)
    }
    arguments.append((DNNL_ARG_DST, plan.values[outputs[0]].memory))
    try primitive.execute(plan.stream, arguments)
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard plan.gradient(of: outputs[0]) != nil, let gradient = plan.values[outputs[0]].gradient else { return }
    let count = gradient.floatCount
    for (input, scale) in zip(inputs, scales) {
      try plan.accumulateGradient(into: input) { target in
        let dx = try plan.dataHandle(target).assumingMemoryBound(to: Float.self)
        let dy = gradient.floats
        for i in 0..<count { dx[i] = scale * dy[i] }
      }
    }
  }
}

/// An element-wise binary operation of two same-shape tensors on oneDNN (Subtract, Multiply, Maximum, Minimum).
final class BinaryStep: Step {
  enum Operation {
    case subtract, multiply, maximum, minimum

    /// oneDNN's binary algorithm.
    var algorithm: dnnl_alg_kind_t {
      switch self {
      case .subtract: return dnnl_binary_sub
      case .multiply: return dnnl_binary_mul
      case .maximum: return dnnl_binary_max
      case .minimum: return dnnl_binary_min
      }
    }
  }
  private let operation: Operation
  private let primitive: DNNLPrimitive

  init(label: String, lhs: Int, rhs: Int, operation: Operation, builder: PlanBuilder) throws {
    self.operation = operation
    let layout = builder.values[lhs].desc
    let right = try builder.converted(rhs, to: layout, label: label)
    primitive = try DNNLPrimitive(name: label) {
      kvdnnl_binary_create($0, builder.engine, operation.algorithm, layout.handle, layout.handle, layout.handle, nil)
    }
    super.init(label: label)
    inputs = [lhs, right]
    outputs = [try builder.newValue(shape: builder.values[lhs].shape, desc: layout, label: label)]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    try executeBinary(primitive, plan: plan, inputs: inputs, output: outputs[0])
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard plan.gradient(of: outputs[0]) != nil, let gradient = plan.values[outputs[0]].gradient else { return }
    let count = gradient.floatCount
    let dy = gradient.floats
    let x0 = plan.values[inputs[0]].buffer.floats
    let x1 = plan.values[inputs[1]].buffer.floats
    let operation = operation
    for (position, input) in inputs.enumerated() {
      try plan.accumulateGradient(into: input) { target in
        let dx = try plan.dataHandle(target).assumingMemoryBound(to: Float.self)
        switch (operation, position) {
        case (.subtract, 0): for i in 0..<count { dx[i] = dy[i] }
        case (.subtract, _): for i in 0..<count { dx[i] = -dy[i] }
        case (.multiply, 0): for i in 0..<count { dx[i] = dy[i] * x1[i] }
        case (.multiply, _): for i in 0..<count { dx[i] = dy[i] * x0[i] }
        // TensorFlow's Maximum/Minimum gradients give ties to the first operand.
        case (.maximum, 0): for i in 0..<count { dx[i] = x0[i] >= x1[i] ? dy[i] : 0 }
        case (.maximum, _): for i in 0..<count { dx[i] = x0[i] >= x1[i] ? 0 : dy[i] }
        case (.minimum, 0): for i in 0..<count { dx[i] = x0[i] <= x1[i] ? dy[i] : 0 }
        case (.minimum, _): for i in 0..<count { dx[i] = x0[i] <= x1[i] ? 0 : dy[i] }
        }
      }
    }
  }
}

/// `y = x * scale[c] + shift[c]` along the channel (last Keras) axis, or with one scalar scale and shift, on
/// oneDNN's binary primitive in any layout, with an optional fused activation. Inference BatchNormalization
/// (`scale = gamma / sqrt(variance + epsilon)`, `shift = beta - mean * scale`), Rescaling, Normalization,
/// LayerScale and arithmetic with constants all reduce to it.
final class ChannelAffineStep: Step {
  private let primitive: DNNLPrimitive
  /// The layout the primitives see the plain input, output and gradients in, or nil for the values' own layouts.
  private let rowsDesc: MemoryDesc?
  private let scale: (buffer: AlignedBuffer, memory: DNNLMemory)
  private let shift: (buffer: AlignedBuffer, memory: DNNLMemory)
  private let activation: DNNLActivation?
  private var backwardPrimitive: DNNLPrimitive?
  private var activationGradient: AlignedBuffer?
  private var activationGradientPrimitive: OutputGradientPrimitive?

  init(
    label: String, input: Int, scale scaleValues: [Float], shift shiftValues: [Float], activation: DNNLActivation?,
    builder: PlanBuilder
  ) throws {
    self.activation = activation
    let value = builder.values[input]
    // A plain tensor of rank 3 or more is seen as rows of channels (see `Desc.rows`).
    rowsDesc =
      value.shape.count >= 3 && value.isPlain ? try Desc.rows(of: value.shape, length: value.shape.last ?? 1) : nil
    let data = rowsDesc ?? value.desc
    let rank = Desc.dims(data).count
    // The constants broadcast along every axis but oneDNN's channel axis (1), or along all axes for a scalar.
    var broadcastDims = [Int](repeating: 1, count: rank)
    if scaleValues.count > 1 { broadcastDims[min(1, rank - 1)] = scaleValues.count }
    // Dense row-major strides: with all strides 1, oneDNN reads the constant as `bacd` and falls back to its
    // reference kernel (25x slower on DenseNet's BatchNormalizations after a Concatenate).
    let src1 = try Desc.strided(dims: broadcastDims, strides: PlainKernels.strides(broadcastDims))
    func constant(_ values: [Float]) throws -> (AlignedBuffer, DNNLMemory) {
      try constantMemory(values, desc: src1, engine: builder.engine)
    }
    scale = try constant(scaleValues)
    shift = try constant(
      shiftValues.count == scaleValues.count
        ? shiftValues : [Float](repeating: shiftValues.first ?? 0, count: scaleValues.count))
    var postOps: [DNNLPostOp] = [.binary(algorithm: dnnl_binary_add, operand: src1)]
    if let activation {
      postOps.append(.eltwise(algorithm: activation.algorithm, alpha: activation.alpha, beta: activation.beta))
    }
    let attributes = try DNNLAttributes(postOps: postOps)
    primitive = try DNNLPrimitive(name: label) {
      kvdnnl_binary_create(
        $0, builder.engine, dnnl_binary_mul, data.handle, src1.handle, data.handle, attributes.attributes)
    }
    super.init(label: label)
    inputs = [input]
    outputs = [try builder.newValue(shape: value.shape, desc: value.desc, label: label)]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    try primitive.execute(
      plan.stream,
      [
        (DNNL_ARG_SRC_0, try plan.view(plan.values[inputs[0]].memory, as: rowsDesc)), (DNNL_ARG_SRC_1, scale.memory),
        (DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | DNNL_ARG_SRC_1, shift.memory),
        (DNNL_ARG_DST, try plan.view(plan.values[outputs[0]].memory, as: rowsDesc)),
      ])
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    if let activation, activation.gradientFromOutput == nil {
      throw TensorError.unknownTap(detail: "\(label): the fused activation has no output-based gradient")
    }
    let data = rowsDesc ?? plan.values[outputs[0]].desc
    let src1 = scale.memory.desc
    backwardPrimitive = try DNNLPrimitive(name: label + " (backward)") {
      kvdnnl_binary_create($0, plan.engine, dnnl_binary_mul, data.handle, src1.handle, data.handle, nil)
    }
    if let activation {
      activationGradient = AlignedBuffer(byteCount: plan.values[outputs[0]].byteCount)
      activationGradientPrimitive = try OutputGradientPrimitive(
        activation, desc: plan.values[outputs[0]].desc, engine: plan.engine, label: label)
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard var gradient = plan.gradient(of: outputs[0]), let backwardPrimitive else { return }
    let output = plan.values[outputs[0]]
    if activation != nil, let buffer = activationGradient, let primitive = activationGradientPrimitive {
      let masked = try DNNLMemory(desc: output.desc, engine: plan.engine, pointer: buffer.pointer)
      try primitive.run(y: output.memory, dy: gradient, dx: masked, rule: plan.reluRule, stream: plan.stream)
      gradient = masked
    }
    try plan.accumulateGradient(into: inputs[0]) { target in
      try backwardPrimitive.execute(
        plan.stream,
        [
          (DNNL_ARG_SRC_0, try plan.view(gradient, as: rowsDesc)), (DNNL_ARG_SRC_1, scale.memory),
          (DNNL_ARG_DST, try plan.view(target, as: rowsDesc)),
        ])
    }
  }
}

/// `y = x0 op x1` where `x1` broadcasts over `x0` (size-1 axes: a squeeze-and-excitation's `(N, 1, 1, C)` scale
/// of an `(N, H, W, C)` feature map), on oneDNN's binary primitive in `x0`'s layout. Forward only: plans with
/// gradients compute broadcasting merges with `PlainKernels.broadcastBinary`, which has a backward pass.
final class BroadcastBinaryStep: Step {
  private let primitive: DNNLPrimitive

  init(label: String, lhs: Int, rhs: Int, operation: BinaryStep.Operation, builder: PlanBuilder) throws {
    let layout = builder.values[lhs].desc
    // The broadcast operand as a dense row-major tensor of oneDNN's dims (the layout oneDNN's jit kernels take).
    let dims = Desc.dnnlDims(keras: builder.values[rhs].shape)
    let right = try builder.converted(
      rhs, to: try Desc.strided(dims: dims, strides: PlainKernels.strides(dims)), label: label)
    let rightDesc = builder.values[right].desc
    primitive = try DNNLPrimitive(name: label) {
      kvdnnl_binary_create($0, builder.engine, operation.algorithm, layout.handle, rightDesc.handle, layout.handle, nil)
    }
    super.init(label: label)
    inputs = [lhs, right]
    outputs = [try builder.newValue(shape: builder.values[lhs].shape, desc: layout, label: label)]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    try executeBinary(primitive, plan: plan, inputs: inputs, output: outputs[0])
  }
}

/// Runs a binary primitive on the plan's values: `inputs[0] op inputs[1]` into `output`.
private func executeBinary(_ primitive: DNNLPrimitive, plan: ExecutionPlan, inputs: [Int], output: Int) throws {
  try primitive.execute(
    plan.stream,
    [
      (DNNL_ARG_SRC_0, plan.values[inputs[0]].memory), (DNNL_ARG_SRC_1, plan.values[inputs[1]].memory),
      (DNNL_ARG_DST, plan.values[output].memory),
    ])
}

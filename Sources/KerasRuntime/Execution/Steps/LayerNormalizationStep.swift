import CDNNL
import CDNNLShim

/// LayerNormalization over the trailing axes of a plain tensor on oneDNN's layer normalization, the tensor seen as
/// rows of those axes: `y = (x - mean) / sqrt(var + epsilon) * gamma + beta` per row (Ba et al. 2016, arXiv
/// 1607.06450), the biased variance, as Keras computes it. Training-mode plans keep each row's mean and variance
/// for the backward pass, which computes the input gradient only (gamma and beta are constants here).
final class LayerNormalizationStep: Step {
  private let primitive: DNNLPrimitive
  private let rowsDesc: MemoryDesc
  /// The layout of the rows' means and variances.
  private let statisticsDesc: MemoryDesc
  private let epsilon: Float
  private let scale: (buffer: AlignedBuffer, memory: DNNLMemory)
  private let shift: (buffer: AlignedBuffer, memory: DNNLMemory)
  /// The rows' means and variances from the last forward pass (plans with gradients).
  private let statistics: (mean: DNNLMemory, variance: DNNLMemory, buffers: [AlignedBuffer])?
  private var backwardPrimitive: DNNLPrimitive?
  /// Where a backward primitive that also computes the gradients of gamma and beta writes them (discarded).
  private var parameterGradients: (scale: DNNLMemory, shift: DNNLMemory, buffers: [AlignedBuffer])?

  /// `gamma` and `beta` hold one value per element of a row (the normalized axes' shape, row-major).
  init(label: String, input: Int, gamma: [Float], beta: [Float], epsilon: Float, builder: PlanBuilder) throws {
    let plain = try builder.plain(input, label: label)
    let shape = builder.values[plain].shape
    let length = gamma.count
    guard length > 0, beta.count == length, shape.reduce(1, *) % length == 0 else {
      throw TensorError.invalidShape(shape: shape, detail: "does not hold rows of \(length) in \(label)")
    }
    rowsDesc = try Desc.rows(of: shape, length: length)
    self.epsilon = epsilon
    let parameterDesc = try Desc.strided(dims: [length], strides: [1])
    scale = try constantMemory(gamma, desc: parameterDesc, engine: builder.engine)
    shift = try constantMemory(beta, desc: parameterDesc, engine: builder.engine)
    let data = rowsDesc
    let engine = builder.engine
    let propagation = builder.gradients ? dnnl_forward_training : dnnl_forward_inference
    let flags = Self.flags
    let rowCount = shape.reduce(1, *) / length
    let statisticsDesc = try Desc.strided(dims: [rowCount], strides: [1])
    self.statisticsDesc = statisticsDesc
    primitive = try DNNLPrimitive(name: label) {
      kvdnnl_layer_normalization_forward_create(
        $0, engine, propagation, data.handle, statisticsDesc.handle, epsilon, flags, nil)
    }
    if builder.gradients {
      let buffers = [AlignedBuffer(byteCount: rowCount * 4), AlignedBuffer(byteCount: rowCount * 4)]
      statistics = (
        try DNNLMemory(desc: statisticsDesc, engine: engine, pointer: buffers[0].pointer),
        try DNNLMemory(desc: statisticsDesc, engine: engine, pointer: buffers[1].pointer), buffers
      )
    } else {
      statistics = nil
    }
    super.init(label: label)
    inputs = [plain]
    outputs = [try builder.newValue(shape: shape, desc: builder.values[plain].desc, label: label)]
  }

  /// oneDNN's flags for a separate scale (gamma) and shift (beta).
  private static var flags: UInt32 { UInt32(dnnl_use_scale.rawValue | dnnl_use_shift.rawValue) }

  private func rows(_ pointer: UnsafeMutableRawPointer, _ plan: ExecutionPlan) throws -> DNNLMemory {
    try DNNLMemory(desc: rowsDesc, engine: plan.engine, pointer: pointer)
  }

  override func forward(_ plan: ExecutionPlan) throws {
    var arguments: [(Int32, DNNLMemory)] = [
      (DNNL_ARG_SRC, try rows(plan.values[inputs[0]].buffer.pointer, plan)),
      (DNNL_ARG_DST, try rows(plan.values[outputs[0]].buffer.pointer, plan)),
      (DNNL_ARG_SCALE, scale.memory), (DNNL_ARG_SHIFT, shift.memory),
    ]
    if let statistics {
      arguments += [(DNNL_ARG_MEAN, statistics.mean), (DNNL_ARG_VARIANCE, statistics.variance)]
    }
    try primitive.execute(plan.stream, arguments)
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    let (data, statisticsDesc) = (rowsDesc, self.statisticsDesc)
    let hint = primitive.descriptor
    let (epsilon, flags) = (self.epsilon, Self.flags)
    func create(_ propagation: dnnl_prop_kind_t) throws -> DNNLPrimitive {
      try DNNLPrimitive(name: label + " (backward)") {
        kvdnnl_layer_normalization_backward_create(
          $0, plan.engine, propagation, data.handle, data.handle, statisticsDesc.handle, epsilon, flags, hint, nil)
      }
    }
    // The input gradient alone where oneDNN offers it; else the full backward pass, whose parameter gradients go
    // to scratch buffers.
    if let dataOnly = try? create(dnnl_backward_data) {
      backwardPrimitive = dataOnly
      return
    }
    let full = try create(dnnl_backward)
    let byteCount = Desc.byteSize(scale.memory.desc)
    let buffers = [AlignedBuffer(byteCount: byteCount), AlignedBuffer(byteCount: byteCount)]
    parameterGradients = (
      try DNNLMemory(desc: scale.memory.desc, engine: plan.engine, pointer: buffers[0].pointer),
      try DNNLMemory(desc: shift.memory.desc, engine: plan.engine, pointer: buffers[1].pointer), buffers
    )
    backwardPrimitive = full
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard plan.gradient(of: outputs[0]) != nil, let dy = plan.values[outputs[0]].gradient, let backwardPrimitive,
      let statistics
    else { return }
    try plan.accumulateGradient(into: inputs[0]) { target in
      var arguments: [(Int32, DNNLMemory)] = [
        (DNNL_ARG_SRC, try rows(plan.values[inputs[0]].buffer.pointer, plan)),
        (DNNL_ARG_DIFF_DST, try rows(dy.pointer, plan)), (DNNL_ARG_MEAN, statistics.mean),
        (DNNL_ARG_VARIANCE, statistics.variance), (DNNL_ARG_SCALE, scale.memory), (DNNL_ARG_SHIFT, shift.memory),
        (DNNL_ARG_DIFF_SRC, try rows(try plan.dataHandle(target), plan)),
      ]
      if let parameterGradients {
        arguments += [(DNNL_ARG_DIFF_SCALE, parameterGradients.scale), (DNNL_ARG_DIFF_SHIFT, parameterGradients.shift)]
      }
      try backwardPrimitive.execute(plan.stream, arguments)
    }
  }
}

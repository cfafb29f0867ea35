import CDNNL
import CDNNLShim

/// An element-wise activation on oneDNN, in whatever layout its input has.
final class EltwiseStep: Step {
  private let primitive: DNNLPrimitive
  private let activation: DNNLActivation
  private var backwardPrimitive: DNNLPrimitive?
  private var reluGradient: OutputGradientPrimitive?

  init(label: String, input: Int, activation: DNNLActivation, builder: PlanBuilder) throws {
    self.activation = activation
    let data = builder.values[input].desc
    let propagation = builder.gradients ? dnnl_forward_training : dnnl_forward_inference
    primitive = try DNNLPrimitive(name: label) {
      kvdnnl_eltwise_forward_create(
        $0, builder.engine, propagation, activation.algorithm, data.handle, activation.alpha, activation.beta, nil)
    }
    super.init(label: label)
    inputs = [input]
    outputs = [try builder.newValue(shape: builder.values[input].shape, desc: data, label: label)]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    try primitive.execute(
      plan.stream, [(DNNL_ARG_SRC, plan.values[inputs[0]].memory), (DNNL_ARG_DST, plan.values[outputs[0]].memory)])
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    if activation.isModifiableReLU {
      reluGradient = try OutputGradientPrimitive(
        activation, desc: plan.values[outputs[0]].desc, engine: plan.engine, label: label)
      return
    }
    let data = plan.values[inputs[0]].desc
    let hint = primitive.descriptor
    backwardPrimitive = try DNNLPrimitive(name: label + " (backward)") {
      kvdnnl_eltwise_backward_create(
        $0, plan.engine, activation.algorithm, data.handle, data.handle, activation.alpha, activation.beta, hint, nil)
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard let gradient = plan.gradient(of: outputs[0]) else { return }
    let output = plan.values[outputs[0]]
    if let reluGradient {
      try plan.accumulateGradient(into: inputs[0]) { target in
        try reluGradient.run(y: output.memory, dy: gradient, dx: target, rule: plan.reluRule, stream: plan.stream)
      }
      return
    }
    guard let backwardPrimitive else { return }
    try plan.accumulateGradient(into: inputs[0]) { target in
      try backwardPrimitive.execute(
        plan.stream,
        [(DNNL_ARG_SRC, plan.values[inputs[0]].memory), (DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, target)])
    }
  }
}

/// Softmax or log-softmax over one axis on oneDNN.
final class SoftmaxStep: Step {
  private let primitive: DNNLPrimitive
  private let axis: Int32
  private let logarithmic: Bool
  /// The layout the primitives see the plain input, output and gradients in (rows of the softmax), or nil for the
  /// values' own layouts.
  private let rowsDesc: MemoryDesc?
  private var backwardPrimitive: DNNLPrimitive?

  /// `axis` is oneDNN's (channels are axis 1).
  init(label: String, input: Int, axis: Int, logarithmic: Bool, builder: PlanBuilder) throws {
    self.axis = Int32(axis)
    self.logarithmic = logarithmic
    rowsDesc = nil
    let data = builder.values[input].desc
    primitive = try Self.forwardPrimitive(label, data: data, axis: axis, logarithmic: logarithmic, builder: builder)
    super.init(label: label)
    inputs = [input]
    outputs = [try builder.newValue(shape: builder.values[input].shape, desc: data, label: label)]
  }

  /// The softmax over the last `length` elements of each row of the plain input (its trailing axes together).
  init(label: String, input: Int, rowLength length: Int, builder: PlanBuilder) throws {
    axis = 1
    logarithmic = false
    let plain = try builder.plain(input, label: label)
    let shape = builder.values[plain].shape
    let rows = try Desc.rows(of: shape, length: length)
    rowsDesc = rows
    primitive = try Self.forwardPrimitive(label, data: rows, axis: 1, logarithmic: false, builder: builder)
    super.init(label: label)
    inputs = [plain]
    outputs = [try builder.newValue(shape: shape, desc: builder.values[plain].desc, label: label)]
  }

  private static func forwardPrimitive(
    _ label: String, data: MemoryDesc, axis: Int, logarithmic: Bool, builder: PlanBuilder
  ) throws -> DNNLPrimitive {
    let propagation = builder.gradients ? dnnl_forward_training : dnnl_forward_inference
    return try DNNLPrimitive(name: label) {
      kvdnnl_softmax_forward_create($0, builder.engine, propagation, logarithmic ? 1 : 0, data.handle, Int32(axis), nil)
    }
  }

  /// `memory` as the primitives see it.
  private func seen(_ memory: DNNLMemory, _ plan: ExecutionPlan) throws -> DNNLMemory {
    try plan.view(memory, as: rowsDesc)
  }

  override func forward(_ plan: ExecutionPlan) throws {
    try primitive.execute(
      plan.stream,
      [
        (DNNL_ARG_SRC, try seen(plan.values[inputs[0]].memory, plan)),
        (DNNL_ARG_DST, try seen(plan.values[outputs[0]].memory, plan)),
      ])
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    let data = rowsDesc ?? plan.values[outputs[0]].desc
    let hint = primitive.descriptor
    backwardPrimitive = try DNNLPrimitive(name: label + " (backward)") {
      kvdnnl_softmax_backward_create(
        $0, plan.engine, logarithmic ? 1 : 0, data.handle, data.handle, axis, hint, nil)
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard let gradient = plan.gradient(of: outputs[0]), let backwardPrimitive else { return }
    try plan.accumulateGradient(into: inputs[0]) { target in
      try backwardPrimitive.execute(
        plan.stream,
        [
          (DNNL_ARG_DST, try seen(plan.values[outputs[0]].memory, plan)), (DNNL_ARG_DIFF_DST, try seen(gradient, plan)),
          (DNNL_ARG_DIFF_SRC, try seen(target, plan)),
        ])
    }
  }
}

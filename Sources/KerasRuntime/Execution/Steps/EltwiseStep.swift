import CDNNL

/// An element-wise activation on oneDNN, in whatever layout its input has.
final class EltwiseStep: Step {
  private let primitive: DNNLPrimitive
  private let activation: DNNLActivation
  private var backwardPrimitive: DNNLPrimitive?
  private var reluGradient: OutputGradientPrimitive?

  init(label: String, input: Int, activation: DNNLActivation, builder: PlanBuilder) throws {
    self.activation = activation
    var data = builder.values[input].desc
    var desc = dnnl_eltwise_desc_t()
    try check(
      dnnl_eltwise_forward_desc_init(
        &desc, builder.gradients ? dnnl_forward_training : dnnl_forward_inference, activation.algorithm, &data,
        activation.alpha, activation.beta), "describing activation \(label)")
    primitive = try withUnsafePointer(to: &desc) {
      try DNNLPrimitive(operationDesc: $0, engine: builder.engine, name: label)
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
    var diff = plan.values[inputs[0]].desc
    var data = plan.values[inputs[0]].desc
    var desc = dnnl_eltwise_desc_t()
    try check(
      dnnl_eltwise_backward_desc_init(&desc, activation.algorithm, &diff, &data, activation.alpha, activation.beta),
      "describing the backward activation \(label)")
    backwardPrimitive = try withUnsafePointer(to: &desc) {
      try DNNLPrimitive(operationDesc: $0, hint: primitive, engine: plan.engine, name: label + " (backward)")
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
  private var backwardPrimitive: DNNLPrimitive?

  /// `axis` is oneDNN's (channels are axis 1).
  init(label: String, input: Int, axis: Int, logarithmic: Bool, builder: PlanBuilder) throws {
    self.axis = Int32(axis)
    self.logarithmic = logarithmic
    var data = builder.values[input].desc
    let propagation = builder.gradients ? dnnl_forward_training : dnnl_forward_inference
    if logarithmic {
      var desc = dnnl_logsoftmax_desc_t()
      try check(dnnl_logsoftmax_forward_desc_init(&desc, propagation, &data, Int32(axis)), "describing \(label)")
      primitive = try withUnsafePointer(to: &desc) {
        try DNNLPrimitive(operationDesc: $0, engine: builder.engine, name: label)
      }
    } else {
      var desc = dnnl_softmax_desc_t()
      try check(dnnl_softmax_forward_desc_init(&desc, propagation, &data, Int32(axis)), "describing \(label)")
      primitive = try withUnsafePointer(to: &desc) {
        try DNNLPrimitive(operationDesc: $0, engine: builder.engine, name: label)
      }
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
    var diff = plan.values[outputs[0]].desc
    var data = plan.values[outputs[0]].desc
    if logarithmic {
      var desc = dnnl_logsoftmax_desc_t()
      try check(dnnl_logsoftmax_backward_desc_init(&desc, &diff, &data, axis), "describing \(label) (backward)")
      backwardPrimitive = try withUnsafePointer(to: &desc) {
        try DNNLPrimitive(operationDesc: $0, hint: primitive, engine: plan.engine, name: label + " (backward)")
      }
    } else {
      var desc = dnnl_softmax_desc_t()
      try check(dnnl_softmax_backward_desc_init(&desc, &diff, &data, axis), "describing \(label) (backward)")
      backwardPrimitive = try withUnsafePointer(to: &desc) {
        try DNNLPrimitive(operationDesc: $0, hint: primitive, engine: plan.engine, name: label + " (backward)")
      }
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard let gradient = plan.gradient(of: outputs[0]), let backwardPrimitive else { return }
    try plan.accumulateGradient(into: inputs[0]) { target in
      try backwardPrimitive.execute(
        plan.stream,
        [(DNNL_ARG_DST, plan.values[outputs[0]].memory), (DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, target)])
    }
  }
}

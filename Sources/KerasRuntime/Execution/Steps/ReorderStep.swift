import CDNNL

/// Converts a value to another memory layout (plain NHWC <-> oneDNN's blocked layouts) or element type (float32 ->
/// bfloat16 for a bfloat16 convolution; the gradient flows back in float32).
final class ReorderStep: Step {
  private let primitive: DNNLPrimitive
  private var backwardPrimitive: DNNLPrimitive?

  init(label: String, input: Int, output: Int, plan: PlanBuilder) throws {
    primitive = try makeReorder(from: plan.values[input].desc, to: plan.values[output].desc, engine: plan.engine)
    super.init(label: label)
    inputs = [input]
    outputs = [output]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    try primitive.execute(
      plan.stream, [(DNNL_ARG_FROM, plan.values[inputs[0]].memory), (DNNL_ARG_TO, plan.values[outputs[0]].memory)])
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    backwardPrimitive = try makeReorder(
      from: plan.values[outputs[0]].gradientDesc, to: plan.values[inputs[0]].gradientDesc, engine: plan.engine)
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard let gradient = plan.gradient(of: outputs[0]), let backwardPrimitive else { return }
    try plan.accumulateGradient(into: inputs[0]) { target in
      try backwardPrimitive.execute(plan.stream, [(DNNL_ARG_FROM, gradient), (DNNL_ARG_TO, target)])
    }
  }
}

/// Copies a plain value into another plain value of the same element count (Reshape, Flatten).
final class CopyStep: Step {
  init(label: String, input: Int, output: Int) {
    super.init(label: label)
    inputs = [input]
    outputs = [output]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    let source = plan.values[inputs[0]]
    plan.values[outputs[0]].buffer.floats.update(from: source.buffer.floats, count: source.elementCount)
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard plan.gradient(of: outputs[0]) != nil, let gradient = plan.values[outputs[0]].gradient else { return }
    let count = plan.values[outputs[0]].elementCount
    try plan.accumulateGradient(into: inputs[0]) { target in
      try plan.dataHandle(target).assumingMemoryBound(to: Float.self).update(from: gradient.floats, count: count)
    }
  }
}

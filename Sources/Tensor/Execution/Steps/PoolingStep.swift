import CDNNL

/// Max or average pooling on oneDNN (global pooling is a window over the whole image). Average pooling with
/// `same` padding excludes the padded cells from the count, as TensorFlow does.
final class PoolingStep: Step {
  private let primitive: DNNLPrimitive
  private let algorithm: dnnl_alg_kind_t
  private let geometry: WindowGeometry
  private let kernel: [Int]
  private let workspace: (buffer: AlignedBuffer, memory: DNNLMemory)?
  private var backwardPrimitive: DNNLPrimitive?

  init(
    label: String, input: Int, maximum: Bool, kernel: [Int], geometry: WindowGeometry, outputShape: [Int],
    builder: PlanBuilder
  ) throws {
    let inputValue = builder.values[input]
    self.kernel = kernel
    self.geometry = geometry
    algorithm = maximum ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding
    var src = inputValue.desc
    var dst = try Desc.tagged(dims: Desc.dnnlDims(keras: outputShape), tag: dnnl_format_tag_any)
    var desc = dnnl_pooling_v2_desc_t()
    let zeros = [Int64](repeating: 0, count: kernel.count)
    try check(
      dnnl_pooling_v2_forward_desc_init(
        &desc, builder.gradients ? dnnl_forward_training : dnnl_forward_inference, algorithm, &src, &dst,
        geometry.strides.map(Int64.init), kernel.map(Int64.init), zeros, geometry.paddingBefore.map(Int64.init),
        geometry.paddingAfter.map(Int64.init)), "describing pooling \(label)")
    primitive = try withUnsafePointer(to: &desc) {
      try DNNLPrimitive(operationDesc: $0, engine: builder.engine, name: label)
    }
    guard let chosenDst = primitive.desc(dnnl_query_dst_md) else {
      throw TensorError.dnnl(operation: label, status: "no destination descriptor")
    }
    if let workspaceDesc = primitive.desc(dnnl_query_workspace_md), Desc.byteSize(workspaceDesc) > 0 {
      let buffer = AlignedBuffer(byteCount: Desc.byteSize(workspaceDesc))
      workspace = (buffer, try DNNLMemory(desc: workspaceDesc, engine: builder.engine, pointer: buffer.pointer))
    } else {
      workspace = nil
    }
    super.init(label: label)
    inputs = [input]
    outputs = [try builder.newValue(shape: outputShape, desc: chosenDst, label: label)]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    var arguments: [(Int32, DNNLMemory)] = [
      (DNNL_ARG_SRC, plan.values[inputs[0]].memory), (DNNL_ARG_DST, plan.values[outputs[0]].memory),
    ]
    if let workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace.memory)) }
    try primitive.execute(plan.stream, arguments)
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    var diffSrc = plan.values[inputs[0]].desc
    var diffDst = plan.values[outputs[0]].desc
    var desc = dnnl_pooling_v2_desc_t()
    let zeros = [Int64](repeating: 0, count: kernel.count)
    try check(
      dnnl_pooling_v2_backward_desc_init(
        &desc, algorithm, &diffSrc, &diffDst, geometry.strides.map(Int64.init), kernel.map(Int64.init), zeros,
        geometry.paddingBefore.map(Int64.init), geometry.paddingAfter.map(Int64.init)),
      "describing the backward pooling \(label)")
    backwardPrimitive = try withUnsafePointer(to: &desc) {
      try DNNLPrimitive(operationDesc: $0, hint: primitive, engine: plan.engine, name: label + " (backward)")
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard let gradient = plan.gradient(of: outputs[0]), let backwardPrimitive else { return }
    try plan.accumulateGradient(into: inputs[0]) { target in
      var arguments: [(Int32, DNNLMemory)] = [(DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, target)]
      if let workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace.memory)) }
      try backwardPrimitive.execute(plan.stream, arguments)
    }
  }
}

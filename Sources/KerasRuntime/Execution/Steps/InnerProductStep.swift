import CDNNL
import CDNNLShim

/// Keras's Dense on oneDNN's inner product: `y = activation(x @ kernel + bias)` over the last axis, the leading
/// axes flattened into rows. Input and output are plain (row-major).
final class InnerProductStep: Step {
  private let primitive: DNNLPrimitive
  private let weights: (buffer: AlignedBuffer, memory: DNNLMemory)
  /// Where backward passes find the weights in their Keras layout (nil without gradients).
  private let kerasLayout: KerasLayoutWeights?
  private let bias: (buffer: AlignedBuffer, memory: DNNLMemory)?
  private let sourceDesc: MemoryDesc
  private let destinationDesc: MemoryDesc
  private let units: Int
  private let activation: DNNLActivation?
  private var backwardPrimitive: DNNLPrimitive?
  private var backwardWeights: DNNLMemory?
  private var backwardWeightsBuffer: AlignedBuffer?
  private var activationGradient: AlignedBuffer?
  private var activationGradientPrimitive: OutputGradientPrimitive?

  /// `kernel` is Keras's `(in, units)` in row-major order.
  init(
    label: String, input: Int, kernel: [Float], bias biasValues: [Float]?, units: Int, activation: DNNLActivation?,
    builder: PlanBuilder
  ) throws {
    let engine = builder.engine
    let plainInput = try builder.plain(input, label: label)
    let shape = builder.values[plainInput].shape
    let inner = shape.last ?? 1
    let rows = shape.reduce(1, *) / max(inner, 1)
    self.units = units
    self.activation = activation
    sourceDesc = try Desc.tagged(dims: [rows, inner], tag: dnnl_ab)
    destinationDesc = try Desc.tagged(dims: [rows, units], tag: dnnl_ab)
    let source = sourceDesc
    let destination = destinationDesc
    let weightsAny = try Desc.tagged(dims: [units, inner], tag: dnnl_format_tag_any)
    let biasDesc = try biasValues.map { try Desc.tagged(dims: [$0.count], tag: dnnl_a) }
    let attributes = try DNNLAttributes(
      postOps: activation.map { [.eltwise(algorithm: $0.algorithm, alpha: $0.alpha, beta: $0.beta)] } ?? [])
    primitive = try DNNLPrimitive(name: label) {
      kvdnnl_inner_product_forward_create(
        $0, engine, dnnl_forward_inference, source.handle, weightsAny.handle, biasDesc?.handle, destination.handle,
        attributes.attributes)
    }
    guard let chosenWeights = primitive.desc(dnnl_query_weights_md) else {
      throw TensorError.dnnl(operation: label, status: "no weights descriptor")
    }
    // Keras's kernel (in, units) is oneDNN's weights (units, in) with strides (1, units).
    let userDesc = try Desc.strided(dims: [units, inner], strides: [1, units])
    weights = try builder.sharedWeights(kernel, label: label, from: userDesc, to: chosenWeights)
    kerasLayout =
      builder.gradients
      ? KerasLayoutWeights(kernel, label: label, layout: userDesc, chosen: chosenWeights, builder: builder) : nil
    if let biasValues, let biasDesc {
      bias = try constantMemory(biasValues, desc: biasDesc, engine: engine)
    } else {
      bias = nil
    }
    super.init(label: label)
    inputs = [plainInput]
    let outputShape = Array(shape.dropLast()) + [units]
    outputs = [try builder.newValue(shape: outputShape, desc: try Desc.plain(keras: outputShape), label: label)]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    let source = try DNNLMemory(desc: sourceDesc, engine: plan.engine, pointer: plan.values[inputs[0]].buffer.pointer)
    let destination = try DNNLMemory(
      desc: destinationDesc, engine: plan.engine, pointer: plan.values[outputs[0]].buffer.pointer)
    var arguments: [(Int32, DNNLMemory)] = [
      (DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weights.memory), (DNNL_ARG_DST, destination),
    ]
    if let bias { arguments.append((DNNL_ARG_BIAS, bias.memory)) }
    try primitive.execute(plan.stream, arguments)
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    if let activation, activation.gradientFromOutput == nil {
      throw TensorError.unknownTap(detail: "\(label): the fused activation has no output-based gradient")
    }
    // dx = dy @ kernel^T, run as a forward inner product whose weights (in, units) are Keras's kernel as stored:
    // oneDNN's forward kernels are about twice as fast as its backward-data ones for one row.
    guard let kerasLayout else { throw TensorError.unknownTap(detail: "\(label): compiled without gradients") }
    let userWeights = try kerasLayout.weights(from: weights.memory, plan: plan)
    let userDims = Desc.dims(userWeights.desc)
    let (units, inner) = (userDims[0], userDims[1])
    let source = destinationDesc
    let destination = sourceDesc
    let weightsAny = try Desc.tagged(dims: [inner, units], tag: dnnl_format_tag_any)
    let created = try DNNLPrimitive(name: label + " (backward)") {
      kvdnnl_inner_product_forward_create(
        $0, plan.engine, dnnl_forward_inference, source.handle, weightsAny.handle, nil, destination.handle, nil)
    }
    guard let chosen = created.desc(dnnl_query_weights_md) else {
      throw TensorError.dnnl(operation: label, status: "no backward weights descriptor")
    }
    let transposedDesc = try Desc.strided(dims: [inner, units], strides: [units, 1])
    let fingerprint = WeightStore.fingerprint(
      of: UnsafeBufferPointer(start: userWeights.buffer.floats, count: userWeights.buffer.floatCount))
    let key = WeightStore.Key(label: label, role: "backward", desc: chosen, fingerprint: fingerprint)
    let buffer = try plan.weightStore.buffer(for: key) {
      let buffer = AlignedBuffer(byteCount: Desc.byteSize(chosen))
      let memory = try DNNLMemory(desc: chosen, engine: plan.engine, pointer: buffer.pointer)
      try plan.reorder(
        try DNNLMemory(desc: transposedDesc, engine: plan.engine, pointer: userWeights.buffer.pointer), to: memory)
      try plan.stream.wait()
      return buffer
    }
    let memory = try DNNLMemory(desc: chosen, engine: plan.engine, pointer: buffer.pointer)
    backwardPrimitive = created
    backwardWeights = memory
    backwardWeightsBuffer = buffer
    if let activation {
      activationGradient = AlignedBuffer(byteCount: plan.values[outputs[0]].byteCount)
      activationGradientPrimitive = try OutputGradientPrimitive(
        activation, desc: plan.values[outputs[0]].desc, engine: plan.engine, label: label)
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard let gradient = plan.values[outputs[0]].gradient, plan.gradient(of: outputs[0]) != nil,
      let backwardPrimitive, let backwardWeights
    else { return }
    var dyPointer = gradient.pointer
    if activation != nil, let buffer = activationGradient, let primitive = activationGradientPrimitive,
      let dy = plan.gradient(of: outputs[0])
    {
      let output = plan.values[outputs[0]]
      let masked = try DNNLMemory(desc: output.desc, engine: plan.engine, pointer: buffer.pointer)
      try primitive.run(y: output.memory, dy: dy, dx: masked, rule: plan.reluRule, stream: plan.stream)
      dyPointer = buffer.pointer
    }
    let diffDst = try DNNLMemory(desc: destinationDesc, engine: plan.engine, pointer: dyPointer)
    try plan.accumulateGradient(into: inputs[0]) { target in
      let diffSrc = try DNNLMemory(desc: sourceDesc, engine: plan.engine, pointer: try plan.dataHandle(target))
      try backwardPrimitive.execute(
        plan.stream, [(DNNL_ARG_SRC, diffDst), (DNNL_ARG_WEIGHTS, backwardWeights), (DNNL_ARG_DST, diffSrc)])
    }
  }
}

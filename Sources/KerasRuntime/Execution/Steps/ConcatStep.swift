import CDNNL
import CDNNLShim

/// Concatenation on oneDNN along one axis; oneDNN picks the output layout.
final class ConcatStep: Step {
  private let primitive: DNNLPrimitive
  private let axis: Int
  private var backwardReorders: [(desc: MemoryDesc, primitive: DNNLPrimitive)] = []

  /// `axis` is oneDNN's (channels are axis 1).
  init(label: String, inputs sources: [Int], axis: Int, outputShape: [Int], builder: PlanBuilder) throws {
    self.axis = axis
    // Inputs in one layout: oneDNN's choice (that layout). Mixed layouts (a Winograd convolution's blocked output
    // beside direct convolutions' channels-last ones, DenseNet's blocked new features beside the channels-last
    // features so far): every input in Keras's own row-major layout, which the direct convolutions that read the
    // result want, so that oneDNN concatenates with its copying kernel (mixed layouts take its reference one,
    // 25x slower) and only the inputs in another layout are reordered.
    var sources = sources
    let mixed = !sources.dropFirst().allSatisfy {
      Desc.sameLayout(builder.values[$0].desc, builder.values[sources[0]].desc)
    }
    if mixed { sources = try sources.map { try builder.plain($0, label: label) } }
    let descs = sources.map { builder.values[$0].desc }
    // Plain inputs (sequences: a ViT's class token before its patch tokens) stay plain too: oneDNN's own choice there
    // (its `any` for a batch of 1) is described otherwise and sends later steps to its reference kernels.
    let allPlain = sources.allSatisfy { builder.values[$0].isPlain }
    let destination: MemoryDesc? = mixed || allPlain ? try Desc.plain(keras: outputShape) : nil
    primitive = try withExtendedLifetime((descs, destination)) {
      try DNNLPrimitive(name: label) {
        kvdnnl_concat_create(
          $0, builder.engine, destination?.handle, Int32(descs.count), Int32(axis), handles(descs), nil)
      }
    }
    guard let chosen = primitive.desc(dnnl_query_dst_md) else {
      throw TensorError.dnnl(operation: label, status: "no destination descriptor")
    }
    super.init(label: label)
    inputs = sources
    outputs = [try builder.newValue(shape: outputShape, desc: chosen, label: label)]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    var arguments: [(Int32, DNNLMemory)] = inputs.enumerated().map {
      (DNNL_ARG_MULTIPLE_SRC + Int32($0), plan.values[$1].memory)
    }
    arguments.append((DNNL_ARG_DST, plan.values[outputs[0]].memory))
    try primitive.execute(plan.stream, arguments)
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    let parent = plan.values[outputs[0]].desc
    var offset = 0
    let parentDims = Desc.dims(parent)
    for input in inputs {
      let inputDesc = plan.values[input].desc
      var dims = parentDims
      let size = Desc.dims(inputDesc)[axis]
      dims[axis] = size
      var offsets = [Int](repeating: 0, count: dims.count)
      offsets[axis] = offset
      let sub = try Desc.submemory(parent, dims: dims, offsets: offsets)
      backwardReorders.append((sub, try makeReorder(from: sub, to: inputDesc, engine: plan.engine)))
      offset += size
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard let gradient = plan.gradient(of: outputs[0]) else { return }
    let handle = try plan.dataHandle(gradient)
    for (input, reorder) in zip(inputs, backwardReorders) {
      let slice = try DNNLMemory(desc: reorder.desc, engine: plan.engine, pointer: handle)
      try plan.accumulateGradient(into: input) { target in
        try reorder.primitive.execute(plan.stream, [(DNNL_ARG_FROM, slice), (DNNL_ARG_TO, target)])
      }
    }
  }
}

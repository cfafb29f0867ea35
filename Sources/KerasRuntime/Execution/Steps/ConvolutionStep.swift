import CDNNL
import CDNNLShim
import Glibc
import KerasGraph

/// Window geometry of a convolution or pooling in oneDNN's terms: strides, dilation (Keras's rate; oneDNN's
/// `dilates` is rate - 1), and the padding before and after along each spatial axis.
struct WindowGeometry {
  var strides: [Int]
  var dilation: [Int]
  var paddingBefore: [Int]
  var paddingAfter: [Int]

  /// TensorFlow's padding for a window: `valid` none; `same` pads `max((out - 1) s + (k - 1) d + 1 - in, 0)`
  /// in total with the odd pixel after.
  static func tensorflow(
    input: [Int], kernel: [Int], strides: [Int], dilation: [Int], same: Bool
  ) -> WindowGeometry {
    var before = [Int](repeating: 0, count: input.count)
    var after = before
    if same {
      for axis in input.indices {
        let effective = (kernel[axis] - 1) * dilation[axis] + 1
        let output = (input[axis] + strides[axis] - 1) / strides[axis]
        let total = max((output - 1) * strides[axis] + effective - input[axis], 0)
        before[axis] = total / 2
        after[axis] = total - before[axis]
      }
    }
    return WindowGeometry(strides: strides, dilation: dilation, paddingBefore: before, paddingAfter: after)
  }

  /// TensorFlow's padding for `window` over spatial sizes `input`: `valid` and `same` as above; `causal` (Conv1D)
  /// pads `(k - 1) d` before and nothing after.
  static func tensorflow(window: Window, input: [Int]) -> WindowGeometry {
    var geometry = tensorflow(
      input: input, kernel: window.kernelSize, strides: window.strides, dilation: window.dilation,
      same: window.padding == .same)
    if window.padding == .causal {
      geometry.paddingBefore = window.kernelSize.indices.map { (window.kernelSize[$0] - 1) * window.dilation[$0] }
    }
    return geometry
  }

  /// The number of spatial axes.
  var rank: Int { strides.count }
}

/// A 1-D, 2-D or 3-D convolution (grouped and depthwise included) or transposed convolution on oneDNN, with an optional
/// fused element-wise activation. Weights are given in a user layout and reordered once into the layout the
/// primitive prefers.
final class ConvolutionStep: Step {
  enum Kind { case convolution, deconvolution }

  private let kind: Kind
  /// Whether inputs and weights are bfloat16 (`ConvolutionPrecision.bfloat16`; ungrouped convolutions only).
  private let bfloat16: Bool
  /// The value whose gradient the backward pass adds to: the input, or for a bfloat16 copy the float32 original.
  private var gradientInput = 0
  private let primitive: DNNLPrimitive
  private let weights: (buffer: AlignedBuffer, memory: DNNLMemory)
  private let bias: (buffer: AlignedBuffer, memory: DNNLMemory)?
  /// Where backward passes find the weights in their Keras layout (nil without gradients).
  private let kerasLayout: KerasLayoutWeights?
  private let weightDims: [Int]
  private let geometry: WindowGeometry
  private let activation: DNNLActivation?
  /// For a stride-1 convolution: the kernel's shape (its values dropped; they come from `kerasLayout`), whose flipped
  /// kernel's forward convolution of the output gradient gives the input gradient (oneDNN's forward kernels are
  /// about twice as fast as its backward-data ones).
  private let backwardKernel: ConvolutionKernel?
  private var backwardIsForwardConvolution = false
  private var backwardPrimitive: DNNLPrimitive?
  /// The backward convolution (when it is a forward one) with a `sum` post-op, for later gradient contributions.
  private var accumulatingBackwardPrimitive: DNNLPrimitive?
  private var backwardWeights: DNNLMemory?
  private var backwardWeightsBuffer: AlignedBuffer?
  private var activationGradient: AlignedBuffer?
  private var activationGradientPrimitive: OutputGradientPrimitive?
  /// Where the backward primitive wants the output gradient and writes the input gradient, when its layouts
  /// differ from the values' (then reordered in and out).
  private var backwardOutputGradient: (buffer: AlignedBuffer, memory: DNNLMemory)?
  /// Where the output gradient is written when `backwardOutputGradient` has a zero border (Winograd backward of a
  /// convolution that pads less than the kernel's reach).
  private var backwardOutputGradientInterior: DNNLMemory?
  private var backwardInputGradient: (buffer: AlignedBuffer, memory: DNNLMemory)?

  /// - Parameters:
  ///   - weightDims: oneDNN weight dimensions: `(O, I, k...)`, or `(G, O/G, I/G, k...)` grouped (one `k` per
  ///     spatial axis of `geometry`).
  ///   - weightStrides: where element `(o, i, k...)` sits in `weightValues` (Keras's kernel layout).
  ///   - outputShape: the Keras shape `(N, spatial..., C)` of the output.
  init(
    label: String, kind: Kind, input: Int, weightDims: [Int], weightStrides: [Int], weightValues: [Float],
    biasValues: [Float]?, outputShape: [Int], geometry: WindowGeometry, activation: DNNLActivation?,
    backwardKernel: ConvolutionKernel? = nil, allowsWinograd: Bool = false, builder: PlanBuilder
  ) throws {
    self.kind = kind
    self.backwardKernel = backwardKernel
    self.weightDims = weightDims
    self.geometry = geometry
    self.activation = activation
    let engine = builder.engine
    let inputValue = builder.values[input]
    // bfloat16: inputs and weights (reordered once) in bfloat16, the output and bias in float32.
    bfloat16 =
      builder.precision == .bfloat16 && kind == .convolution && geometry.rank == 2 && weightDims.count == 4
    let operandType = bfloat16 ? dnnl_bf16 : dnnl_f32
    let srcAny = try Desc.tagged(dims: Desc.dims(inputValue.desc), tag: dnnl_format_tag_any, dataType: operandType)
    let dstAny = try Desc.tagged(dims: Desc.dnnlDims(keras: outputShape), tag: dnnl_format_tag_any)
    let weightsAny = try Desc.tagged(dims: weightDims, tag: dnnl_format_tag_any, dataType: operandType)
    let biasDesc = try biasValues.map { try Desc.tagged(dims: [$0.count], tag: dnnl_a) }
    let attributes = try DNNLAttributes(
      postOps: activation.map { [.eltwise(algorithm: $0.algorithm, alpha: $0.alpha, beta: $0.beta)] } ?? [])
    // Inference kernels (oneDNN's brgemm convolutions) are faster than training ones, and the backward-data
    // primitive needs nothing from the forward pass but its geometry.
    let strides = geometry.strides.map(Int64.init)
    let dilates = geometry.dilation.map { Int64($0 - 1) }
    let before = geometry.paddingBefore.map(Int64.init)
    let after = geometry.paddingAfter.map(Int64.init)
    switch kind {
    case .convolution:
      primitive = try Self.forwardConvolution(
        label: label, source: srcAny, weights: weightsAny, bias: biasDesc, destination: dstAny, geometry: geometry,
        paddingBefore: before, paddingAfter: after, allowsWinograd: allowsWinograd && !bfloat16,
        attributes: attributes.attributes, engine: engine, choices: builder.weightStore.choices)
    case .deconvolution:
      primitive = try DNNLPrimitive(name: label) {
        kvdnnl_deconvolution_forward_create(
          $0, engine, dnnl_forward_inference, dnnl_deconvolution_direct, srcAny.handle, weightsAny.handle,
          biasDesc?.handle, dstAny.handle, strides, dilates, before, after, attributes.attributes)
      }
    }
    guard let chosenSrc = primitive.desc(dnnl_query_src_md), let chosenDst = primitive.desc(dnnl_query_dst_md),
      let chosenWeights = primitive.desc(dnnl_query_weights_md)
    else { throw TensorError.dnnl(operation: label, status: "no memory descriptors") }
    // Weights: user layout -> the primitive's layout, once.
    let userDesc = try Desc.strided(dims: weightDims, strides: weightStrides)
    weights = try builder.sharedWeights(weightValues, label: label, from: userDesc, to: chosenWeights)
    kerasLayout =
      builder.gradients
      ? KerasLayoutWeights(weightValues, label: label, layout: userDesc, chosen: chosenWeights, builder: builder) : nil
    if let biasValues, let biasDesc {
      bias = try constantMemory(biasValues, desc: biasDesc, engine: engine)
    } else {
      bias = nil
    }
    super.init(label: label)
    let converted = try builder.converted(input, to: chosenSrc, label: label)
    inputs = [converted]
    // A copy that differs only in element type (bfloat16) has its gradient in the original's float32 layout: the
    // backward pass adds into the original's gradient directly (the copy's gradient stays unwritten).
    gradientInput =
      Desc.equal(builder.values[input].gradientDesc, builder.values[converted].gradientDesc) ? input : converted
    outputs = [try builder.newValue(shape: outputShape, desc: chosenDst, label: label)]
  }

  /// A convolution of a Keras kernel; for stride 1 with gradients, the backward pass runs as a forward
  /// convolution of the flipped kernel.
  convenience init(
    label: String, kind: Kind, input: Int, kernel: ConvolutionKernel, biasValues: [Float]?, outputShape: [Int],
    geometry: WindowGeometry, activation: DNNLActivation?, allowsWinograd: Bool = false, builder: PlanBuilder
  ) throws {
    let layout = kernel.layout
    let strideOne = geometry.strides.allSatisfy { $0 == 1 }
    try self.init(
      label: label, kind: kind, input: input, weightDims: layout.dims, weightStrides: layout.strides,
      weightValues: kernel.values, biasValues: biasValues, outputShape: outputShape, geometry: geometry,
      activation: activation, backwardKernel: builder.gradients && strideOne ? kernel.withoutValues : nil,
      allowsWinograd: allowsWinograd, builder: builder)
  }

  /// Whether convolutions may use Winograd's minimal filtering (off when the environment sets
  /// `KERASVIS_DIRECT_CONVOLUTION`, which makes every convolution direct, as TensorFlow's are).
  /// (Tests switch it off to compare with direct sums.)
  nonisolated(unsafe) static var winogradEnabled = getenv("KERASVIS_DIRECT_CONVOLUTION") == nil

  /// A forward-inference convolution primitive. With `allowsWinograd`, an undilated stride-1 3x3 convolution
  /// uses oneDNN's Winograd kernel (F(2x2, 3x3) or F(4x4, 3x3), its choice) where it offers one for the machine
  /// and shape (Lavin & Gray, arXiv:1509.09308): 2.25x to 4x fewer multiplications, results within float32
  /// rounding of the direct sum but not bit-equal to it. Everything else is a direct convolution.
  /// Whether Winograd is used is one of the compiled model's `choices` (per label and input size).
  static func forwardConvolution(
    label: String, source: MemoryDesc, weights: MemoryDesc, bias: MemoryDesc?, destination: MemoryDesc,
    geometry: WindowGeometry, paddingBefore: [Int64], paddingAfter: [Int64], allowsWinograd: Bool,
    attributes: dnnl_primitive_attr_t?, engine: dnnl_engine_t, choices: PlanChoices
  ) throws -> DNNLPrimitive {
    let weightDims = Desc.dims(weights)
    let winogradShape =
      geometry.rank == 2 && weightDims.count == 4 && weightDims[2] == 3 && weightDims[3] == 3
      && geometry.strides.allSatisfy { $0 == 1 }
      && geometry.dilation.allSatisfy { $0 == 1 }
    if allowsWinograd && winogradEnabled && winogradShape {
      func winograd() throws -> DNNLPrimitive {
        try makeConvolution(
          dnnl_convolution_winograd, label: label, source: source, weights: weights, bias: bias,
          destination: destination, geometry: geometry, paddingBefore: paddingBefore, paddingAfter: paddingAfter,
          attributes: attributes, engine: engine)
      }
      var made: DNNLPrimitive?
      let chosen = choices.choice("\(label) \(Desc.dims(source)): winograd") {
        made = try? winograd()
        return made == nil ? 0 : 1
      }
      // A later plan follows the first one's choice (falling back to direct only if oneDNN now refuses it).
      if chosen == 1, let primitive = made ?? (try? winograd()) { return primitive }
    }
    return try makeConvolution(
      dnnl_convolution_direct, label: label, source: source, weights: weights, bias: bias, destination: destination,
      geometry: geometry, paddingBefore: paddingBefore, paddingAfter: paddingAfter, attributes: attributes,
      engine: engine)
  }

  /// Whether the backward pass of a stride-1 convolution (a forward convolution of the output gradient with
  /// `kernel`, the flipped kernel) should try Winograd: 3x3, undilated, ungrouped, and at least 64 output channels
  /// (measured on this machine's oneDNN: 2x faster for 192 -> 80 channels at 73x73 even after padding the gradient,
  /// but slower than direct for 64 -> 32 at 147x147, where oneDNN picks its F(4x4, 3x3) kernel). Gradients only
  /// carry values, never decide routing, so the rounding difference is harmless here.
  static func winogradForBackward(kernel: ConvolutionKernel, geometry: WindowGeometry) -> Bool {
    winogradEnabled && kernel.isUngrouped3x3 && kernel.outputChannels >= 64 && geometry.dilation.allSatisfy { $0 == 1 }
      && geometry.strides.allSatisfy { $0 == 1 }
  }

  /// A forward-inference convolution primitive with `algorithm` (direct or Winograd).
  static func makeConvolution(
    _ algorithm: dnnl_alg_kind_t, label: String, source: MemoryDesc, weights: MemoryDesc, bias: MemoryDesc?,
    destination: MemoryDesc, geometry: WindowGeometry, paddingBefore: [Int64], paddingAfter: [Int64],
    attributes: dnnl_primitive_attr_t?, engine: dnnl_engine_t
  ) throws -> DNNLPrimitive {
    let strides = geometry.strides.map(Int64.init)
    let dilates = geometry.dilation.map { Int64($0 - 1) }
    return try DNNLPrimitive(name: label) {
      kvdnnl_convolution_forward_create(
        $0, engine, dnnl_forward_inference, algorithm, source.handle, weights.handle, bias?.handle, destination.handle,
        strides, dilates, paddingBefore, paddingAfter, attributes)
    }
  }

  override func forward(_ plan: ExecutionPlan) throws {
    var arguments: [(Int32, DNNLMemory)] = [
      (DNNL_ARG_SRC, plan.values[inputs[0]].memory), (DNNL_ARG_WEIGHTS, weights.memory),
      (DNNL_ARG_DST, plan.values[outputs[0]].memory),
    ]
    if let bias { arguments.append((DNNL_ARG_BIAS, bias.memory)) }
    try primitive.execute(plan.stream, arguments)
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    if let activation, activation.gradientFromOutput == nil {
      throw TensorError.unknownTap(detail: "\(label): the fused activation has no output-based gradient")
    }
    // oneDNN picks the layouts its fast kernels want; gradients are reordered to and from them. For an input of a
    // few channels (an image's 3) its choice pads the channels to 16 and needs reorders both ways; channels-last
    // runs the same kernel without them (InceptionV3's conv2d: 1.00 -> 0.78 ms).
    let operandType = bfloat16 ? dnnl_bf16 : dnnl_f32
    let gradientTag =
      geometry.rank == 2 && weightDims.count == 4 && weightDims[1] < 8 ? dnnl_acdb : dnnl_format_tag_any
    let diffSrc = try Desc.tagged(dims: Desc.dims(plan.values[inputs[0]].desc), tag: gradientTag)
    let diffDst = try Desc.tagged(
      dims: Desc.dims(plan.values[outputs[0]].desc), tag: gradientTag, dataType: operandType)
    let weightsAny = try Desc.tagged(dims: weightDims, tag: dnnl_format_tag_any, dataType: operandType)
    let strides = geometry.strides.map(Int64.init)
    let dilates = geometry.dilation.map { Int64($0 - 1) }
    let before = geometry.paddingBefore.map(Int64.init)
    let after = geometry.paddingAfter.map(Int64.init)
    let created: DNNLPrimitive
    guard let kerasLayout else { throw TensorError.unknownTap(detail: "\(label): compiled without gradients") }
    let userWeights = try kerasLayout.weights(from: weights.memory, plan: plan)
    var sourceWeights: (buffer: AlignedBuffer, desc: MemoryDesc)? = userWeights
    var gradientPadding: (before: [Int], after: [Int])?
    // How a backward pass that is a forward convolution was made (its algorithm and padding), for its accumulating
    // variant.
    var backwardAlgorithm: (algorithm: dnnl_alg_kind_t, paddingBefore: [Int64], paddingAfter: [Int64])?
    if let template = backwardKernel {
      let keras = userWeights
      // dx = conv(dy, flipped kernel) with padding (k - 1) d - p before and after. The flipped kernel is made from
      // the shared Keras-layout copy now, not kept from the build: only layers a backward pass reaches pay for it.
      var unflipped = template
      unflipped.values = Array(UnsafeBufferPointer(start: keras.buffer.floats, count: keras.buffer.floatCount))
      let backwardKernel = unflipped.flippedForBackward()
      let layout = backwardKernel.layout
      let flippedAny = try Desc.tagged(dims: layout.dims, tag: dnnl_format_tag_any, dataType: operandType)
      let kernelSize = backwardKernel.size
      var flippedBefore = kernelSize.indices.map {
        (kernelSize[$0] - 1) * geometry.dilation[$0] - geometry.paddingBefore[$0]
      }
      var flippedAfter = kernelSize.indices.map {
        (kernelSize[$0] - 1) * geometry.dilation[$0] - geometry.paddingAfter[$0]
      }
      var winograd: DNNLPrimitive?
      if !bfloat16 && Self.winogradForBackward(kernel: backwardKernel, geometry: geometry) {
        // oneDNN's Winograd kernels pad by at most 1: the rest (a valid convolution's 2) is written into a
        // zero-bordered copy of the gradient.
        let extraBefore = flippedBefore.map { max($0 - 1, 0) }
        let extraAfter = flippedAfter.map { max($0 - 1, 0) }
        var paddedDims = Desc.dims(plan.values[outputs[0]].desc)
        for axis in 0..<2 { paddedDims[axis + 2] += extraBefore[axis] + extraAfter[axis] }
        let paddedAny = try Desc.tagged(dims: paddedDims, tag: dnnl_format_tag_any)
        func make() throws -> DNNLPrimitive {
          try Self.makeConvolution(
            dnnl_convolution_winograd, label: label + " (backward)", source: paddedAny, weights: flippedAny,
            bias: nil, destination: diffSrc, geometry: geometry,
            paddingBefore: zip(flippedBefore, extraBefore).map { Int64($0 - $1) },
            paddingAfter: zip(flippedAfter, extraAfter).map { Int64($0 - $1) }, attributes: nil, engine: plan.engine)
        }
        // The compiled model's choice, made by its first plan that needs it (see `PlanChoices`).
        let chosen = plan.weightStore.choices.choice("\(label) \(paddedDims): winograd backward") {
          winograd = try? make()
          return winograd == nil ? 0 : 1
        }
        if chosen == 1, winograd == nil { winograd = try? make() }
        if winograd != nil, (extraBefore + extraAfter).contains(where: { $0 > 0 }) {
          gradientPadding = (extraBefore, extraAfter)
          flippedBefore = zip(flippedBefore, extraBefore).map { $0 - $1 }
          flippedAfter = zip(flippedAfter, extraAfter).map { $0 - $1 }
        }
      }
      created =
        try winograd
        ?? Self.forwardConvolution(
          label: label + " (backward)", source: diffDst, weights: flippedAny, bias: nil, destination: diffSrc,
          geometry: geometry, paddingBefore: flippedBefore.map(Int64.init), paddingAfter: flippedAfter.map(Int64.init),
          allowsWinograd: false, attributes: nil, engine: plan.engine, choices: plan.weightStore.choices)
      backwardAlgorithm = (
        winograd == nil ? dnnl_convolution_direct : dnnl_convolution_winograd, flippedBefore.map(Int64.init),
        flippedAfter.map(Int64.init)
      )
      sourceWeights = (
        AlignedBuffer(copying: backwardKernel.values), try Desc.strided(dims: layout.dims, strides: layout.strides)
      )
      backwardIsForwardConvolution = true
    } else {
      let hint = primitive.descriptor
      switch kind {
      case .convolution:
        created = try DNNLPrimitive(name: label + " (backward)") {
          kvdnnl_convolution_backward_data_create(
            $0, plan.engine, dnnl_convolution_direct, diffSrc.handle, weightsAny.handle, diffDst.handle, strides,
            dilates, before, after, hint, nil)
        }
      case .deconvolution:
        created = try DNNLPrimitive(name: label + " (backward)") {
          kvdnnl_deconvolution_backward_data_create(
            $0, plan.engine, dnnl_deconvolution_direct, diffSrc.handle, weightsAny.handle, diffDst.handle, strides,
            dilates, before, after, hint, nil)
        }
      }
    }
    let (gradientIn, gradientOut) =
      backwardIsForwardConvolution
      ? (dnnl_query_src_md, dnnl_query_dst_md) : (dnnl_query_diff_dst_md, dnnl_query_diff_src_md)
    guard let chosenWeights = created.desc(dnnl_query_weights_md), let userWeights = sourceWeights,
      let chosenDiffSrc = created.desc(gradientOut), let chosenDiffDst = created.desc(gradientIn)
    else {
      throw TensorError.dnnl(operation: label, status: "no backward memory descriptors")
    }
    func scratch(_ desc: MemoryDesc) throws -> (AlignedBuffer, DNNLMemory) {
      let buffer = AlignedBuffer(byteCount: Desc.byteSize(desc))
      return (buffer, try DNNLMemory(desc: desc, engine: plan.engine, pointer: buffer.pointer))
    }
    if let gradientPadding {
      // The gradient goes into the middle of the zeroed buffer; the border stays zero.
      let padded = try scratch(chosenDiffDst)
      let interior = try Desc.submemory(
        chosenDiffDst, dims: Desc.dims(plan.values[outputs[0]].desc),
        offsets: [0, 0, gradientPadding.before[0], gradientPadding.before[1]])
      backwardOutputGradient = padded
      backwardOutputGradientInterior = try DNNLMemory(desc: interior, engine: plan.engine, pointer: padded.0.pointer)
    } else if !Desc.equal(chosenDiffDst, plan.values[outputs[0]].desc) {
      backwardOutputGradient = try scratch(chosenDiffDst)
    }
    if !Desc.equal(chosenDiffSrc, plan.values[gradientInput].gradientDesc) {
      backwardInputGradient = try scratch(chosenDiffSrc)
    }
    let role = backwardIsForwardConvolution ? "backward (flipped)" : "backward"
    let fingerprint = WeightStore.fingerprint(
      of: UnsafeBufferPointer(start: userWeights.buffer.floats, count: userWeights.buffer.floatCount))
    let key = WeightStore.Key(label: label, role: role, desc: chosenWeights, fingerprint: fingerprint)
    let buffer = try plan.weightStore.buffer(for: key) {
      let buffer = AlignedBuffer(byteCount: Desc.byteSize(chosenWeights))
      let memory = try DNNLMemory(desc: chosenWeights, engine: plan.engine, pointer: buffer.pointer)
      let user = try DNNLMemory(desc: userWeights.desc, engine: plan.engine, pointer: userWeights.buffer.pointer)
      try plan.reorder(user, to: memory)
      try plan.stream.wait()
      return buffer
    }
    let memory = try DNNLMemory(desc: chosenWeights, engine: plan.engine, pointer: buffer.pointer)
    backwardPrimitive = created
    backwardWeights = memory
    backwardWeightsBuffer = buffer
    if let backwardAlgorithm, backwardInputGradient == nil {
      accumulatingBackwardPrimitive = try Self.accumulatingVariant(
        of: created, algorithm: backwardAlgorithm.algorithm, geometry: geometry,
        paddingBefore: backwardAlgorithm.paddingBefore, paddingAfter: backwardAlgorithm.paddingAfter,
        label: label + " (backward, accumulating)", engine: plan.engine)
    }
    if let activation {
      activationGradient = AlignedBuffer(byteCount: plan.values[outputs[0]].byteCount)
      activationGradientPrimitive = try OutputGradientPrimitive(
        activation, desc: plan.values[outputs[0]].desc, engine: plan.engine, label: label)
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard var outputGradient = plan.gradient(of: outputs[0]), let backwardPrimitive, let backwardWeights else { return }
    let output = plan.values[outputs[0]]
    if activation != nil, let buffer = activationGradient, let primitive = activationGradientPrimitive {
      let masked = try DNNLMemory(desc: output.desc, engine: plan.engine, pointer: buffer.pointer)
      try primitive.run(y: output.memory, dy: outputGradient, dx: masked, rule: plan.reluRule, stream: plan.stream)
      outputGradient = masked
    }
    if let backwardOutputGradient {
      try plan.reorder(outputGradient, to: backwardOutputGradientInterior ?? backwardOutputGradient.memory)
      outputGradient = backwardOutputGradient.memory
    }
    let addInPlace = accumulatingBackwardPrimitive.map { accumulating in
      { (target: DNNLMemory) throws in
        try accumulating.execute(
          plan.stream, [(DNNL_ARG_SRC, outputGradient), (DNNL_ARG_WEIGHTS, backwardWeights), (DNNL_ARG_DST, target)])
      }
    }
    try plan.accumulateGradient(
      into: gradientInput,
      produce: { target in
        let destination = backwardInputGradient?.memory ?? target
        try backwardPrimitive.execute(
          plan.stream,
          backwardIsForwardConvolution
            ? [(DNNL_ARG_SRC, outputGradient), (DNNL_ARG_WEIGHTS, backwardWeights), (DNNL_ARG_DST, destination)]
            : [
              (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_WEIGHTS, backwardWeights),
              (DNNL_ARG_DIFF_SRC, destination),
            ])
        if let backwardInputGradient { try plan.reorder(backwardInputGradient.memory, to: target) }
      }, addInPlace: addInPlace)
  }

  /// The same forward convolution as `primitive` (its exact layouts and algorithm) with a `sum` post-op, so that
  /// it adds its result to its destination: a second gradient contribution then needs no scratch copy and no
  /// separate sum (`dst = conv + dst`, the same additions as the sum primitive's, so results are unchanged).
  /// Nil when oneDNN offers no such kernel with the same layouts.
  static func accumulatingVariant(
    of primitive: DNNLPrimitive, algorithm: dnnl_alg_kind_t, geometry: WindowGeometry, paddingBefore: [Int64],
    paddingAfter: [Int64], label: String, engine: dnnl_engine_t
  ) throws -> DNNLPrimitive? {
    guard let source = primitive.desc(dnnl_query_src_md), let weights = primitive.desc(dnnl_query_weights_md),
      let destination = primitive.desc(dnnl_query_dst_md)
    else { return nil }
    let attributes = try DNNLAttributes(postOps: [.sum])
    guard
      let accumulating = try? makeConvolution(
        algorithm, label: label, source: source, weights: weights, bias: nil, destination: destination,
        geometry: geometry, paddingBefore: paddingBefore, paddingAfter: paddingAfter,
        attributes: attributes.attributes, engine: engine),
      let chosenSource = accumulating.desc(dnnl_query_src_md),
      let chosenWeights = accumulating.desc(dnnl_query_weights_md),
      let chosenDestination = accumulating.desc(dnnl_query_dst_md),
      Desc.equal(chosenSource, source), Desc.equal(chosenWeights, weights), Desc.equal(chosenDestination, destination)
    else { return nil }
    return accumulating
  }
}

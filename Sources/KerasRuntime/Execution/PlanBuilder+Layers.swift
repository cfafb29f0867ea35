import CDNNL
import Foundation
import KerasGraph

extension PlanBuilder {
  /// The weight `name` of `layer`, or an error naming the layer.
  func weight(_ name: String, of call: FlatCall) throws -> [Float] {
    guard let weight = call.layer.weight(named: name) else {
      throw TensorError.unsupportedLayer(layer: call.location, detail: "it has no weight '\(name)'")
    }
    return weight.values.array
  }

  /// The oneDNN activation a layer is, when it is a single element-wise activation oneDNN computes.
  func dnnlActivation(of kind: any LayerKind) -> DNNLActivation? {
    switch kind {
    case let activation as Activation: return ActivationMath.dnnl(activation.function)
    case let relu as ReLU: return reluActivation(relu)
    case let leaky as LeakyReLU: return ActivationMath.leakyReLU(slope: leaky.negativeSlope)
    case let elu as ELU: return ActivationMath.elu(alpha: elu.alpha)
    default: return nil
    }
  }

  /// A ReLU layer as oneDNN sees it: plain ReLU (which keras-vis's modifiers replace), ReLU(6), or leaky.
  func reluActivation(_ config: ReLU) -> DNNLActivation? {
    guard config.threshold == 0 else { return nil }
    switch (config.maxValue, config.negativeSlope) {
    case (nil, 0): return ActivationMath.dnnl(.relu)
    case (nil, let slope): return ActivationMath.leakyReLU(slope: slope)
    case (let upper?, 0) where upper > 0:
      return DNNLActivation(
        algorithm: dnnl_eltwise_clip_v2, alpha: 0, beta: upper, gradientFromOutput: .clippedReLU(upper: upper),
        isModifiableReLU: false)
    default: return nil
    }
  }

  /// Inference BatchNormalization as `x * scale + shift` per channel, computed as TensorFlow's
  /// `tf.nn.batch_normalization` does: `inv = rsqrt(var + eps) * gamma`, `shift = beta - mean * inv`.
  func batchNormalizationAffine(_ layer: Layer, _ norm: BatchNormalization, channels: Int) throws
    -> (scale: [Float], shift: [Float])
  {
    guard let mean = layer.weight(named: "moving_mean")?.values.array,
      let variance = layer.weight(named: "moving_variance")?.values.array, mean.count == channels,
      variance.count == channels
    else { throw ShapeProblem(detail: "BatchNormalization statistics do not match \(channels) channels") }
    let gamma = layer.weight(named: "gamma")?.values.array ?? [Float](repeating: 1, count: channels)
    let beta = layer.weight(named: "beta")?.values.array ?? [Float](repeating: 0, count: channels)
    var scale = [Float](repeating: 0, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    for c in 0..<channels {
      scale[c] = 1 / (variance[c] + norm.epsilon).squareRoot() * gamma[c]
      shift[c] = beta[c] - mean[c] * scale[c]
    }
    return (scale, shift)
  }

  /// Lowers one call into steps; returns the values of its outputs.
  func lowerLayer(_ index: Int, call: FlatCall, inputs: [Int], outputShapes: [[Int]]) throws -> [Int] {
    let label = call.location.description
    let inputShape = values[inputs[0]].shape
    let outputShape = outputShapes[0]
    func unsupported(_ detail: String) -> TensorError { .unsupportedLayer(layer: call.location, detail: detail) }
    func bias(_ used: Bool) throws -> [Float]? { used ? try weight("bias", of: call) : nil }

    switch call.layer.kind {
    case is InputLayer, is Identity:
      return [inputs[0]]
    case is NestedModel:
      throw unsupported("nested models are inlined before lowering")

    case let conv as any ConvolutionKind:
      let kernel = ConvolutionKernel(
        values: try weight("kernel", of: call), size: conv.window.kernelSize,
        inputChannelsPerGroup: inputShape[inputShape.count - 1] / conv.groups, outputChannels: conv.filters,
        groups: conv.groups)
      return [
        try convolution(
          index, call: call, input: inputs[0], kernel: kernel, bias: try bias(conv.useBias), window: conv.window,
          outputShape: outputShape)
      ]

    case let conv as any DepthwiseConvolutionKind:
      let inChannels = inputShape[inputShape.count - 1]
      let kernel = ConvolutionKernel(
        values: try weight("depthwise_kernel", of: call), size: conv.window.kernelSize, inputChannelsPerGroup: 1,
        outputChannels: inChannels * conv.depthMultiplier, groups: inChannels)
      return [
        try convolution(
          index, call: call, input: inputs[0], kernel: kernel, bias: try bias(conv.useBias), window: conv.window,
          outputShape: outputShape)
      ]

    case let conv as any SeparableConvolutionKind:
      let inChannels = inputShape[inputShape.count - 1]
      let middle = inChannels * conv.depthMultiplier
      let depthwiseShape = Array(outputShape.dropLast()) + [middle]
      let depthwise = ConvolutionKernel(
        values: try weight("depthwise_kernel", of: call), size: conv.window.kernelSize, inputChannelsPerGroup: 1,
        outputChannels: middle, groups: inChannels)
      let geometry = WindowGeometry.tensorflow(window: conv.window, input: Array(inputShape.dropFirst().dropLast()))
      let depthwiseStep = try ConvolutionStep(
        label: label + " depthwise", kind: .convolution, input: inputs[0], kernel: depthwise, biasValues: nil,
        outputShape: depthwiseShape, geometry: geometry, activation: nil, builder: self)
      steps.append(depthwiseStep)
      let ones = conv.window.kernelSize.map { _ in 1 }
      let pointwise = ConvolutionKernel(
        values: try weight("pointwise_kernel", of: call), size: ones, inputChannelsPerGroup: middle,
        outputChannels: conv.filters, groups: 1)
      return [
        try convolution(
          index, call: call, input: depthwiseStep.outputs[0], kernel: pointwise, bias: try bias(conv.useBias),
          window: Window(kernelSize: ones), outputShape: outputShape)
      ]

    case let conv as any TransposedConvolutionKind:
      let kernel = try weight("kernel", of: call)
      let size = conv.window.kernelSize
      let spatial = size.indices
      let inChannels = inputShape[inputShape.count - 1]
      let out = conv.filters
      // The transposed convolution is the gradient of a convolution from the output size to the input size.
      var geometry = WindowGeometry.tensorflow(window: conv.window, input: spatial.map { outputShape[$0 + 1] })
      for axis in spatial {
        let effective = (size[axis] - 1) * conv.window.dilation[axis] + 1
        geometry.paddingAfter[axis] =
          (inputShape[axis + 1] - 1) * conv.window.strides[axis] + effective - geometry.paddingBefore[axis]
          - outputShape[axis + 1]
      }
      // Keras's kernel is row-major `(k..., filters, in)`; oneDNN's weights are `(filters, in, k...)`.
      var spatialStrides = [Int](repeating: out * inChannels, count: size.count)
      for axis in stride(from: size.count - 2, through: 0, by: -1) {
        spatialStrides[axis] = spatialStrides[axis + 1] * size[axis + 1]
      }
      let next = fusableActivation(after: index)
      let step = try ConvolutionStep(
        label: label, kind: .deconvolution, input: inputs[0], weightDims: [out, inChannels] + size,
        weightStrides: [inChannels, 1] + spatialStrides, weightValues: kernel, biasValues: try bias(conv.useBias),
        outputShape: outputShape, geometry: geometry, activation: next?.activation, builder: self)
      steps.append(step)
      if let next { assign(step.outputs[0], toFused: next.call) }
      return step.outputs

    case let dense as Dense:
      let next = fusableActivation(after: index)
      let step = try InnerProductStep(
        label: label, input: inputs[0], kernel: try weight("kernel", of: call), bias: try bias(dense.useBias),
        units: dense.units, activation: next?.activation, builder: self)
      steps.append(step)
      if let next { assign(step.outputs[0], toFused: next.call) }
      return step.outputs

    case let config as EinsumDense:
      let analysis = try config.analysis(input: TensorShape(inputShape.map { Optional($0) }))
      let biasValues = try analysis.biasShape.map { shape in (try weight("bias", of: call), shape) }
      return [
        try PlainKernels.einsum(
          analysis.einsum, label: label, lhs: inputs[0],
          rhs: .constant(try weight("kernel", of: call), shape: analysis.kernelShape), bias: biasValues, builder: self)
      ]

    case let config as Dot:
      let ranks = inputs.map { values[$0].shape.count }
      var operands = inputs
      if config.normalize {
        let summed = try config.normalizedAxes(ranks: ranks)
        for position in 0..<2 {
          operands[position] = try PlainKernels.unitNormalization(
            UnitNormalization(axis: [summed[position]], minimumSquaredNorm: config.minimumSquaredNorm), call: call,
            input: operands[position], builder: self)
        }
      }
      let product = try PlainKernels.einsum(
        try config.einsum(ranks: ranks), label: label, lhs: operands[0], rhs: .value(operands[1]), builder: self)
      return values[product].shape == outputShape ? [product] : [try copy(product, to: outputShape, label: label)]

    case let config as MultiHeadAttention:
      return try lowerMultiHeadAttention(config, call: call, inputs: inputs)
    case let config as DenseAttention:
      return try lowerDenseAttention(config, call: call, inputs: inputs)

    case let norm as BatchNormalization:
      let axis = try norm.normalizedAxis(rank: inputShape.count)
      guard axis == inputShape.count - 1 else {
        return [
          try PlainKernels.batchNormalizationOnAxis(norm, axis: axis, call: call, input: inputs[0], builder: self)
        ]
      }
      let (scale, shift) = try batchNormalizationAffine(call.layer, norm, channels: inputShape[axis])
      return [try channelAffine(index, label: label, input: inputs[0], scale: scale, shift: shift)]

    case let config as Rescaling:
      return [
        try channelAffine(index, label: label, input: inputs[0], scale: config.scale, shift: config.offset, call: call)
      ]

    case let config as Normalization:
      let channels = inputShape.last ?? 1
      let axes = try config.normalizedAxes(rank: inputShape.count)
      guard axes == [inputShape.count - 1] || axes.isEmpty else {
        throw unsupported("Normalization over axes \(config.axis) is not supported (only the last axis)")
      }
      let mean = try config.mean ?? weight("mean", of: call)
      let variance = try config.variance ?? weight("variance", of: call)
      let epsilon: Float = 1e-7
      var scale = [Float](repeating: 1, count: mean.count)
      var shift = [Float](repeating: 0, count: mean.count)
      for c in mean.indices {
        let deviation = max(variance[min(c, variance.count - 1)].squareRoot(), epsilon)
        if config.invert {
          scale[c] = deviation
          shift[c] = mean[c]
        } else {
          scale[c] = 1 / deviation
          shift[c] = -mean[c] / deviation
        }
      }
      if mean.count != 1 && mean.count != channels {
        throw unsupported("Normalization statistics of size \(mean.count) for \(channels) channels")
      }
      return [try channelAffine(index, label: label, input: inputs[0], scale: scale, shift: shift)]

    case is LayerScale:
      let gamma = try weight("gamma", of: call)
      return [try channelAffine(index, label: label, input: inputs[0], scale: gamma, shift: [0], call: call)]

    case let activation as Activation:
      return [try activationStep(activation.function, input: inputs[0], label: label, call: call)]

    case let config as ReLU:
      if let activation = reluActivation(config) {
        let step = try EltwiseStep(label: label, input: inputs[0], activation: activation, builder: self)
        steps.append(step)
        return step.outputs
      }
      return [try PlainKernels.relu(config, label: label, input: inputs[0], builder: self)]

    case let leaky as LeakyReLU:
      let step = try EltwiseStep(
        label: label, input: inputs[0], activation: ActivationMath.leakyReLU(slope: leaky.negativeSlope), builder: self)
      steps.append(step)
      return step.outputs

    case let elu as ELU:
      let step = try EltwiseStep(
        label: label, input: inputs[0], activation: ActivationMath.elu(alpha: elu.alpha), builder: self)
      steps.append(step)
      return step.outputs

    case let prelu as PReLU:
      return [
        try PlainKernels.parametricReLU(
          alpha: try weight("alpha", of: call), sharedAxes: prelu.sharedAxes, label: label, input: inputs[0],
          builder: self)
      ]

    case let softmax as Softmax:
      let axes = try softmax.normalizedAxes(rank: inputShape.count)
      guard axes.count == 1 else {
        return [try PlainKernels.softmax(axes: axes, label: label, input: inputs[0], builder: self)]
      }
      let step = try SoftmaxStep(
        label: label, input: inputs[0], axis: Desc.dnnlAxis(keras: axes[0], rank: inputShape.count), logarithmic: false,
        builder: self)
      steps.append(step)
      return step.outputs

    case let config as LayerNormalization:
      return [try PlainKernels.layerNormalization(config, call: call, input: inputs[0], builder: self)]
    case let config as GroupNormalization:
      return [try PlainKernels.groupNormalization(config, call: call, input: inputs[0], builder: self)]
    case let config as UnitNormalization:
      return [try PlainKernels.unitNormalization(config, call: call, input: inputs[0], builder: self)]

    case let pool as any PoolingKind:
      return [
        try pooling(
          pool.window, maximum: type(of: pool).takesMaximum, label: label, input: inputs[0], outputShape: outputShape)
      ]

    case let pool as any GlobalPoolingKind:
      return [
        try globalPooling(
          maximum: type(of: pool).takesMaximum, keepDims: pool.keepDims, label: label, input: inputs[0],
          outputShape: outputShape)
      ]

    case is Flatten, is Reshape:
      return [try copy(try plain(inputs[0], label: label), to: outputShape, label: label)]

    case let permute as Permute:
      return [
        try PlainKernels.permute(
          order: permute.dims, label: label, input: inputs[0], outputShape: outputShape, builder: self)
      ]

    case let concatenate as Concatenate:
      let axis = try concatenate.normalizedAxis(rank: inputShape.count)
      let step = try ConcatStep(
        label: label, inputs: inputs, axis: Desc.dnnlAxis(keras: axis, rank: inputShape.count),
        outputShape: outputShape, builder: self)
      steps.append(step)
      return step.outputs

    case let merge as Merge:
      return [try self.merge(merge.operation, label: label, inputs: inputs, outputShape: outputShape)]

    case let scaled as CustomScaleLayer:
      if values[inputs[0]].shape == values[inputs[1]].shape {
        let step = try SumStep(label: label, inputs: inputs, scales: [1, scaled.scale], builder: self)
        steps.append(step)
        return step.outputs
      }
      let product = try PlainKernels.broadcastBinary(
        .multiply, label: label, lhs: inputs[1], rhs: try constant([scaled.scale], label: label),
        outputShape: values[inputs[1]].shape, builder: self)
      return [
        try PlainKernels.broadcastBinary(
          .add, label: label, lhs: inputs[0], rhs: product, outputShape: outputShape, builder: self)
      ]

    case let edges as any EdgesKind:
      let crops = type(of: edges).crops
      // Zero padding read only by a convolution becomes part of the convolution's own padding: no copy.
      if !crops, foldablePaddingConsumer(of: index, edges: edges.edges) != nil { return [inputs[0]] }
      return [
        try PlainKernels.pad(
          edges.edges, crop: crops, label: label, input: inputs[0], outputShape: outputShape, builder: self)
      ]
    case let config as UpSampling2D:
      return [
        try PlainKernels.upSampling(config, label: label, input: inputs[0], outputShape: outputShape, builder: self)
      ]
    case let config as any RepeatingUpSamplingKind:
      return [
        try PlainKernels.repeatElements(
          config.size, label: label, input: inputs[0], outputShape: outputShape, builder: self)
      ]
    case let config as any ImageResizingKind:
      return [
        try PlainKernels.resize(
          window: config.window(inputHeight: inputShape[1], inputWidth: inputShape[2]),
          interpolation: config.interpolation, label: label, input: inputs[0], outputShape: outputShape, builder: self)
      ]

    case let config as Reduce:
      return [
        try PlainKernels.reduce(
          config.operation, axes: try config.normalizedAxes(rank: inputShape.count), label: label, input: inputs[0],
          outputShape: outputShape, builder: self)
      ]
    case let config as Elementwise:
      return [try PlainKernels.elementwise(config, label: label, input: inputs[0], builder: self)]

    case is Stack, is Split, is StridedSlice, is MatMul:
      return try lowerTensorOperation(call: call, inputs: inputs, outputShapes: outputShapes)

    case let wrapped as ChannelsFirst:
      return try lowerChannelsFirst(wrapped, index, call: call, inputs: inputs, outputShapes: outputShapes)

    case let registered as RegisteredLayer:
      return [
        try PlainKernels.custom(
          registered.implementation, call: call, inputs: inputs, outputShape: outputShape, builder: self)
      ]

    case is Embedding, is Masking, is RepeatVector, is any RecurrentKind, is Bidirectional, is TimeDistributed,
      is MaskOperation:
      return try lowerSequenceLayer(index, call: call, inputs: inputs, outputShapes: outputShapes)

    default:
      throw unsupported("the layer kind \(type(of: call.layer.kind)) has no lowering in the runtime")
    }
  }

  /// Max or average pooling over `window` (1-D, 2-D or 3-D). TensorFlow's 1-D and 2-D max pooling gradients go to
  /// the first of tied maxima, its 3-D one to every tied maximum.
  private func pooling(_ window: Window, maximum: Bool, label: String, input: Int, outputShape: [Int]) throws -> Int {
    let inputShape = values[input].shape
    let geometry = WindowGeometry.tensorflow(window: window, input: Array(inputShape.dropFirst().dropLast()))
    let step = try PoolingStep(
      label: label, input: input, maximum: maximum, kernel: window.kernelSize, geometry: geometry,
      outputShape: outputShape, tieRule: maximum && window.rank == 3 ? .every : .first, builder: self)
    steps.append(step)
    return step.outputs[0]
  }

  /// Global average or max pooling (ties share the gradient, as `reduce_max`): a window over the whole image on
  /// oneDNN for 2-D inputs, a reduction over the spatial axes otherwise.
  private func globalPooling(maximum: Bool, keepDims: Bool, label: String, input: Int, outputShape: [Int]) throws
    -> Int
  {
    let inputShape = values[input].shape
    guard inputShape.count == 4 else {
      return try PlainKernels.reduce(
        maximum ? .max : .mean, axes: Array(1..<(inputShape.count - 1)), label: label, input: input,
        outputShape: outputShape, builder: self)
    }
    let pooledShape = [inputShape[0], 1, 1, inputShape[3]]
    let geometry = WindowGeometry(strides: [1, 1], dilation: [1, 1], paddingBefore: [0, 0], paddingAfter: [0, 0])
    let step = try PoolingStep(
      label: label, input: input, maximum: maximum, kernel: [inputShape[1], inputShape[2]], geometry: geometry,
      outputShape: pooledShape, tieRule: .split, builder: self)
    steps.append(step)
    let pooled = try plain(step.outputs[0], label: label)
    if keepDims { return pooled }
    return try copy(pooled, to: outputShape, label: label)
  }

  /// A convolution with a following BatchNormalization folded in and a following activation fused, where the
  /// graph allows.
  private func convolution(
    _ index: Int, call: FlatCall, input: Int, kernel: ConvolutionKernel, bias: [Float]?, window: Window,
    outputShape: [Int]
  ) throws -> Int {
    var kernel = kernel
    var bias = bias
    var fusedFrom = index
    let channels = kernel.outputChannels
    if let norm = foldableBatchNormalization(after: index, channels: channels) {
      // Keras kernels keep the output channel innermost (a depthwise kernel's (in, multiplier) flattens to it).
      for position in kernel.values.indices { kernel.values[position] *= norm.scale[position % channels] }
      bias = (0..<channels).map { c in (bias?[c] ?? 0) * norm.scale[c] + norm.shift[c] }
      fusedFrom = norm.call
    }
    let next = fusableActivation(after: fusedFrom)
    let inputShape = values[input].shape
    // A folded zero padding (see `foldablePaddingConsumer`): the window sees the padded size, and the padding's
    // elements are added to the window's own.
    let spatial = kernel.size.indices
    let folded = foldedPaddings[index] ?? Edges.zero(rank: kernel.size.count)
    var geometry = WindowGeometry.tensorflow(
      window: Window(
        kernelSize: kernel.size, strides: window.strides, padding: window.padding, dilation: window.dilation),
      input: spatial.map { inputShape[$0 + 1] + folded.before[$0] + folded.after[$0] })
    for axis in spatial {
      geometry.paddingBefore[axis] += folded.before[axis]
      geometry.paddingAfter[axis] += folded.after[axis]
    }
    let step = try ConvolutionStep(
      label: call.location.description, kind: .convolution, input: input, kernel: kernel, biasValues: bias,
      outputShape: outputShape, geometry: geometry, activation: next?.activation,
      allowsWinograd: !directConvolutionCalls.contains(index), builder: self)
    steps.append(step)
    let output = step.outputs[0]
    if fusedFrom != index { assign(output, toFused: fusedFrom) }
    if let next { assign(output, toFused: next.call) }
    return output
  }

  /// `x * scale + shift` per channel (or scalar), fusing a following activation where the graph allows.
  private func channelAffine(
    _ index: Int, label: String, input: Int, scale: [Float], shift: [Float], call: FlatCall? = nil
  ) throws -> Int {
    let channels = values[input].shape.last ?? 1
    let count = max(scale.count, shift.count)
    guard count == 1 || count == channels else {
      throw TensorError.unsupportedLayer(
        layer: call?.location ?? LayerLocation(path: label, index: -1, className: ""),
        detail: "\(count) per-channel constants for \(channels) channels")
    }
    let expand = { (values: [Float]) in
      values.count == count ? values : [Float](repeating: values.first ?? 0, count: count)
    }
    let next = fusableActivation(after: index)
    let step = try ChannelAffineStep(
      label: label, input: input, scale: expand(scale), shift: expand(shift), activation: next?.activation,
      builder: self)
    steps.append(step)
    if let next { assign(step.outputs[0], toFused: next.call) }
    return step.outputs[0]
  }

  /// An activation layer (or a layer's own activation run separately).
  func activationStep(
    _ function: ActivationFunction, input: Int, label: String, call: FlatCall
  ) throws -> Int {
    let rank = values[input].shape.count
    switch function {
    case .linear:
      return input
    case .softmax, .logSoftmax:
      let step = try SoftmaxStep(
        label: label, input: input, axis: Desc.dnnlAxis(keras: rank - 1, rank: rank),
        logarithmic: function == .logSoftmax,
        builder: self)
      steps.append(step)
      return step.outputs[0]
    case .sparsemax:
      return try PlainKernels.sparsemax(label: label, input: input, builder: self)
    case .glu:
      return try PlainKernels.gatedLinearUnit(label: label, input: input, builder: self)
    default:
      if let activation = ActivationMath.dnnl(function) {
        let step = try EltwiseStep(label: label, input: input, activation: activation, builder: self)
        steps.append(step)
        return step.outputs[0]
      }
      return try PlainKernels.elementwise(function, label: label, input: input, builder: self)
    }
  }

  /// A plain copy of `input` under another shape (Flatten, Reshape).
  func copy(_ input: Int, to shape: [Int], label: String) throws -> Int {
    let output = try newValue(shape: shape, desc: try Desc.plain(keras: shape), label: label)
    steps.append(CopyStep(label: label, input: input, output: output))
    return output
  }

  /// A constant value (a broadcast operand).
  func constant(_ numbers: [Float], label: String) throws -> Int {
    let shape = [1, numbers.count]
    let id = try newValue(shape: shape, desc: try Desc.plain(keras: shape), label: label + " (constant)")
    try values[id].bindOwn()
    numbers.withUnsafeBufferPointer { values[id].buffer.floats.update(from: $0.baseAddress!, count: $0.count) }
    return id
  }

  /// Add, Subtract, Multiply, Average, Maximum, Minimum of several inputs.
  private func merge(_ operation: MergeOperation, label: String, inputs: [Int], outputShape: [Int]) throws -> Int {
    let sameShape = inputs.allSatisfy { values[$0].shape == outputShape }
    if sameShape {
      switch operation {
      case .add, .average:
        let scale: Float = operation == .add ? 1 : 1 / Float(inputs.count)
        let step = try SumStep(
          label: label, inputs: inputs, scales: [Float](repeating: scale, count: inputs.count), builder: self)
        steps.append(step)
        return step.outputs[0]
      case .subtract, .multiply, .maximum, .minimum:
        let binary: BinaryStep.Operation =
          operation == .subtract
          ? .subtract : operation == .multiply ? .multiply : operation == .maximum ? .maximum : .minimum
        var result = inputs[0]
        for next in inputs.dropFirst() {
          let step = try BinaryStep(label: label, lhs: result, rhs: next, operation: binary, builder: self)
          steps.append(step)
          result = step.outputs[0]
        }
        return result
      }
    }
    if let step = try broadcastStep(operation, label: label, inputs: inputs, outputShape: outputShape) {
      steps.append(step)
      return step.outputs[0]
    }
    var result = inputs[0]
    for next in inputs.dropFirst() {
      let shape = try broadcastShape(values[result].shape, values[next].shape, label: label)
      let kind: PlainKernels.BinaryKind =
        switch operation {
        case .add, .average: .add
        case .subtract: .subtract
        case .multiply: .multiply
        case .maximum: .maximum
        case .minimum: .minimum
        }
      result = try PlainKernels.broadcastBinary(
        kind, label: label, lhs: result, rhs: next, outputShape: shape, builder: self)
    }
    if operation == .average {
      let scale = try constant([1 / Float(inputs.count)], label: label)
      result = try PlainKernels.broadcastBinary(
        .multiply, label: label, lhs: result, rhs: scale, outputShape: outputShape, builder: self)
    }
    return result
  }

  /// A forward-only plan's merge of a full-size tensor with one that broadcasts over it (same rank, each axis
  /// equal or 1), on oneDNN; nil where `PlainKernels.broadcastBinary` computes it (plans with gradients, other
  /// shapes, Average, a broadcast minuend).
  private func broadcastStep(_ operation: MergeOperation, label: String, inputs: [Int], outputShape: [Int]) throws
    -> Step?
  {
    guard !gradients, inputs.count == 2 else { return nil }
    var (full, broadcast) = (inputs[0], inputs[1])
    let commutative = operation != .subtract
    if values[full].shape != outputShape, commutative { (full, broadcast) = (broadcast, full) }
    let small = values[broadcast].shape
    guard values[full].shape == outputShape, small.count == outputShape.count,
      zip(small, outputShape).allSatisfy({ $0 == $1 || $0 == 1 })
    else { return nil }
    let binary: BinaryStep.Operation
    switch operation {
    case .add, .average: return nil
    case .subtract: binary = .subtract
    case .multiply: binary = .multiply
    case .maximum: binary = .maximum
    case .minimum: binary = .minimum
    }
    return try BroadcastBinaryStep(label: label, lhs: full, rhs: broadcast, operation: binary, builder: self)
  }

  func broadcastShape(_ lhs: [Int], _ rhs: [Int], label: String) throws -> [Int] {
    let rank = max(lhs.count, rhs.count)
    let a = [Int](repeating: 1, count: rank - lhs.count) + lhs
    let b = [Int](repeating: 1, count: rank - rhs.count) + rhs
    return try zip(a, b).map { x, y in
      guard x == y || x == 1 || y == 1 else {
        throw TensorError.invalidShape(shape: lhs, detail: "cannot be broadcast with \(rhs) in \(label)")
      }
      return max(x, y)
    }
  }
}

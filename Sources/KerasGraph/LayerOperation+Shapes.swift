/// A shape problem found while inferring a layer's output, reported with the layer's location by the caller.
public struct ShapeProblem: Error, CustomStringConvertible {
  /// What does not fit.
  public var detail: String

  public init(detail: String) {
    self.detail = detail
  }

  public var description: String { detail }
}

/// Output length of a convolution or pooling window along one axis (TensorFlow's rule).
/// `valid`: `floor((n - ((k - 1) d + 1)) / s) + 1`; `same`: `ceil(n / s)`.
func windowOutputLength(_ length: Int?, kernel: Int, stride: Int, dilation: Int = 1, padding: Padding) throws -> Int? {
  guard let length else { return nil }
  let effective = (kernel - 1) * dilation + 1
  switch padding {
  case .same:
    return (length + stride - 1) / stride
  case .valid:
    guard length >= effective else {
      throw ShapeProblem(
        detail: "window of size \(effective) does not fit an input of size \(length) with 'valid' padding")
    }
    return (length - effective) / stride + 1
  }
}

/// Output length of a transposed convolution along one axis (Keras's `deconv_output_length`).
func transposedOutputLength(
  _ length: Int?, kernel: Int, stride: Int, dilation: Int, padding: Padding, outputPadding: Int?
) -> Int? {
  guard let length else { return nil }
  let effective = (kernel - 1) * dilation + 1
  guard let outputPadding else {
    switch padding {
    case .valid: return length * stride + max(effective - stride, 0)
    case .same: return length * stride
    }
  }
  let pad = padding == .same ? effective / 2 : 0
  return (length - 1) * stride + effective - 2 * pad + outputPadding
}

extension LayerOperation {
  /// Requires exactly `count` inputs of rank `rank` (nil: any rank).
  private func require(_ inputs: [TensorShape], count: Int = 1, rank: Int? = nil) throws {
    guard inputs.count == count else {
      throw ShapeProblem(detail: "expects \(count) input\(count == 1 ? "" : "s"), got \(inputs.count)")
    }
    if let rank, let bad = inputs.first(where: { $0.rank != rank }) {
      throw ShapeProblem(detail: "expects a rank-\(rank) input (batch, height, width, channels), got \(bad)")
    }
  }

  private func channels(_ shape: TensorShape) throws -> Int {
    guard let channels = shape.last else { throw ShapeProblem(detail: "the channel dimension of \(shape) is unknown") }
    return channels
  }

  /// The shapes of the layer's outputs for the given input shapes (batch dimension first).
  /// - Throws: `ShapeProblem` when the inputs do not fit the layer.
  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    switch self {
    case .input:
      return inputs
    case .convolution2D(let conv):
      try require(inputs, rank: 4)
      let input = inputs[0]
      let inChannels = try channels(input)
      guard inChannels % conv.groups == 0, conv.filters % conv.groups == 0 else {
        throw ShapeProblem(
          detail: "groups=\(conv.groups) must divide the \(inChannels) input channels and \(conv.filters) filters")
      }
      return [
        try spatial(input, channels: conv.filters) { axis, length in
          try windowOutputLength(
            length, kernel: conv.kernelSize[axis], stride: conv.strides[axis], dilation: conv.dilation[axis],
            padding: conv.padding)
        }
      ]
    case .depthwiseConvolution2D(let conv):
      try require(inputs, rank: 4)
      let inChannels = try channels(inputs[0])
      return [
        try spatial(inputs[0], channels: inChannels * conv.depthMultiplier) { axis, length in
          try windowOutputLength(
            length, kernel: conv.kernelSize[axis], stride: conv.strides[axis], dilation: conv.dilation[axis],
            padding: conv.padding)
        }
      ]
    case .separableConvolution2D(let conv):
      try require(inputs, rank: 4)
      _ = try channels(inputs[0])
      return [
        try spatial(inputs[0], channels: conv.filters) { axis, length in
          try windowOutputLength(
            length, kernel: conv.kernelSize[axis], stride: conv.strides[axis], dilation: conv.dilation[axis],
            padding: conv.padding)
        }
      ]
    case .transposedConvolution2D(let conv):
      try require(inputs, rank: 4)
      _ = try channels(inputs[0])
      return [
        spatial(inputs[0], channels: conv.filters) { axis, length in
          transposedOutputLength(
            length, kernel: conv.kernelSize[axis], stride: conv.strides[axis], dilation: conv.dilation[axis],
            padding: conv.padding, outputPadding: conv.outputPadding?[axis])
        }
      ]
    case .dense(let dense):
      try require(inputs)
      guard inputs[0].rank >= 2 else { throw ShapeProblem(detail: "Dense needs an input of rank 2 or more") }
      _ = try channels(inputs[0])
      var output = inputs[0]
      output.dimensions[output.rank - 1] = dense.units
      return [output]
    case .batchNormalization(let norm):
      try require(inputs)
      guard norm.axis < inputs[0].rank, inputs[0].dimensions[norm.axis] != nil else {
        throw ShapeProblem(detail: "axis \(norm.axis) is not a known dimension of \(inputs[0])")
      }
      return inputs
    case .layerNormalization, .activation, .relu, .leakyReLU, .parametricReLU, .elu, .softmax, .identity,
      .rescaling, .normalization, .layerScale:
      try require(inputs)
      return inputs
    case .maxPooling2D(let pool), .averagePooling2D(let pool):
      try require(inputs, rank: 4)
      return [
        try spatial(inputs[0], channels: inputs[0].last) { axis, length in
          try windowOutputLength(length, kernel: pool.poolSize[axis], stride: pool.strides[axis], padding: pool.padding)
        }
      ]
    case .globalAveragePooling2D(let keepDims), .globalMaxPooling2D(let keepDims):
      try require(inputs, rank: 4)
      return [TensorShape(keepDims ? [nil, 1, 1, inputs[0].last] : [nil, inputs[0].last])]
    case .flatten:
      try require(inputs)
      return [TensorShape([nil, inputs[0].elementsPerSample])]
    case .reshape(let target):
      try require(inputs)
      let known = target.filter { $0 > 0 }.reduce(1, *)
      var dimensions = target.map { Optional($0) }
      if let hole = target.firstIndex(of: -1) {
        if let total = inputs[0].elementsPerSample {
          guard known > 0, total % known == 0 else {
            throw ShapeProblem(detail: "cannot reshape \(inputs[0]) to \(target)")
          }
          dimensions[hole] = total / known
        } else {
          dimensions[hole] = nil
        }
      } else if let total = inputs[0].elementsPerSample, total != known {
        throw ShapeProblem(detail: "cannot reshape \(inputs[0]) (\(total) values per sample) to \(target)")
      }
      return [TensorShape([nil] + dimensions)]
    case .permute(let order):
      try require(inputs)
      guard order.count == inputs[0].rank - 1 else {
        throw ShapeProblem(detail: "dims \(order) do not match the input \(inputs[0])")
      }
      return [TensorShape([nil] + order.map { inputs[0].dimensions[$0] })]
    case .concatenate(let axis):
      guard inputs.count >= 2 else {
        throw ShapeProblem(detail: "Concatenate needs at least 2 inputs, got \(inputs.count)")
      }
      let rank = inputs[0].rank
      guard inputs.allSatisfy({ $0.rank == rank }), axis < rank else {
        throw ShapeProblem(detail: "inputs \(inputs.map(\.description)) cannot be concatenated on axis \(axis)")
      }
      var output = inputs[0]
      for position in 1..<rank where position != axis {
        let sizes = Set(inputs.compactMap { $0.dimensions[position] })
        guard sizes.count <= 1 else {
          throw ShapeProblem(
            detail: "inputs \(inputs.map(\.description)) differ outside the concatenation axis \(axis)")
        }
        output.dimensions[position] = sizes.first
      }
      let parts = inputs.map { $0.dimensions[axis] }
      output.dimensions[axis] = parts.contains { $0 == nil } ? nil : parts.reduce(0) { $0 + $1! }
      return [output]
    case .merge(let operation):
      guard inputs.count >= 2 else {
        throw ShapeProblem(detail: "\(operation) needs at least 2 inputs, got \(inputs.count)")
      }
      if operation == .subtract, inputs.count != 2 {
        throw ShapeProblem(detail: "Subtract needs exactly 2 inputs, got \(inputs.count)")
      }
      return [try inputs.dropFirst().reduce(inputs[0]) { try broadcast($0, $1) }]
    case .scaledSum:
      try require(inputs, count: 2)
      return [try broadcast(inputs[0], inputs[1])]
    case .zeroPadding2D(let edges):
      try require(inputs, rank: 4)
      return [
        spatial(inputs[0], channels: inputs[0].last) { axis, length in
          length.map { $0 + (axis == 0 ? edges.top + edges.bottom : edges.left + edges.right) }
        }
      ]
    case .cropping2D(let edges):
      try require(inputs, rank: 4)
      return [
        try spatial(inputs[0], channels: inputs[0].last) { axis, length in
          guard let length else { return nil }
          let remaining = length - (axis == 0 ? edges.top + edges.bottom : edges.left + edges.right)
          guard remaining > 0 else { throw ShapeProblem(detail: "cropping removes all of an axis of size \(length)") }
          return remaining
        }
      ]
    case .upSampling2D(let upsampling):
      try require(inputs, rank: 4)
      return [
        spatial(inputs[0], channels: inputs[0].last) { axis, length in length.map { $0 * upsampling.size[axis] } }
      ]
    case .model(let graph):
      guard inputs.count == graph.inputs.count else {
        throw ShapeProblem(detail: "the nested model takes \(graph.inputs.count) inputs, got \(inputs.count)")
      }
      return graph.outputShapes
    case .custom(_, let implementation):
      return try implementation.outputShapes(inputShapes: inputs)
    }
  }

  /// The weights the layer stores, in Keras's order, for the given input shapes.
  package func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    func bias(_ count: Int, _ used: Bool) -> [WeightSpecification] {
      used ? [WeightSpecification(name: "bias", shape: [count])] : []
    }
    switch self {
    case .convolution2D(let conv):
      let inChannels = try channels(inputs[0])
      return [WeightSpecification(name: "kernel", shape: conv.kernelSize + [inChannels / conv.groups, conv.filters])]
        + bias(conv.filters, conv.useBias)
    case .depthwiseConvolution2D(let conv):
      let inChannels = try channels(inputs[0])
      return [
        WeightSpecification(name: "depthwise_kernel", shape: conv.kernelSize + [inChannels, conv.depthMultiplier])
      ]
        + bias(inChannels * conv.depthMultiplier, conv.useBias)
    case .separableConvolution2D(let conv):
      let inChannels = try channels(inputs[0])
      return [
        WeightSpecification(name: "depthwise_kernel", shape: conv.kernelSize + [inChannels, conv.depthMultiplier]),
        WeightSpecification(name: "pointwise_kernel", shape: [1, 1, inChannels * conv.depthMultiplier, conv.filters]),
      ] + bias(conv.filters, conv.useBias)
    case .transposedConvolution2D(let conv):
      let inChannels = try channels(inputs[0])
      return [WeightSpecification(name: "kernel", shape: conv.kernelSize + [conv.filters, inChannels])]
        + bias(conv.filters, conv.useBias)
    case .dense(let dense):
      return [WeightSpecification(name: "kernel", shape: [try channels(inputs[0]), dense.units])]
        + bias(dense.units, dense.useBias)
    case .batchNormalization(let norm):
      guard let size = inputs[0].dimensions[norm.axis] else { return [] }
      var specifications: [WeightSpecification] = []
      if norm.scale { specifications.append(WeightSpecification(name: "gamma", shape: [size])) }
      if norm.center { specifications.append(WeightSpecification(name: "beta", shape: [size])) }
      specifications.append(WeightSpecification(name: "moving_mean", shape: [size], trainable: false))
      specifications.append(WeightSpecification(name: "moving_variance", shape: [size], trainable: false))
      return specifications
    case .layerNormalization(let norm):
      let shape = try norm.axes.map { axis -> Int in
        guard let size = inputs[0].dimensions[axis] else {
          throw ShapeProblem(detail: "axis \(axis) of \(inputs[0]) is unknown")
        }
        return size
      }
      var specifications: [WeightSpecification] = []
      if norm.scale || norm.rmsScaling { specifications.append(WeightSpecification(name: "gamma", shape: shape)) }
      if norm.center && !norm.rmsScaling { specifications.append(WeightSpecification(name: "beta", shape: shape)) }
      return specifications
    case .parametricReLU(let sharedAxes):
      let shape = try inputs[0].featureDimensions.enumerated().map { offset, size -> Int in
        if sharedAxes.contains(offset + 1) { return 1 }
        guard let size else { throw ShapeProblem(detail: "PReLU needs known dimensions, got \(inputs[0])") }
        return size
      }
      return [WeightSpecification(name: "alpha", shape: shape)]
    case .normalization(let norm):
      guard norm.mean == nil || norm.variance == nil else { return [] }
      let shape = try norm.axes.map { axis -> Int in
        guard let size = inputs[0].dimensions[axis] else {
          throw ShapeProblem(detail: "axis \(axis) of \(inputs[0]) is unknown")
        }
        return size
      }
      return [
        WeightSpecification(name: "mean", shape: shape, trainable: false),
        WeightSpecification(name: "variance", shape: shape, trainable: false),
        WeightSpecification(name: "count", shape: [], trainable: false),
      ]
    case .layerScale(let dimension):
      return [WeightSpecification(name: "gamma", shape: [dimension])]
    case .custom(_, let implementation):
      return try implementation.weightSpecifications(inputShapes: inputs)
    case .input, .activation, .relu, .leakyReLU, .elu, .softmax, .maxPooling2D, .averagePooling2D,
      .globalAveragePooling2D, .globalMaxPooling2D, .flatten, .reshape, .permute, .identity, .concatenate, .merge,
      .zeroPadding2D, .cropping2D, .upSampling2D, .rescaling, .scaledSum, .model:
      return []
    }
  }
}

/// A rank-4 NHWC shape with height and width transformed by `transform(axis, length)` and the given channels.
private func spatial(
  _ input: TensorShape, channels: Int?, _ transform: (Int, Int?) throws -> Int?
) rethrows -> TensorShape {
  TensorShape([
    input.dimensions[0], try transform(0, input.dimensions[1]), try transform(1, input.dimensions[2]), channels,
  ])
}

/// NumPy broadcasting of two shapes of equal rank (Keras merge layers).
private func broadcast(_ lhs: TensorShape, _ rhs: TensorShape) throws -> TensorShape {
  guard lhs.rank == rhs.rank else {
    throw ShapeProblem(detail: "cannot merge shapes \(lhs) and \(rhs) of different rank")
  }
  var output = lhs
  for axis in 1..<lhs.rank {
    switch (lhs.dimensions[axis], rhs.dimensions[axis]) {
    case (let a?, let b?) where a == b: output.dimensions[axis] = a
    case (1, let b): output.dimensions[axis] = b
    case (let a, 1): output.dimensions[axis] = a
    case (nil, let b): output.dimensions[axis] = b
    case (let a, nil): output.dimensions[axis] = a
    default: throw ShapeProblem(detail: "cannot merge shapes \(lhs) and \(rhs)")
    }
  }
  return output
}

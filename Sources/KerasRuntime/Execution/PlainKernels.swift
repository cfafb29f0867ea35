import Foundation
import KerasGraph

/// Swift kernels for the layers oneDNN has no primitive for, each returning the output value of a `PlainStep`.
/// Tensors are row-major in Keras's layout.
enum PlainKernels {
  /// Row-major strides of `shape`.
  static func strides(_ shape: [Int]) -> [Int] {
    var result = [Int](repeating: 1, count: shape.count)
    for axis in stride(from: shape.count - 2, through: 0, by: -1) { result[axis] = result[axis + 1] * shape[axis + 1] }
    return result
  }

  /// An element-wise activation computed in Swift (those oneDNN has no algorithm for).
  static func elementwise(_ function: ActivationFunction, label: String, input: Int, builder: PlanBuilder) throws -> Int
  {
    let shape = builder.values[input].shape
    let count = shape.reduce(1, *)
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: shape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        for i in 0..<count { output[i] = ActivationMath.value(function, x[i]) }
      },
      backward: { inputs, _, dy, dx in
        let x = inputs[0]
        for i in 0..<count { dx[0][i] = dy[i] * ActivationMath.derivative(function, x[i]) }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// Keras's ReLU with a threshold: `x > t ? min(x, max_value) : negative_slope * (x - t)`.
  static func relu(_ config: ReLU, label: String, input: Int, builder: PlanBuilder) throws -> Int {
    let shape = builder.values[input].shape
    let count = shape.reduce(1, *)
    let upper = config.maxValue ?? .infinity
    let slope = config.negativeSlope
    let threshold = config.threshold
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: shape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        for i in 0..<count { output[i] = x[i] > threshold ? min(x[i], upper) : slope * (x[i] - threshold) }
      },
      backward: { inputs, _, dy, dx in
        let x = inputs[0]
        for i in 0..<count { dx[0][i] = x[i] > threshold ? (x[i] < upper ? dy[i] : 0) : slope * dy[i] }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// PReLU: `x` for x > 0, `alpha * x` otherwise, `alpha` broadcast along the shared axes.
  static func parametricReLU(alpha: [Float], sharedAxes: [Int], label: String, input: Int, builder: PlanBuilder) throws
    -> Int
  {
    let shape = builder.values[input].shape
    var alphaShape = Array(shape.dropFirst())
    for axis in sharedAxes where axis >= 1 && axis <= alphaShape.count { alphaShape[axis - 1] = 1 }
    guard alphaShape.reduce(1, *) == alpha.count else {
      throw TensorError.invalidShape(
        shape: alphaShape, detail: "does not hold the \(alpha.count) PReLU alphas in \(label)")
    }
    let index = broadcastIndex(from: [1] + alphaShape, to: shape)
    let count = shape.reduce(1, *)
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: shape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        for i in 0..<count { output[i] = x[i] > 0 ? x[i] : alpha[index[i]] * x[i] }
      },
      backward: { inputs, _, dy, dx in
        let x = inputs[0]
        for i in 0..<count { dx[0][i] = x[i] > 0 ? dy[i] : (x[i] < 0 ? alpha[index[i]] * dy[i] : 0) }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// For each element of `target`, the position of the element of `source` (same rank, 1s broadcast) it reads.
  static func broadcastIndex(from source: [Int], to target: [Int]) -> [Int] {
    let rank = target.count
    let padded = [Int](repeating: 1, count: rank - source.count) + source
    var sourceStrides = strides(padded)
    for axis in 0..<rank where padded[axis] == 1 { sourceStrides[axis] = 0 }
    let count = target.reduce(1, *)
    var result = [Int](repeating: 0, count: count)
    var position = [Int](repeating: 0, count: rank)
    var offset = 0
    for i in 0..<count {
      result[i] = offset
      var axis = rank - 1
      while axis >= 0 {
        position[axis] += 1
        offset += sourceStrides[axis]
        if position[axis] < target[axis] { break }
        offset -= sourceStrides[axis] * position[axis]
        position[axis] = 0
        axis -= 1
      }
    }
    return result
  }

  enum BinaryKind { case add, subtract, multiply, maximum, minimum }

  /// A binary operation with NumPy broadcasting (merge layers whose inputs differ in shape).
  static func broadcastBinary(
    _ kind: BinaryKind, label: String, lhs: Int, rhs: Int, outputShape: [Int], builder: PlanBuilder
  ) throws -> Int {
    let left = broadcastIndex(from: builder.values[lhs].shape, to: outputShape)
    let right = broadcastIndex(from: builder.values[rhs].shape, to: outputShape)
    let count = outputShape.reduce(1, *)
    let step = try PlainStep(
      label: label, inputs: [lhs, rhs], outputShape: outputShape, builder: builder,
      forward: { inputs, output in
        let a = inputs[0]
        let b = inputs[1]
        for i in 0..<count {
          let x = a[left[i]]
          let y = b[right[i]]
          switch kind {
          case .add: output[i] = x + y
          case .subtract: output[i] = x - y
          case .multiply: output[i] = x * y
          case .maximum: output[i] = max(x, y)
          case .minimum: output[i] = min(x, y)
          }
        }
      },
      backward: { inputs, _, dy, dx in
        let a = inputs[0]
        let b = inputs[1]
        for i in 0..<count {
          let x = a[left[i]]
          let y = b[right[i]]
          switch kind {
          case .add:
            dx[0][left[i]] += dy[i]
            dx[1][right[i]] += dy[i]
          case .subtract:
            dx[0][left[i]] += dy[i]
            dx[1][right[i]] -= dy[i]
          case .multiply:
            dx[0][left[i]] += dy[i] * y
            dx[1][right[i]] += dy[i] * x
          case .maximum:
            if x >= y { dx[0][left[i]] += dy[i] } else { dx[1][right[i]] += dy[i] }
          case .minimum:
            if x <= y { dx[0][left[i]] += dy[i] } else { dx[1][right[i]] += dy[i] }
          }
        }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// Permute: output axis `k + 1` is input axis `order[k]` (1-based, batch fixed).
  static func permute(order: [Int], label: String, input: Int, outputShape: [Int], builder: PlanBuilder) throws -> Int {
    let inputShape = builder.values[input].shape
    let inputStrides = strides(inputShape)
    let sourceStrides = [inputStrides[0]] + order.map { inputStrides[$0] }
    let gather = gatherIndex(shape: outputShape, sourceStrides: sourceStrides)
    return try gatherStep(gather, label: label, input: input, outputShape: outputShape, builder: builder)
  }

  /// For each element of a tensor of `shape`, the offset `sum(position * sourceStrides)`.
  static func gatherIndex(shape: [Int], sourceStrides: [Int]) -> [Int] {
    let count = shape.reduce(1, *)
    var result = [Int](repeating: 0, count: count)
    var position = [Int](repeating: 0, count: shape.count)
    var offset = 0
    for i in 0..<count {
      result[i] = offset
      var axis = shape.count - 1
      while axis >= 0 {
        position[axis] += 1
        offset += sourceStrides[axis]
        if position[axis] < shape[axis] { break }
        offset -= sourceStrides[axis] * position[axis]
        position[axis] = 0
        axis -= 1
      }
    }
    return result
  }

  /// `output[i] = input[gather[i]]` (or 0 where `gather[i]` is -1), with its gradient.
  static func gatherStep(_ gather: [Int], label: String, input: Int, outputShape: [Int], builder: PlanBuilder) throws
    -> Int
  {
    let step = try PlainStep(
      label: label, inputs: [input], outputShape: outputShape, builder: builder,
      forward: { inputs, output in
        let x = inputs[0]
        for i in gather.indices { output[i] = gather[i] >= 0 ? x[gather[i]] : 0 }
      },
      backward: { _, _, dy, dx in
        for i in gather.indices where gather[i] >= 0 { dx[0][gather[i]] += dy[i] }
      })
    builder.steps.append(step)
    return step.outputs[0]
  }

  /// Zero padding (zeros added) or cropping (elements removed) before and after each spatial axis of a
  /// channels-last input of any rank.
  static func pad(_ edges: Edges, crop: Bool, label: String, input: Int, outputShape: [Int], builder: PlanBuilder)
    throws -> Int
  {
    let inputShape = builder.values[input].shape
    let sign = crop ? -1 : 1
    let offsets = [0] + edges.before.map { -sign * $0 } + [0]
    return try gatherStep(
      spatialGather(inputShape: inputShape, outputShape: outputShape) { axis, position in position + offsets[axis] },
      label: label, input: input, outputShape: outputShape, builder: builder)
  }

  /// UpSampling1D and UpSampling3D: each element repeated `size[k]` times along spatial axis `k` (Keras's
  /// `repeat_elements`); the gradient of an input element is the sum over its copies.
  static func repeatElements(_ size: [Int], label: String, input: Int, outputShape: [Int], builder: PlanBuilder)
    throws -> Int
  {
    let inputShape = builder.values[input].shape
    let factors = [1] + size + [1]
    return try gatherStep(
      spatialGather(inputShape: inputShape, outputShape: outputShape) { axis, position in position / factors[axis] },
      label: label, input: input, outputShape: outputShape, builder: builder)
  }

  /// For each element of a tensor of `outputShape` (row-major), the offset of the input element at
  /// `source(axis, position)` along each axis, or -1 where that falls outside the input.
  static func spatialGather(inputShape: [Int], outputShape: [Int], source: (Int, Int) -> Int) -> [Int] {
    let inputStrides = strides(inputShape)
    let rank = outputShape.count
    // Per axis, the input offset each output coordinate reads (-1 outside).
    let axisOffsets = (0..<rank).map { axis in
      (0..<outputShape[axis]).map { position -> Int in
        let sourcePosition = source(axis, position)
        return sourcePosition >= 0 && sourcePosition < inputShape[axis] ? sourcePosition * inputStrides[axis] : -1
      }
    }
    var gather = [Int](repeating: -1, count: outputShape.reduce(1, *))
    var position = [Int](repeating: 0, count: rank)
    for i in gather.indices {
      var offset = 0
      var inside = true
      for axis in 0..<rank {
        let axisOffset = axisOffsets[axis][position[axis]]
        if axisOffset < 0 {
          inside = false
          break
        }
        offset += axisOffset
      }
      if inside { gather[i] = offset }
      var axis = rank - 1
      while axis >= 0 {
        position[axis] += 1
        if position[axis] < outputShape[axis] { break }
        position[axis] = 0
        axis -= 1
      }
    }
    return gather
  }

  /// UpSampling2D: `tf.image.resize` of the whole input to `size` times its height and width (`nearest` repeats
  /// rows and columns, `bilinear` interpolates with half-pixel centers).
  static func upSampling(
    _ config: UpSampling2D, label: String, input: Int, outputShape: [Int], builder: PlanBuilder
  ) throws -> Int {
    let inputShape = builder.values[input].shape
    guard let interpolation = ResizeInterpolation(rawValue: config.interpolation) else {
      throw TensorError.invalidShape(
        shape: inputShape, detail: "UpSampling2D interpolation '\(config.interpolation)' is not supported in \(label)")
    }
    return try resize(
      window: .whole(height: inputShape[1], width: inputShape[2]), interpolation: interpolation, label: label,
      input: input, outputShape: outputShape, builder: builder)
  }

  /// A user-registered layer class, run through its `forward` (no gradient).
  static func custom(
    _ implementation: any CustomLayer, call: FlatCall, inputs: [Int], outputShape: [Int], builder: PlanBuilder
  ) throws -> Int {
    let shapes = inputs.map { builder.values[$0].shape }
    let counts = shapes.map { $0.reduce(1, *) }
    let weights = call.layer.weights
    let location = call.location
    let outputCount = outputShape.reduce(1, *)
    let step = try PlainStep(
      label: location.description, inputs: inputs, outputShape: outputShape, builder: builder,
      forward: { pointers, output in
        let arrays = zip(pointers, counts).map { Array(UnsafeBufferPointer(start: $0, count: $1)) }
        let result: [Float]
        do {
          result = try implementation.forward(
            inputs: arrays, inputShapes: shapes, weights: weights, outputShape: outputShape)
        } catch {
          throw TensorError.unsupportedLayer(layer: location, detail: "\(error)")
        }
        guard result.count == outputCount else {
          throw TensorError.unsupportedLayer(
            layer: location, detail: "forward returned \(result.count) values for an output of shape \(outputShape)")
        }
        result.withUnsafeBufferPointer { output.update(from: $0.baseAddress!, count: outputCount) }
      },
      backward: nil)
    builder.steps.append(step)
    return step.outputs[0]
  }
}

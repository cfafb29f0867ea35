/// An operation computed by Swift kernels on plain (row-major, Keras-layout) tensors: the layers oneDNN has no
/// primitive for (LayerNormalization, PReLU, padding, cropping, upsampling, permutation, broadcasting
/// arithmetic, less common activations).
final class PlainStep: Step {
  /// Computes the output from the inputs.
  typealias Forward = (_ inputs: [UnsafePointer<Float>], _ output: UnsafeMutablePointer<Float>) throws -> Void
  /// Writes the gradient of every input (into zeroed buffers) from the inputs, output and output gradient.
  typealias Backward = (
    _ inputs: [UnsafePointer<Float>], _ output: UnsafePointer<Float>, _ outputGradient: UnsafePointer<Float>,
    _ inputGradients: [UnsafeMutablePointer<Float>]
  ) throws -> Void

  private let forwardKernel: Forward
  private let backwardKernel: Backward?
  private var gradientBuffers: [AlignedBuffer] = []

  init(
    label: String, inputs sources: [Int], outputShape: [Int], builder: PlanBuilder, forward: @escaping Forward,
    backward: Backward?
  ) throws {
    forwardKernel = forward
    backwardKernel = backward
    super.init(label: label)
    inputs = try sources.map { try builder.plain($0, label: label) }
    outputs = [try builder.newValue(shape: outputShape, desc: try Desc.plain(keras: outputShape), label: label)]
  }

  override func forward(_ plan: ExecutionPlan) throws {
    try forwardKernel(
      inputs.map { UnsafePointer(plan.values[$0].buffer.floats) }, plan.values[outputs[0]].buffer.floats)
  }

  override func prepareBackward(_ plan: ExecutionPlan) throws {
    guard backwardKernel != nil else {
      throw TensorError.unknownTap(detail: "\(label): no gradient is implemented for this layer")
    }
    gradientBuffers = inputs.map { AlignedBuffer(byteCount: plan.values[$0].byteCount) }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    guard plan.gradient(of: outputs[0]) != nil, let dy = plan.values[outputs[0]].gradient, let backwardKernel else {
      return
    }
    for buffer in gradientBuffers { buffer.zero() }
    try backwardKernel(
      inputs.map { UnsafePointer(plan.values[$0].buffer.floats) }, plan.values[outputs[0]].buffer.floats, dy.floats,
      gradientBuffers.map(\.floats))
    for (input, buffer) in zip(inputs, gradientBuffers) {
      try plan.accumulateGradient(into: input) { target in
        try plan.dataHandle(target).copyMemory(from: buffer.pointer, byteCount: buffer.byteCount)
      }
    }
  }
}

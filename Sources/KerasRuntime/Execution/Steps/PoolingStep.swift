import CDNNL
import CDNNLShim

/// Max or average pooling on oneDNN (global pooling is a window over the whole image). Average pooling with
/// `same` padding excludes the padded cells from the count, as TensorFlow does.
///
/// Max pooling's gradient follows TensorFlow rather than oneDNN where the maximum is tied: MaxPooling1D and
/// MaxPooling2D give the whole gradient to the first maximum in the window (row by row, as oneDNN does),
/// GlobalMaxPooling2D (`reduce_max`) splits it evenly between the tied maxima (`TieRule.split`), and MaxPooling3D
/// (TensorFlow's `MaxPool3DGrad`, an equality mask) gives the whole gradient to every tied maximum
/// (`TieRule.every`). The last two are computed in Swift on plain copies.
final class PoolingStep: Step {
  /// Which of a window's tied maxima receive its gradient.
  enum TieRule {
    /// The first in the window (oneDNN's backward primitive).
    case first
    /// Each an equal share.
    case split
    /// Each the whole gradient.
    case every
  }

  private let primitive: DNNLPrimitive
  private let algorithm: dnnl_alg_kind_t
  private let geometry: WindowGeometry
  private let kernel: [Int]
  private let tieRule: TieRule
  private let workspace: (buffer: AlignedBuffer, memory: DNNLMemory)?
  private var backwardPrimitive: DNNLPrimitive?
  private var plainInput: (buffer: AlignedBuffer, memory: DNNLMemory)?
  private var plainOutputGradient: (buffer: AlignedBuffer, memory: DNNLMemory)?
  private var plainInputGradient: (buffer: AlignedBuffer, memory: DNNLMemory)?

  /// `tieRule`: who gets the gradient of a max pooling window whose maximum is tied.
  init(
    label: String, input: Int, maximum: Bool, kernel: [Int], geometry: WindowGeometry, outputShape: [Int],
    tieRule: TieRule = .first, builder: PlanBuilder
  ) throws {
    let inputValue = builder.values[input]
    self.kernel = kernel
    self.tieRule = tieRule
    self.geometry = geometry
    algorithm = maximum ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding
    let src = inputValue.desc
    let dst = try Desc.tagged(dims: Desc.dnnlDims(keras: outputShape), tag: dnnl_format_tag_any)
    let propagation = builder.gradients ? dnnl_forward_training : dnnl_forward_inference
    let zeros = [Int64](repeating: 0, count: kernel.count)
    let (strides, window) = (geometry.strides.map(Int64.init), kernel.map(Int64.init))
    let (before, after) = (geometry.paddingBefore.map(Int64.init), geometry.paddingAfter.map(Int64.init))
    let algorithm = algorithm
    primitive = try DNNLPrimitive(name: label) {
      kvdnnl_pooling_forward_create(
        $0, builder.engine, propagation, algorithm, src.handle, dst.handle, strides, window, zeros, before, after, nil)
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
    if algorithm == dnnl_pooling_max && tieRule != .first {
      func plainBuffer(_ id: Int) throws -> (AlignedBuffer, DNNLMemory) {
        let desc = try Desc.plain(keras: plan.values[id].shape)
        let buffer = AlignedBuffer(byteCount: Desc.byteSize(desc))
        return (buffer, try DNNLMemory(desc: desc, engine: plan.engine, pointer: buffer.pointer))
      }
      plainInput = try plainBuffer(inputs[0])
      plainInputGradient = try plainBuffer(inputs[0])
      plainOutputGradient = try plainBuffer(outputs[0])
      return
    }
    let diffSrc = plan.values[inputs[0]].desc
    let diffDst = plan.values[outputs[0]].desc
    let zeros = [Int64](repeating: 0, count: kernel.count)
    let (strides, window) = (geometry.strides.map(Int64.init), kernel.map(Int64.init))
    let (before, after) = (geometry.paddingBefore.map(Int64.init), geometry.paddingAfter.map(Int64.init))
    let (algorithm, hint) = (algorithm, primitive.descriptor)
    backwardPrimitive = try DNNLPrimitive(name: label + " (backward)") {
      kvdnnl_pooling_backward_create(
        $0, plan.engine, algorithm, diffSrc.handle, diffDst.handle, strides, window, zeros, before, after, hint, nil)
    }
  }

  override func backward(_ plan: ExecutionPlan) throws {
    if let plainInput, let plainInputGradient, let plainOutputGradient {
      guard let gradient = plan.gradient(of: outputs[0]) else { return }
      try plan.reorder(plan.values[inputs[0]].memory, to: plainInput.memory)
      try plan.reorder(gradient, to: plainOutputGradient.memory)
      plainInputGradient.buffer.zero()
      let (inputShape, outputShape) = (plan.values[inputs[0]].shape, plan.values[outputs[0]].shape)
      if tieRule == .every {
        everyTieGradient(
          x: plainInput.buffer.floats, dy: plainOutputGradient.buffer.floats, dx: plainInputGradient.buffer.floats,
          inputShape: inputShape, outputShape: outputShape)
      } else {
        maxPoolingGradient(
          x: plainInput.buffer.floats, dy: plainOutputGradient.buffer.floats, dx: plainInputGradient.buffer.floats,
          inputShape: inputShape, outputShape: outputShape)
      }
      try plan.accumulateGradient(into: inputs[0]) { target in try plan.reorder(plainInputGradient.memory, to: target) }
      return
    }
    guard let gradient = plan.gradient(of: outputs[0]), let backwardPrimitive else { return }
    try plan.accumulateGradient(into: inputs[0]) { target in
      var arguments: [(Int32, DNNLMemory)] = [(DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_DIFF_SRC, target)]
      if let workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace.memory)) }
      try backwardPrimitive.execute(plan.stream, arguments)
    }
  }

  /// TensorFlow's max pooling gradient on plain NHWC buffers (see the type's comment for ties). Channels are
  /// the innermost loop, so each window is scanned once for all channels.
  private func maxPoolingGradient(
    x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, inputShape: [Int],
    outputShape: [Int]
  ) {
    let (batch, height, width, channels) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let (outHeight, outWidth) = (outputShape[1], outputShape[2])
    var best = [Float](repeating: 0, count: channels)
    var bestIndex = [Int](repeating: -1, count: channels)
    var tieCount = [Float](repeating: 0, count: channels)
    for n in 0..<batch {
      for oy in 0..<outHeight {
        let top = oy * geometry.strides[0] - geometry.paddingBefore[0]
        let rows = max(top, 0)..<min(top + kernel[0], height)
        for ox in 0..<outWidth {
          let left = ox * geometry.strides[1] - geometry.paddingBefore[1]
          let columns = max(left, 0)..<min(left + kernel[1], width)
          guard !rows.isEmpty, !columns.isEmpty else { continue }
          let gradient = dy + ((n * outHeight + oy) * outWidth + ox) * channels
          // The first maximum in the window, row by row (strictly greater replaces).
          var first = true
          for y in rows {
            for x0 in columns {
              let base = ((n * height + y) * width + x0) * channels
              let row = x + base
              if first {
                for c in 0..<channels {
                  best[c] = row[c]
                  bestIndex[c] = base + c
                }
                first = false
              } else {
                for c in 0..<channels where row[c] > best[c] {
                  best[c] = row[c]
                  bestIndex[c] = base + c
                }
              }
            }
          }
          if tieRule == .first {
            for c in 0..<channels { dx[bestIndex[c]] += gradient[c] }
            continue
          }
          // reduce_max: an equal share for every element equal to the maximum.
          for c in 0..<channels { tieCount[c] = 0 }
          for y in rows {
            for x0 in columns {
              let row = x + ((n * height + y) * width + x0) * channels
              for c in 0..<channels where row[c] == best[c] { tieCount[c] += 1 }
            }
          }
          for y in rows {
            for x0 in columns {
              let base = ((n * height + y) * width + x0) * channels
              for c in 0..<channels where x[base + c] == best[c] { dx[base + c] += gradient[c] / tieCount[c] }
            }
          }
        }
      }
    }
  }

  /// TensorFlow's `MaxPool3DGrad` on plain channels-last buffers of any spatial rank: the window's gradient goes, whole,
  /// to every element equal to the window's maximum.
  private func everyTieGradient(
    x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, inputShape: [Int],
    outputShape: [Int]
  ) {
    let rank = kernel.count
    let channels = inputShape[rank + 1]
    let spatialInput = Array(inputShape[1...rank])
    let spatialOutput = Array(outputShape[1...rank])
    let inputStrides = PlainKernels.strides(spatialInput)
    let inputPositions = spatialInput.reduce(1, *)
    let outputPositions = spatialOutput.reduce(1, *)
    var best = [Float](repeating: 0, count: channels)
    var window: [Int] = []
    for n in 0..<inputShape[0] {
      for output in 0..<outputPositions {
        // The input positions (row-major over the spatial axes) of this output's window, clipped to the input.
        window = [0]
        var remainder = output
        for axis in stride(from: rank - 1, through: 0, by: -1) {
          let coordinate = remainder % spatialOutput[axis]
          remainder /= spatialOutput[axis]
          let start = coordinate * geometry.strides[axis] - geometry.paddingBefore[axis]
          let range = max(start, 0)..<min(start + kernel[axis], spatialInput[axis])
          window = window.flatMap { position in range.map { position + $0 * inputStrides[axis] } }
        }
        guard let first = window.first else { continue }
        let gradient = dy + (n * outputPositions + output) * channels
        let base = n * inputPositions
        for c in 0..<channels { best[c] = x[(base + first) * channels + c] }
        for position in window.dropFirst() {
          let row = x + (base + position) * channels
          for c in 0..<channels where row[c] > best[c] { best[c] = row[c] }
        }
        for position in window {
          let offset = (base + position) * channels
          for c in 0..<channels where x[offset + c] == best[c] { dx[offset + c] += gradient[c] }
        }
      }
    }
  }
}

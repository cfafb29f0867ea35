/// A Keras convolution kernel `(k..., in / groups, out)` over one, two or three spatial axes (a depthwise kernel
/// `(k..., in, multiplier)` is the grouped kernel with one input channel per group) and how oneDNN sees it.
struct ConvolutionKernel {
  var values: [Float]
  /// The window's size along each spatial axis.
  var size: [Int]
  var inputChannelsPerGroup: Int
  var outputChannels: Int
  var groups: Int

  /// oneDNN's weight dimensions, `(O, I, k...)` or `(G, O/G, I/G, k...)`, and the strides at which Keras's
  /// row-major `(k..., in / groups, out)` array holds them.
  var layout: (dims: [Int], strides: [Int]) {
    let (out, inPerGroup) = (outputChannels, inputChannelsPerGroup)
    // Keras's strides of the spatial axes: each is the product of the later axes' sizes times in / groups * out.
    var spatialStrides = [Int](repeating: inPerGroup * out, count: size.count)
    for axis in stride(from: size.count - 2, through: 0, by: -1) {
      spatialStrides[axis] = spatialStrides[axis + 1] * size[axis + 1]
    }
    if groups == 1 {
      return ([out, inPerGroup] + size, [1, out] + spatialStrides)
    }
    return ([groups, out / groups, inPerGroup] + size, [out / groups, 1, out] + spatialStrides)
  }

  /// The kernel's shape without its values (kept where the values live elsewhere).
  var withoutValues: ConvolutionKernel {
    var shape = self
    shape.values = []
    return shape
  }

  /// Whether this is an ungrouped 3x3 kernel (the shape oneDNN's Winograd kernels take).
  var isUngrouped3x3: Bool { size == [3, 3] && groups == 1 }

  /// The kernel whose stride-1 convolution of the output gradient is the input gradient: spatially flipped along
  /// every axis, with each group's input and output channels swapped. With padding `(k - 1) d - p` on each side, a
  /// forward convolution (oneDNN's fastest kernels) computes what backward-data would.
  func flippedForBackward() -> ConvolutionKernel {
    let outputsPerGroup = outputChannels / groups
    let inputChannels = inputChannelsPerGroup * groups
    let positions = size.reduce(1, *)
    var flipped = [Float](repeating: 0, count: values.count)
    // The flipped position of each window position (row-major over `size`): every coordinate mirrored.
    var mirrored = [Int](repeating: 0, count: positions)
    for position in 0..<positions {
      var remainder = position
      var target = 0
      var scale = 1
      for axis in stride(from: size.count - 1, through: 0, by: -1) {
        let coordinate = remainder % size[axis]
        remainder /= size[axis]
        target += (size[axis] - 1 - coordinate) * scale
        scale *= size[axis]
      }
      mirrored[position] = target
    }
    for position in 0..<positions {
      for group in 0..<groups {
        for i in 0..<inputChannelsPerGroup {
          for o in 0..<outputsPerGroup {
            let source = (position * inputChannelsPerGroup + i) * outputChannels + group * outputsPerGroup + o
            let target = (mirrored[position] * outputsPerGroup + o) * inputChannels + group * inputChannelsPerGroup + i
            flipped[target] = values[source]
          }
        }
      }
    }
    return ConvolutionKernel(
      values: flipped, size: size, inputChannelsPerGroup: outputsPerGroup, outputChannels: inputChannels,
      groups: groups)
  }
}

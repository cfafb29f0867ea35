/// A Keras convolution kernel `(kh, kw, in / groups, out)` (a depthwise kernel `(kh, kw, in, multiplier)` is the
/// grouped kernel with one input channel per group) and how oneDNN sees it.
struct ConvolutionKernel {
  var values: [Float]
  var height: Int
  var width: Int
  var inputChannelsPerGroup: Int
  var outputChannels: Int
  var groups: Int

  /// oneDNN's weight dimensions, `(O, I, KH, KW)` or `(G, O/G, I/G, KH, KW)`, and the strides at which Keras's
  /// row-major `(kh, kw, in / groups, out)` array holds them.
  var layout: (dims: [Int], strides: [Int]) {
    let (out, inPerGroup) = (outputChannels, inputChannelsPerGroup)
    if groups == 1 {
      return ([out, inPerGroup, height, width], [1, out, width * inPerGroup * out, inPerGroup * out])
    }
    return (
      [groups, out / groups, inPerGroup, height, width],
      [out / groups, 1, out, width * inPerGroup * out, inPerGroup * out]
    )
  }

  /// The kernel whose stride-1 convolution of the output gradient is the input gradient: spatially flipped, with
  /// each group's input and output channels swapped. With padding `(k - 1) d - p` on each side, a forward
  /// convolution (oneDNN's fastest kernels) computes what backward-data would.
  func flippedForBackward() -> ConvolutionKernel {
    let outputsPerGroup = outputChannels / groups
    let inputChannels = inputChannelsPerGroup * groups
    var flipped = [Float](repeating: 0, count: values.count)
    for a in 0..<height {
      for b in 0..<width {
        for group in 0..<groups {
          for i in 0..<inputChannelsPerGroup {
            for o in 0..<outputsPerGroup {
              let source = ((a * width + b) * inputChannelsPerGroup + i) * outputChannels + group * outputsPerGroup + o
              let target =
                (((height - 1 - a) * width + (width - 1 - b)) * outputsPerGroup + o) * inputChannels
                + group * inputChannelsPerGroup + i
              flipped[target] = values[source]
            }
          }
        }
      }
    }
    return ConvolutionKernel(
      values: flipped, height: height, width: width, inputChannelsPerGroup: outputsPerGroup,
      outputChannels: inputChannels, groups: groups)
  }
}

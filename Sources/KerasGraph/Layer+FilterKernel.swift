/// A convolution layer's kernel laid out for drawing its filters: `(height, width, inputs, filters)`.
public struct FilterKernel: Sendable, Equatable {
  /// The values in C order of `(height, width, inputs, filters)`.
  public var values: [Float]
  /// The kernel's height (1 for a 1-D convolution).
  public var height: Int
  /// The kernel's width.
  public var width: Int
  /// The input channels each filter sees (1 for a depthwise kernel: each filter sees one channel).
  public var inputs: Int
  /// The filters (for a depthwise kernel: input channels times the depth multiplier).
  public var filters: Int
  /// The weight it was read from, as stored.
  public var weight: Weight
}

extension Layer {
  /// The layer's kernel as `(height, width, inputs, filters)`: a 2-D convolution's `kernel` (a 1-D convolution's
  /// `(width, inputs, filters)` as height 1; a transposed convolution's (`TransposedConvolutionKind`)
  /// `(height, width, filters, inputs)` transposed), or a depthwise convolution's `depthwise_kernel` `(height, width, inputs, multiplier)` as one input
  /// per filter; nil when the layer has neither.
  public var filterKernel: FilterKernel? {
    if let weight = weight(named: "kernel"), weight.shape.count == 4 || weight.shape.count == 3 {
      let shape = weight.shape.count == 4 ? weight.shape : [1] + weight.shape
      guard kind is any TransposedConvolutionKind else {
        return FilterKernel(
          values: weight.values.array, height: shape[0], width: shape[1], inputs: shape[2], filters: shape[3],
          weight: weight)
      }
      let (positions, filters, inputs) = (shape[0] * shape[1], shape[2], shape[3])
      var values = [Float](repeating: 0, count: weight.elementCount)
      for position in 0..<positions {
        for filter in 0..<filters {
          for input in 0..<inputs {
            values[(position * inputs + input) * filters + filter] =
              weight.values[(position * filters + filter) * inputs + input]
          }
        }
      }
      return FilterKernel(
        values: values, height: shape[0], width: shape[1], inputs: inputs, filters: filters, weight: weight)
    }
    if let weight = weight(named: "depthwise_kernel"), weight.shape.count == 4 {
      return FilterKernel(
        values: weight.values.array, height: weight.shape[0], width: weight.shape[1], inputs: 1,
        filters: weight.shape[2] * weight.shape[3], weight: weight)
    }
    return nil
  }
}

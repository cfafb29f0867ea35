import KerasRuntime

/// keras-vis's `utils.normalize`: `(a - min(a)) / (max(a) - min(a) + 1e-7)` over the whole array, scaled to
/// `minValue...maxValue`.
public func normalize(_ array: Tensor, minValue: Float = 0, maxValue: Float = 1) -> Tensor {
  let values = array.scalars
  let low = values.min() ?? 0
  let high = values.max() ?? 0
  var result = array
  result.withUnsafeMutableBufferPointer { output in
    for i in output.indices {
      output[i] = (maxValue - minValue) * ((values[i] - low) / (high - low + GradModifier.epsilon)) + minValue
    }
  }
  return result
}

/// keras-vis's `utils.deprocess_input`: centre on 0 with standard deviation 0.1, shift by 0.5, clip to 0...1 and
/// scale to `inputRange` (throwing away high-frequency artifacts of an optimized input).
public func deprocessInput(_ array: Tensor, inputRange: ClosedRange<Float> = 0...255) -> Tensor {
  let values = array.scalars.map(Double.init)
  let count = Double(max(values.count, 1))
  let mean = values.reduce(0, +) / count
  let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count).squareRoot()
  var result = array
  result.withUnsafeMutableBufferPointer { output in
    for i in output.indices {
      var x = Float((values[i] - mean) / (deviation + Double(GradModifier.epsilon)))
      x = min(max(x * 0.1 + 0.5, 0), 1)
      output[i] = (inputRange.upperBound - inputRange.lowerBound) * x + inputRange.lowerBound
    }
  }
  return result
}

/// The first sample of a batch, without its batch axis: `(N, H, W, C)` to `(H, W, C)`.
func firstSample(_ batch: Tensor) throws -> Tensor {
  try batch.sample(0).reshaped(Array(batch.shape.dropFirst()))
}

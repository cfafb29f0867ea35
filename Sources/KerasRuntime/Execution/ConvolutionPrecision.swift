/// The arithmetic of a compiled model's convolutions.
public enum ConvolutionPrecision: String, Sendable, Hashable, CaseIterable {
  /// Float32 throughout, as Keras computes (the default): results equal Keras's to float rounding.
  case float32
  /// Convolution inputs and weights rounded to bfloat16 (8 significant bits), products summed in float32 and
  /// outputs kept in float32; everything else (pooling, activations, gradients between layers) stays float32.
  /// About twice as fast on CPUs with AVX512-BF16 (oneDNN's `avx512_core_bf16` kernels), slower elsewhere.
  /// An approximation: outputs and gradients differ from Keras's by about 1% of their size (see README), enough
  /// for pictures, not for reproducing keras-vis's numbers.
  case bfloat16
}

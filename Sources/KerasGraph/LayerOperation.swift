/// Padding mode of convolutions and pooling, with TensorFlow's meaning (`same` puts the odd pixel after).
public enum Padding: String, Sendable {
  case valid
  case same
}

/// Conv2D: `filters` kernels of `kernelSize` over `groups` channel groups. Kernel `(kh, kw, in/groups, filters)`.
public struct Convolution2DConfig: Sendable, Equatable {
  public var filters: Int
  public var kernelSize: [Int]
  public var strides: [Int]
  public var padding: Padding
  public var dilation: [Int]
  public var groups: Int
  public var useBias: Bool
  public var activation: ActivationFunction

  /// Creates the configuration from its fields.
  public init(
    filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, dilation: [Int], groups: Int, useBias: Bool,
    activation: ActivationFunction
  ) {
    self.filters = filters
    self.kernelSize = kernelSize
    self.strides = strides
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
    self.useBias = useBias
    self.activation = activation
  }
}

/// DepthwiseConv2D: one `kernelSize` kernel per input channel and multiplier. Kernel `(kh, kw, in, multiplier)`.
public struct DepthwiseConvolution2DConfig: Sendable, Equatable {
  public var kernelSize: [Int]
  public var strides: [Int]
  public var padding: Padding
  public var dilation: [Int]
  public var depthMultiplier: Int
  public var useBias: Bool
  public var activation: ActivationFunction

  /// Creates the configuration from its fields.
  public init(
    kernelSize: [Int], strides: [Int], padding: Padding, dilation: [Int], depthMultiplier: Int, useBias: Bool,
    activation: ActivationFunction
  ) {
    self.kernelSize = kernelSize
    self.strides = strides
    self.padding = padding
    self.dilation = dilation
    self.depthMultiplier = depthMultiplier
    self.useBias = useBias
    self.activation = activation
  }
}

/// SeparableConv2D: a depthwise convolution then a 1x1 convolution. Kernels `(kh, kw, in, multiplier)` and
/// `(1, 1, in * multiplier, filters)`.
public struct SeparableConvolution2DConfig: Sendable, Equatable {
  public var filters: Int
  public var kernelSize: [Int]
  public var strides: [Int]
  public var padding: Padding
  public var dilation: [Int]
  public var depthMultiplier: Int
  public var useBias: Bool
  public var activation: ActivationFunction

  /// Creates the configuration from its fields.
  public init(
    filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, dilation: [Int], depthMultiplier: Int,
    useBias: Bool, activation: ActivationFunction
  ) {
    self.filters = filters
    self.kernelSize = kernelSize
    self.strides = strides
    self.padding = padding
    self.dilation = dilation
    self.depthMultiplier = depthMultiplier
    self.useBias = useBias
    self.activation = activation
  }
}

/// Conv2DTranspose: the gradient of a convolution. Kernel `(kh, kw, filters, in)`.
public struct TransposedConvolution2DConfig: Sendable, Equatable {
  public var filters: Int
  public var kernelSize: [Int]
  public var strides: [Int]
  public var padding: Padding
  public var dilation: [Int]
  /// Extra rows/columns added after the output, or nil for Keras's inferred size.
  public var outputPadding: [Int]?
  public var useBias: Bool
  public var activation: ActivationFunction

  /// Creates the configuration from its fields.
  public init(
    filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, dilation: [Int], outputPadding: [Int]?,
    useBias: Bool, activation: ActivationFunction
  ) {
    self.filters = filters
    self.kernelSize = kernelSize
    self.strides = strides
    self.padding = padding
    self.dilation = dilation
    self.outputPadding = outputPadding
    self.useBias = useBias
    self.activation = activation
  }
}

/// Dense: `y = activation(x @ kernel + bias)` on the last axis. Kernel `(in, units)`.
public struct DenseConfig: Sendable, Equatable {
  public var units: Int
  public var useBias: Bool
  public var activation: ActivationFunction

  /// Creates the configuration from its fields.
  public init(units: Int, useBias: Bool, activation: ActivationFunction) {
    self.units = units
    self.useBias = useBias
    self.activation = activation
  }
}

/// BatchNormalization at inference: `y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta`.
public struct BatchNormalizationConfig: Sendable, Equatable {
  /// The normalized (feature) axis, normalized to a non-negative index for the layer's input rank.
  public var axis: Int
  public var epsilon: Float
  /// Whether `beta` exists.
  public var center: Bool
  /// Whether `gamma` exists.
  public var scale: Bool

  /// Creates the configuration from its fields.
  public init(axis: Int, epsilon: Float, center: Bool, scale: Bool) {
    self.axis = axis
    self.epsilon = epsilon
    self.center = center
    self.scale = scale
  }
}

/// LayerNormalization: normalize over `axes` per sample, then `gamma`, `beta` (shape of those axes).
public struct LayerNormalizationConfig: Sendable, Equatable {
  /// Non-negative axes.
  public var axes: [Int]
  public var epsilon: Float
  public var center: Bool
  public var scale: Bool
  /// Keras 3's `rms_scaling`: divide by the root mean square, no centering.
  public var rmsScaling: Bool

  /// Creates the configuration from its fields.
  public init(axes: [Int], epsilon: Float, center: Bool, scale: Bool, rmsScaling: Bool) {
    self.axes = axes
    self.epsilon = epsilon
    self.center = center
    self.scale = scale
    self.rmsScaling = rmsScaling
  }
}

/// ReLU layer: `x >= max_value ? max_value : x >= threshold ? x : negative_slope (x - threshold)`.
public struct ReLUConfig: Sendable, Equatable {
  public var maxValue: Float?
  public var negativeSlope: Float
  public var threshold: Float

  /// Creates the configuration from its fields.
  public init(maxValue: Float?, negativeSlope: Float, threshold: Float) {
    self.maxValue = maxValue
    self.negativeSlope = negativeSlope
    self.threshold = threshold
  }
}

/// MaxPooling2D / AveragePooling2D window.
public struct Pooling2DConfig: Sendable, Equatable {
  public var poolSize: [Int]
  public var strides: [Int]
  public var padding: Padding

  /// Creates the configuration from its fields.
  public init(poolSize: [Int], strides: [Int], padding: Padding) {
    self.poolSize = poolSize
    self.strides = strides
    self.padding = padding
  }
}

/// Rows and columns added (ZeroPadding2D) or removed (Cropping2D) on each side.
public struct Edges2D: Sendable, Equatable {
  public var top: Int
  public var bottom: Int
  public var left: Int
  public var right: Int

  /// Creates the configuration from its fields.
  public init(top: Int, bottom: Int, left: Int, right: Int) {
    self.top = top
    self.bottom = bottom
    self.left = left
    self.right = right
  }
}

/// UpSampling2D: repeat rows and columns (`nearest`) or interpolate (`bilinear`, ...).
public struct UpSampling2DConfig: Sendable, Equatable {
  public var size: [Int]
  public var interpolation: String

  /// Creates the configuration from its fields.
  public init(size: [Int], interpolation: String) {
    self.size = size
    self.interpolation = interpolation
  }
}

/// Rescaling: `y = x * scale + offset` (each a scalar or a per-channel list).
public struct RescalingConfig: Sendable, Equatable {
  public var scale: [Float]
  public var offset: [Float]

  /// Creates the configuration from its fields.
  public init(scale: [Float], offset: [Float]) {
    self.scale = scale
    self.offset = offset
  }
}

/// Normalization: `y = (x - mean) / sqrt(variance)` (clamped below by epsilon), or the inverse with `invert`.
/// The statistics come from the config (`mean`, `variance` given) or from the weights (adapted).
public struct NormalizationConfig: Sendable, Equatable {
  /// The axes that keep their own statistics (non-negative, batch excluded).
  public var axes: [Int]
  public var mean: [Float]?
  public var variance: [Float]?
  public var invert: Bool

  /// Creates the configuration from its fields.
  public init(axes: [Int], mean: [Float]?, variance: [Float]?, invert: Bool) {
    self.axes = axes
    self.mean = mean
    self.variance = variance
    self.invert = invert
  }
}

/// Element-wise merge layers over several inputs of the same (broadcastable) shape.
public enum MergeOperation: String, Sendable {
  case add, subtract, multiply, average, maximum, minimum
}

/// A user-supplied implementation of a Keras layer class kerasvis does not know (registered by class name).
public protocol CustomLayer: Sendable {
  /// The weights the layer stores, in Keras's order, given its input shapes.
  func weightSpecifications(inputShapes: [TensorShape]) throws -> [WeightSpecification]
  /// The output shapes for the given input shapes.
  func outputShapes(inputShapes: [TensorShape]) throws -> [TensorShape]
  /// Computes the (single) output from the inputs, all row-major in Keras's layout with concrete shapes
  /// (batch first). `weights` are the layer's weights in Keras's order. The default implementation throws
  /// `CustomLayerError.notExecutable`: such a layer imports but cannot run.
  func forward(inputs: [[Float]], inputShapes: [[Int]], weights: [Weight], outputShape: [Int]) throws -> [Float]
}

extension CustomLayer {
  public func forward(inputs: [[Float]], inputShapes: [[Int]], weights: [Weight], outputShape: [Int]) throws -> [Float]
  {
    throw CustomLayerError.notExecutable
  }
}

/// Why a registered custom layer cannot run.
public enum CustomLayerError: Error, CustomStringConvertible {
  /// The implementation describes shapes and weights but not the computation.
  case notExecutable

  public var description: String {
    "the registered implementation does not implement forward(inputs:inputShapes:weights:outputShape:)"
  }
}

/// What a layer computes, decoded from its Keras class and config.
public indirect enum LayerOperation: Sendable {
  /// InputLayer: passes the graph input through.
  case input
  case convolution2D(Convolution2DConfig)
  case depthwiseConvolution2D(DepthwiseConvolution2DConfig)
  case separableConvolution2D(SeparableConvolution2DConfig)
  case transposedConvolution2D(TransposedConvolution2DConfig)
  case dense(DenseConfig)
  case batchNormalization(BatchNormalizationConfig)
  case layerNormalization(LayerNormalizationConfig)
  case activation(ActivationFunction)
  case relu(ReLUConfig)
  /// LeakyReLU: `x` for x >= 0, `negativeSlope * x` otherwise.
  case leakyReLU(negativeSlope: Float)
  /// PReLU: `x` for x >= 0, `alpha * x` otherwise; `alpha` is a weight, shared along `sharedAxes` (1-based).
  case parametricReLU(sharedAxes: [Int])
  /// ELU layer: `x` for x > 0, `alpha (exp(x) - 1)` otherwise.
  case elu(alpha: Float)
  /// Softmax over `axes` (non-negative).
  case softmax(axes: [Int])
  case maxPooling2D(Pooling2DConfig)
  case averagePooling2D(Pooling2DConfig)
  case globalAveragePooling2D(keepDims: Bool)
  case globalMaxPooling2D(keepDims: Bool)
  case flatten
  /// Reshape to `targetShape` (batch excluded; one entry may be -1).
  case reshape(targetShape: [Int])
  /// Permute the non-batch axes; `dimensions` are 1-based as in Keras.
  case permute(dimensions: [Int])
  /// A layer that does nothing at inference (Dropout, GaussianNoise, ActivityRegularization, ...).
  case identity
  /// Concatenate along `axis` (non-negative, batch is 0).
  case concatenate(axis: Int)
  case merge(MergeOperation)
  case zeroPadding2D(Edges2D)
  case cropping2D(Edges2D)
  case upSampling2D(UpSampling2DConfig)
  case rescaling(RescalingConfig)
  case normalization(NormalizationConfig)
  /// keras.applications InceptionResNetV2's `CustomScaleLayer`: `inputs[0] + inputs[1] * scale`.
  case scaledSum(scale: Float)
  /// keras.applications ConvNeXt's `LayerScale`: `x * gamma` with a per-channel weight `gamma`.
  case layerScale(projectionDimension: Int)
  /// A model used as a layer (transfer learning); its layers stay addressable.
  case model(Graph)
  /// A class registered by the user.
  case custom(className: String, implementation: any CustomLayer)
}

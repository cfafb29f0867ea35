/// Swift implementations for Keras layer classes that kerasvis does not know, by class name.
///
/// ```swift
/// var registry = LayerRegistry()
/// registry.register(className: "MyScale") { config in MyScale(factor: config["factor"]?.number ?? 1) }
/// let graph = try KerasModelFile.load(path: "model.h5", options: .init(registry: registry))
/// ```
public struct LayerRegistry: Sendable {
  /// Builds an implementation from the layer's Keras `config`.
  public typealias Factory = @Sendable (_ config: JSONValue) throws -> any CustomLayer

  private var factories: [String: Factory] = [:]

  public init() {}

  /// Registers `factory` for layers whose `class_name` (or Keras 3 `registered_name`) is `className`.
  public mutating func register(className: String, factory: @escaping Factory) {
    factories[className] = factory
  }

  /// The factory registered for `className`, if any.
  public func factory(for className: String) -> Factory? {
    factories[className]
  }

  /// The registered class names.
  public var classNames: [String] { factories.keys.sorted() }
}

/// Layer classes kerasvis decodes, by Keras class name (aliases included).
public enum SupportedLayers {
  /// Classes that do nothing at inference.
  static let identityClasses: Set<String> = [
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization", "StochasticDepth",
  ]

  /// Every class name the importer understands without a registered implementation.
  public static let classNames: Set<String> = identityClasses.union([
    "InputLayer", "Conv2D", "Convolution2D", "DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D",
    "Conv2DTranspose", "Convolution2DTranspose", "Deconvolution2D", "Dense", "BatchNormalization",
    "LayerNormalization", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "MaxPooling2D",
    "MaxPool2D", "AveragePooling2D", "AvgPool2D", "GlobalAveragePooling2D", "GlobalAvgPool2D",
    "GlobalMaxPooling2D", "GlobalMaxPool2D", "Flatten", "Reshape", "Permute", "Concatenate", "Add",
    "Subtract", "Multiply", "Average", "Maximum", "Minimum", "ZeroPadding2D", "Cropping2D", "UpSampling2D",
    "Rescaling", "Normalization", "CustomScaleLayer", "LayerScale", "TFOpLambda", "Functional", "Model", "Sequential",
  ])
}

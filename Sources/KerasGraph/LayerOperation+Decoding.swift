/// What the decoder needs to know besides the layer itself.
package struct LayerDecodingContext {
  /// The file being imported, for error messages.
  package var file: String
  /// 2 or 3: the Keras generation that wrote the file (changes `hard_sigmoid` and some field names).
  package var kerasMajorVersion: Int
  /// User-registered implementations of unknown classes.
  package var registry: LayerRegistry

  package init(file: String, kerasMajorVersion: Int, registry: LayerRegistry) {
    self.file = file
    self.kerasMajorVersion = kerasMajorVersion
    self.registry = registry
  }
}

extension LayerOperation {
  /// Decodes a (non-model) layer from its Keras class name and config. Axes are normalized against the rank
  /// of the first input shape.
  package static func decode(
    className: String, registeredName: String?, config: JSONValue, arguments: JSONValue = .object([:]),
    location: LayerLocation, inputShapes: [TensorShape], context: LayerDecodingContext
  ) throws -> LayerOperation {
    // tf.keras writes classes registered by a package as `Package>Name` (keras.applications: `Custom>...`).
    if !SupportedLayers.classNames.contains(className), let separator = className.lastIndex(of: ">"),
      context.registry.factory(for: className) == nil
    {
      let bare = String(className[className.index(after: separator)...])
      if SupportedLayers.classNames.contains(bare) {
        return try decode(
          className: bare, registeredName: registeredName, config: config, arguments: arguments, location: location,
          inputShapes: inputShapes, context: context)
      }
    }
    let reader = ConfigReader(config: config, file: context.file, location: location)
    let rank = inputShapes.first?.rank ?? 0
    let major = context.kerasMajorVersion
    if SupportedLayers.identityClasses.contains(className) { return .identity }
    switch className {
    case "InputLayer":
      return .input
    case "Conv2D", "Convolution2D":
      try reader.requireChannelsLast()
      return .convolution2D(
        Convolution2DConfig(
          filters: try reader.positiveInt("filters"), kernelSize: try reader.tuple("kernel_size"),
          strides: try reader.tuple("strides", default: [1, 1]), padding: try reader.padding(),
          dilation: try reader.tuple("dilation_rate", default: [1, 1]),
          groups: try reader.positiveInt("groups", default: 1), useBias: try reader.bool("use_bias", default: true),
          activation: try reader.activation(kerasMajorVersion: major)))
    case "DepthwiseConv2D":
      try reader.requireChannelsLast()
      return .depthwiseConvolution2D(
        DepthwiseConvolution2DConfig(
          kernelSize: try reader.tuple("kernel_size"), strides: try reader.tuple("strides", default: [1, 1]),
          padding: try reader.padding(), dilation: try reader.tuple("dilation_rate", default: [1, 1]),
          depthMultiplier: try reader.positiveInt("depth_multiplier", default: 1),
          useBias: try reader.bool("use_bias", default: true),
          activation: try reader.activation(kerasMajorVersion: major)))
    case "SeparableConv2D", "SeparableConvolution2D":
      try reader.requireChannelsLast()
      return .separableConvolution2D(
        SeparableConvolution2DConfig(
          filters: try reader.positiveInt("filters"), kernelSize: try reader.tuple("kernel_size"),
          strides: try reader.tuple("strides", default: [1, 1]), padding: try reader.padding(),
          dilation: try reader.tuple("dilation_rate", default: [1, 1]),
          depthMultiplier: try reader.positiveInt("depth_multiplier", default: 1),
          useBias: try reader.bool("use_bias", default: true),
          activation: try reader.activation(kerasMajorVersion: major)))
    case "Conv2DTranspose", "Convolution2DTranspose", "Deconvolution2D":
      try reader.requireChannelsLast()
      return .transposedConvolution2D(
        TransposedConvolution2DConfig(
          filters: try reader.positiveInt("filters"), kernelSize: try reader.tuple("kernel_size"),
          strides: try reader.tuple("strides", default: [1, 1]), padding: try reader.padding(),
          dilation: try reader.tuple("dilation_rate", default: [1, 1]),
          outputPadding: reader.has("output_padding")
            ? try reader.tuple("output_padding", minimum: 0) : nil,
          useBias: try reader.bool("use_bias", default: true),
          activation: try reader.activation(kerasMajorVersion: major)))
    case "Dense":
      return .dense(
        DenseConfig(
          units: try reader.positiveInt("units"), useBias: try reader.bool("use_bias", default: true),
          activation: try reader.activation(kerasMajorVersion: major)))
    case "BatchNormalization":
      let axes = try reader.axes("axis", rank: rank, default: [-1])
      guard axes.count == 1 else {
        throw reader.failure("axis", "normalizing over several axes (\(axes)) is not supported")
      }
      return .batchNormalization(
        BatchNormalizationConfig(
          axis: axes[0], epsilon: try reader.float("epsilon", default: 1e-3),
          center: try reader.bool("center", default: true), scale: try reader.bool("scale", default: true)))
    case "LayerNormalization":
      return .layerNormalization(
        LayerNormalizationConfig(
          axes: try reader.axes("axis", rank: rank, default: [-1]), epsilon: try reader.float("epsilon", default: 1e-3),
          center: try reader.bool("center", default: true), scale: try reader.bool("scale", default: true),
          rmsScaling: try reader.bool("rms_scaling", default: false)))
    case "Activation":
      return .activation(try reader.activation(kerasMajorVersion: major))
    case "ReLU":
      return .relu(
        ReLUConfig(
          maxValue: try reader.optionalFloat("max_value"),
          negativeSlope: try reader.float("negative_slope", default: 0),
          threshold: try reader.float("threshold", default: 0)))
    case "LeakyReLU":
      let slope =
        try reader.has("negative_slope")
        ? reader.float("negative_slope") : reader.float("alpha", default: 0.3)
      return .leakyReLU(negativeSlope: slope)
    case "PReLU":
      return .parametricReLU(sharedAxes: try reader.intList("shared_axes", default: []))
    case "ELU":
      return .elu(alpha: try reader.float("alpha", default: 1))
    case "Softmax":
      return .softmax(axes: try reader.axes("axis", rank: rank, default: [-1]))
    case "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D":
      try reader.requireChannelsLast()
      let poolSize = try reader.tuple("pool_size", default: [2, 2])
      let pooling = Pooling2DConfig(
        poolSize: poolSize, strides: try reader.tuple("strides", default: poolSize), padding: try reader.padding())
      return className.hasPrefix("Max") ? .maxPooling2D(pooling) : .averagePooling2D(pooling)
    case "GlobalAveragePooling2D", "GlobalAvgPool2D":
      try reader.requireChannelsLast()
      return .globalAveragePooling2D(keepDims: try reader.bool("keepdims", default: false))
    case "GlobalMaxPooling2D", "GlobalMaxPool2D":
      try reader.requireChannelsLast()
      return .globalMaxPooling2D(keepDims: try reader.bool("keepdims", default: false))
    case "Flatten":
      try reader.requireChannelsLast()
      return .flatten
    case "Reshape":
      let target = try reader.intList("target_shape")
      guard target.allSatisfy({ $0 == -1 || $0 > 0 }), target.filter({ $0 == -1 }).count <= 1 else {
        throw reader.failure("target_shape", "expected positive sizes and at most one -1, found \(target)")
      }
      return .reshape(targetShape: target)
    case "Permute":
      let dimensions = try reader.intList("dims")
      guard dimensions.sorted() == Array(1...max(dimensions.count, 1)) else {
        throw reader.failure("dims", "expected a permutation of 1...\(dimensions.count), found \(dimensions)")
      }
      return .permute(dimensions: dimensions)
    case "Concatenate":
      let axis = try reader.int("axis", default: -1)
      let normalized = axis < 0 ? axis + rank : axis
      guard (1..<max(rank, 2)).contains(normalized) else {
        throw reader.failure("axis", "axis \(axis) is out of range for inputs of rank \(rank)")
      }
      return .concatenate(axis: normalized)
    case "Add": return .merge(.add)
    case "Subtract": return .merge(.subtract)
    case "Multiply": return .merge(.multiply)
    case "Average": return .merge(.average)
    case "Maximum": return .merge(.maximum)
    case "Minimum": return .merge(.minimum)
    case "ZeroPadding2D":
      try reader.requireChannelsLast()
      return .zeroPadding2D(try reader.edges("padding"))
    case "Cropping2D":
      try reader.requireChannelsLast()
      return .cropping2D(try reader.edges("cropping"))
    case "UpSampling2D":
      try reader.requireChannelsLast()
      let interpolation = try reader.string("interpolation", default: "nearest")
      guard ["nearest", "bilinear"].contains(interpolation) else {
        throw reader.failure("interpolation", "'\(interpolation)' is not supported (nearest, bilinear)")
      }
      return .upSampling2D(
        UpSampling2DConfig(size: try reader.tuple("size", default: [2, 2]), interpolation: interpolation))
    case "Rescaling":
      return .rescaling(
        RescalingConfig(scale: try reader.floatList("scale") ?? [1], offset: try reader.floatList("offset") ?? [0]))
    case "Normalization":
      let axes: [Int]
      if let value = config["axis"], value.isNull {
        axes = []
      } else {
        axes = try reader.axes("axis", rank: rank, default: [-1])
      }
      return .normalization(
        NormalizationConfig(
          axes: axes, mean: try reader.floatList("mean"), variance: try reader.floatList("variance"),
          invert: try reader.bool("invert", default: false)))
    case "TFOpLambda":
      if let operation = try scalarArithmetic(function: try reader.string("function"), arguments: arguments) {
        return operation
      }
      if context.registry.factory(for: className) == nil {
        throw KerasImportError.unsupportedLayer(
          file: context.file, layer: location,
          hint:
            "TFOpLambda '\(config["function"]?.string ?? "?")' with arguments \(arguments.jsonText) is not supported (only arithmetic with a constant); register a Swift implementation with LayerRegistry.register(className: \"TFOpLambda\")"
        )
      }
      return .custom(className: className, implementation: try context.registry.factory(for: className)!(config))
    case "CustomScaleLayer":
      return .scaledSum(scale: try reader.float("scale"))
    case "LayerScale":
      return .layerScale(projectionDimension: try reader.positiveInt("projection_dim"))
    default:
      let names = [className, registeredName].compactMap { $0 }
      for name in names {
        if let factory = context.registry.factory(for: name) {
          return .custom(className: name, implementation: try factory(config))
        }
      }
      let hint: String
      switch className {
      case "Lambda", "TFOpLambda", "SlicingOpLambda":
        hint =
          "\(className) layers hold Python code that cannot be read from the file; register a Swift implementation with LayerRegistry.register(className: \"\(className)\")"
      default:
        hint =
          "unknown layer class '\(className)'\(registeredName.map { " (registered as '\($0)')" } ?? ""); register a Swift implementation with LayerRegistry.register(className: \"\(className)\")"
      }
      throw KerasImportError.unsupportedLayer(file: context.file, layer: location, hint: hint)
    }
  }
}

/// tf.keras's TFOpLambda for arithmetic with a constant (`x + 3.0`, `x * (1 / 6)` in MobileNetV3), as a Rescaling.
private func scalarArithmetic(function: String, arguments: JSONValue) throws -> LayerOperation? {
  guard let constant = arguments["y"]?.number else {
    // A tensor operand (`x + y`): the parser appended it as the second input.
    guard arguments["y"]?.array?.count == 3 else { return nil }
    switch function {
    case "__operators__.add", "math.add": return .merge(.add)
    case "__operators__.sub", "math.subtract": return .merge(.subtract)
    case "math.multiply", "__operators__.mul": return .merge(.multiply)
    case "math.maximum": return .merge(.maximum)
    case "math.minimum": return .merge(.minimum)
    default: return nil
    }
  }
  let value = Float(constant)
  switch function {
  case "__operators__.add", "math.add": return .rescaling(RescalingConfig(scale: [1], offset: [value]))
  case "__operators__.sub", "math.subtract": return .rescaling(RescalingConfig(scale: [1], offset: [-value]))
  case "math.multiply", "__operators__.mul": return .rescaling(RescalingConfig(scale: [value], offset: [0]))
  case "math.truediv", "__operators__.truediv", "math.divide":
    guard value != 0 else { return nil }
    return .rescaling(RescalingConfig(scale: [1 / value], offset: [0]))
  default: return nil
  }
}

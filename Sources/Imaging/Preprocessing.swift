/// The input normalizations of `keras.applications.imagenet_utils.preprocess_input`, on channels-last data.
///
/// Arithmetic is in `Float` in the same order as Keras's NumPy code on a float32 array, so results match
/// bit for bit.
public enum PreprocessMode: String, Sendable, Equatable, CaseIterable {
  /// `x / 127.5 - 1`: values in -1...1 (Inception, Xception, MobileNet v1/v2, NASNet, ResNet v2).
  case tf
  /// RGB to BGR, then subtract the ImageNet means `[103.939, 116.779, 123.68]` (VGG, ResNet v1).
  case caffe
  /// `x / 255`, subtract `[0.485, 0.456, 0.406]`, divide by `[0.229, 0.224, 0.225]` (DenseNet).
  case torch
  /// No change: the model normalizes its own input (EfficientNet, ConvNeXt, MobileNet v3, RegNet).
  case none

  /// Applies the mode in place to channels-last values: one image (HWC) or a batch (NHWC), `channels` values per
  /// pixel.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` when `values.count` is not a multiple of `channels`, or when
  ///   `caffe`/`torch` get fewer than 3 channels (Keras indexes channels 0, 1 and 2).
  public func apply(to values: inout [Float], channels: Int) throws {
    guard channels > 0, values.count % channels == 0 else {
      throw ImagingError.invalidArgument("\(values.count) values are not a whole number of \(channels)-channel pixels")
    }
    switch self {
    case .none:
      return
    case .tf:
      for i in values.indices {
        values[i] /= 127.5
        values[i] -= 1.0
      }
    case .caffe, .torch:
      guard channels >= 3 else {
        throw ImagingError.invalidArgument("preprocess mode \(rawValue) needs at least 3 channels, got \(channels)")
      }
      if self == .caffe {
        // x[..., ::-1]: reverse the channel order of every pixel (RGB -> BGR).
        for start in stride(from: 0, to: values.count, by: channels) {
          values[start..<(start + channels)].reverse()
        }
        let mean: [Float] = [103.939, 116.779, 123.68]
        for start in stride(from: 0, to: values.count, by: channels) {
          for c in 0..<3 { values[start + c] -= mean[c] }
        }
      } else {
        let mean: [Float] = [0.485, 0.456, 0.406]
        let std: [Float] = [0.229, 0.224, 0.225]
        for i in values.indices { values[i] /= 255.0 }
        for start in stride(from: 0, to: values.count, by: channels) {
          for c in 0..<3 { values[start + c] -= mean[c] }
        }
        for start in stride(from: 0, to: values.count, by: channels) {
          for c in 0..<3 { values[start + c] /= std[c] }
        }
      }
    }
  }

  /// The mode applied to a copy of channels-last values (HWC or NHWC).
  /// - Throws: see ``apply(to:channels:)``.
  public func applied(to values: [Float], channels: Int) throws -> [Float] {
    var copy = values
    try apply(to: &copy, channels: channels)
    return copy
  }

  /// The mode applied to an image's values.
  /// - Throws: see ``apply(to:channels:)``.
  public func applied(to image: FloatImage) throws -> FloatImage {
    var copy = image
    try apply(to: &copy.values, channels: image.channels)
    return copy
  }

  /// The mode `keras.applications` uses for a model, looked up by the Keras model `name` (as saved in the model
  /// config: `inception_v3`, `vgg16`, `resnet50`, `mobilenetv2_1.00_224`, `densenet121`, `efficientnetb0`,
  /// `NASNet`, ...). Case-insensitive; `nil` when the name is not one of keras.applications' models.
  ///
  /// ResNet v1 (`resnet50`) uses `caffe` while ResNet v2 (`resnet50v2`) uses `tf`; EfficientNet (v1 and v2),
  /// ConvNeXt, MobileNet v3 and RegNet include their preprocessing in the model (`none`).
  public static func forModel(named name: String) -> PreprocessMode? {
    let key = name.lowercased()
    func starts(_ prefixes: String...) -> Bool { prefixes.contains { key.hasPrefix($0) } }
    if starts("mobilenetv3", "mobilenet_v3") { return PreprocessMode.none }
    if starts("efficientnet", "convnext", "regnet", "resnetrs") { return PreprocessMode.none }
    if starts(
      "inception_resnet_v2", "inception_v3", "xception", "nasnet", "mobilenetv2", "mobilenet_v2",
      "mobilenet")
    {
      return .tf
    }
    if starts("densenet") { return .torch }
    if starts("vgg16", "vgg19") { return .caffe }
    if key.hasPrefix("resnet") {
      // resnet50, resnet101, resnet152 (caffe) versus resnet50v2, resnet101v2, resnet152v2 (tf).
      return key.hasSuffix("v2") ? .tf : .caffe
    }
    return nil
  }
}

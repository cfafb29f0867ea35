/// RandomCrop at inference. tf-keras: Keras's `smart_resize` to `(height, width)` (the largest centered window of
/// the target's aspect ratio, resized bilinearly), whatever the input size. Keras 3 returns the input unchanged
/// at inference although it declares a `(height, width)` output, so a Keras 3 file is read only where the input
/// already has that size (where both agree).
public struct RandomCrop: CropKind, Equatable {
  public static let kerasClassNames = ["RandomCrop"]
  public static let operationNames = ["random_crop"]

  public var height: Int
  public var width: Int

  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }

  /// A Keras 3 RandomCrop is read only where its input already has the target size (see the type's comment).
  public static func checkTarget(height: Int, width: Int, context: LayerDecodingContext?) throws {
    if let context, case .keras(let major) = context.source, major >= 3 {
      let input = context.inputShapes.first
      guard let input, input.rank == 4, input.dimensions[1] == height, input.dimensions[2] == width else {
        throw LayerConfigError(
          field: "height",
          detail:
            "Keras 3's RandomCrop(\(height), \(width)) returns its input unchanged at inference (training=False) while declaring a (\(height), \(width)) output; kerasvis reads it only on inputs of that size, not \(input.map { "\($0)" } ?? "an unknown shape")"
        )
      }
    }
  }

  public func window(inputHeight: Int, inputWidth: Int) -> ResizeWindow {
    .aspectCrop(inputHeight: inputHeight, inputWidth: inputWidth, height: height, width: width)
  }
}

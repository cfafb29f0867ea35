/// GlobalAveragePooling2D: the mean over height and width per channel.
public struct GlobalAveragePooling2D: GlobalPooling2DKind, Equatable {
  public static let kerasClassNames = ["GlobalAveragePooling2D", "GlobalAvgPool2D"]
  public static let operationNames = ["global_average_pooling2d"]

  public var keepDims: Bool

  public init(keepDims: Bool = false) {
    self.keepDims = keepDims
  }
}

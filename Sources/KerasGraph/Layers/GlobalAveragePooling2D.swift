/// GlobalAveragePooling2D: the mean over height and width per channel.
public struct GlobalAveragePooling2D: GlobalPoolingKind, Equatable {
  public static let kerasClassNames = ["GlobalAveragePooling2D", "GlobalAvgPool2D"]
  public static let operationNames = ["global_average_pooling2d"]
  public static let spatialRank = 2
  public static let takesMaximum = false

  public var keepDims: Bool

  public init(keepDims: Bool = false) {
    self.keepDims = keepDims
  }
}

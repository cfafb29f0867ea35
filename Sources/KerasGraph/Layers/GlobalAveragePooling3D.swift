/// GlobalAveragePooling3D: the mean over depth, height and width per channel.
public struct GlobalAveragePooling3D: GlobalPoolingKind, Equatable {
  public static let kerasClassNames = ["GlobalAveragePooling3D", "GlobalAvgPool3D"]
  public static let operationNames = ["global_average_pooling3d"]
  public static let spatialRank = 3
  public static let takesMaximum = false

  public var keepDims: Bool

  public init(keepDims: Bool = false) {
    self.keepDims = keepDims
  }
}

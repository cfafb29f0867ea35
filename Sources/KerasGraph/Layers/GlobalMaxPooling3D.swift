/// GlobalMaxPooling3D: the maximum over depth, height and width per channel.
public struct GlobalMaxPooling3D: GlobalPoolingKind, Equatable {
  public static let kerasClassNames = ["GlobalMaxPooling3D", "GlobalMaxPool3D"]
  public static let operationNames = ["global_max_pooling3d"]
  public static let spatialRank = 3
  public static let takesMaximum = true

  public var keepDims: Bool

  public init(keepDims: Bool = false) {
    self.keepDims = keepDims
  }
}

/// GlobalAveragePooling1D: the mean over the steps per channel.
public struct GlobalAveragePooling1D: GlobalPoolingKind, Equatable {
  public static let kerasClassNames = ["GlobalAveragePooling1D", "GlobalAvgPool1D"]
  public static let operationNames = ["global_average_pooling1d"]
  public static let spatialRank = 1
  public static let takesMaximum = false

  public var keepDims: Bool

  public init(keepDims: Bool = false) {
    self.keepDims = keepDims
  }
}

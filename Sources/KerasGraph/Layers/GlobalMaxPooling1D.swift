/// GlobalMaxPooling1D: the maximum over the steps per channel.
public struct GlobalMaxPooling1D: GlobalPoolingKind, Equatable {
  public static let kerasClassNames = ["GlobalMaxPooling1D", "GlobalMaxPool1D"]
  public static let operationNames = ["global_max_pooling1d"]
  public static let spatialRank = 1
  public static let takesMaximum = true

  public var keepDims: Bool

  public init(keepDims: Bool = false) {
    self.keepDims = keepDims
  }
}

/// GlobalMaxPooling2D: the maximum over height and width per channel.
public struct GlobalMaxPooling2D: GlobalPoolingKind, Equatable {
  public static let kerasClassNames = ["GlobalMaxPooling2D", "GlobalMaxPool2D"]
  public static let operationNames = ["global_max_pooling2d"]
  public static let spatialRank = 2
  public static let takesMaximum = true

  public var keepDims: Bool

  public init(keepDims: Bool = false) {
    self.keepDims = keepDims
  }
}

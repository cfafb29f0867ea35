/// GlobalMaxPooling2D: the maximum over height and width per channel (ties share the gradient, as `reduce_max`).
public struct GlobalMaxPooling2D: GlobalPooling2DKind, Equatable {
  public static let kerasClassNames = ["GlobalMaxPooling2D", "GlobalMaxPool2D"]
  public static let operationNames = ["global_max_pooling2d"]

  public var keepDims: Bool

  public init(keepDims: Bool = false) {
    self.keepDims = keepDims
  }
}

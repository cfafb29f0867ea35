/// AveragePooling2D: the mean of each window, padded cells excluded (TensorFlow's rule).
public struct AveragePooling2D: Pooling2DKind, Equatable {
  public static let kerasClassNames = ["AveragePooling2D", "AvgPool2D"]
  public static let operationNames = ["average_pooling2d"]

  public var window: Window2D

  public init(window: Window2D) {
    self.window = window
  }
}

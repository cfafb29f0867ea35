/// MaxPooling2D: the maximum of each window (TensorFlow's padding: `same` pads after, padded cells never win).
public struct MaxPooling2D: Pooling2DKind, Equatable {
  public static let kerasClassNames = ["MaxPooling2D", "MaxPool2D"]
  public static let operationNames = ["max_pooling2d"]

  public var window: Window2D

  public init(window: Window2D) {
    self.window = window
  }
}

/// MaxPooling2D: the maximum of each window (TensorFlow's padding: `same` pads after, padded cells never win), over NHWC input.
public struct MaxPooling2D: PoolingKind, Equatable {
  public static let kerasClassNames = ["MaxPooling2D", "MaxPool2D"]
  public static let operationNames = ["max_pooling2d"]
  public static let spatialRank = 2
  public static let takesMaximum = true

  public var window: Window

  public init(window: Window) {
    self.window = window
  }
}

/// MaxPooling3D: the maximum of each window (TensorFlow's padding: `same` pads after, padded cells never win), over `(N, depth, height, width, C)` input.
public struct MaxPooling3D: PoolingKind, Equatable {
  public static let kerasClassNames = ["MaxPooling3D", "MaxPool3D"]
  public static let operationNames = ["max_pooling3d"]
  public static let spatialRank = 3
  public static let takesMaximum = true

  public var window: Window

  public init(window: Window) {
    self.window = window
  }
}

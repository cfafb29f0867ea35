/// AveragePooling2D: the mean of each window (`same` padding: padded cells are not counted), over NHWC input.
public struct AveragePooling2D: PoolingKind, Equatable {
  public static let kerasClassNames = ["AveragePooling2D", "AvgPool2D"]
  public static let operationNames = ["average_pooling2d"]
  public static let spatialRank = 2
  public static let takesMaximum = false

  public var window: Window

  public init(window: Window) {
    self.window = window
  }
}

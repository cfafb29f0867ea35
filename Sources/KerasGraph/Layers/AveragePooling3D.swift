/// AveragePooling3D: the mean of each window (`same` padding: padded cells are not counted), over `(N, depth, height, width, C)` input.
public struct AveragePooling3D: PoolingKind, Equatable {
  public static let kerasClassNames = ["AveragePooling3D", "AvgPool3D"]
  public static let operationNames = ["average_pooling3d"]
  public static let spatialRank = 3
  public static let takesMaximum = false

  public var window: Window

  public init(window: Window) {
    self.window = window
  }
}

/// AveragePooling1D: the mean of each window (`same` padding: padded cells are not counted), over `(N, steps, C)` input.
public struct AveragePooling1D: PoolingKind, Equatable {
  public static let kerasClassNames = ["AveragePooling1D", "AvgPool1D"]
  public static let operationNames = ["average_pooling1d"]
  public static let spatialRank = 1
  public static let takesMaximum = false

  public var window: Window

  public init(window: Window) {
    self.window = window
  }
}

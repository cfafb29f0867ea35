/// MaxPooling1D: the maximum of each window (TensorFlow's padding: `same` pads after, padded cells never win), over `(N, steps, C)` input.
public struct MaxPooling1D: PoolingKind, Equatable {
  public static let kerasClassNames = ["MaxPooling1D", "MaxPool1D"]
  public static let operationNames = ["max_pooling1d"]
  public static let spatialRank = 1
  public static let takesMaximum = true

  public var window: Window

  public init(window: Window) {
    self.window = window
  }
}

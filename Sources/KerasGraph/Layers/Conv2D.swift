/// Conv2D: the 2-D `ConvolutionKind` over NHWC input (kernel `window.kernelSize + (in / groups, filters)`).
public struct Conv2D: ConvolutionKind, Equatable {
  public static let kerasClassNames = ["Conv2D", "Convolution2D"]
  public static let operationNames = ["conv2d"]
  public static let spatialRank = 2

  public var filters: Int
  public var window: Window
  public var groups: Int
  public var useBias: Bool

  public init(filters: Int, window: Window, groups: Int = 1, useBias: Bool = true) {
    self.filters = filters
    self.window = window
    self.groups = groups
    self.useBias = useBias
  }
}

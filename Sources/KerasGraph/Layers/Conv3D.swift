/// Conv3D: the 3-D `ConvolutionKind` over `(N, depth, height, width, C)` input (kernel `window.kernelSize + (in / groups, filters)`).
public struct Conv3D: ConvolutionKind, Equatable {
  public static let kerasClassNames = ["Conv3D", "Convolution3D"]
  public static let operationNames = ["conv3d"]
  public static let spatialRank = 3

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

/// SeparableConv2D: the 2-D `SeparableConvolutionKind` (a depthwise convolution, then a pointwise one).
public struct SeparableConv2D: SeparableConvolutionKind, Equatable {
  public static let kerasClassNames = ["SeparableConv2D", "SeparableConvolution2D"]
  public static let operationNames = ["separable_conv2d"]
  public static let spatialRank = 2

  public var filters: Int
  public var window: Window
  public var depthMultiplier: Int
  public var useBias: Bool

  public init(filters: Int, window: Window, depthMultiplier: Int = 1, useBias: Bool = true) {
    self.filters = filters
    self.window = window
    self.depthMultiplier = depthMultiplier
    self.useBias = useBias
  }
}

/// SeparableConv1D: the 1-D `SeparableConvolutionKind` (a depthwise convolution, then a pointwise one).
public struct SeparableConv1D: SeparableConvolutionKind, Equatable {
  public static let kerasClassNames = ["SeparableConv1D", "SeparableConvolution1D"]
  public static let operationNames = ["separable_conv1d"]
  public static let spatialRank = 1

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

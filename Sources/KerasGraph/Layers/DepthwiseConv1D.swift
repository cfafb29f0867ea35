/// DepthwiseConv1D: the 1-D `DepthwiseConvolutionKind` (kernel `window.kernelSize + (in, multiplier)`).
public struct DepthwiseConv1D: DepthwiseConvolutionKind, Equatable {
  public static let kerasClassNames = ["DepthwiseConv1D"]
  public static let operationNames = ["depthwise_conv1d"]
  public static let spatialRank = 1

  public var window: Window
  public var depthMultiplier: Int
  public var useBias: Bool

  public init(window: Window, depthMultiplier: Int = 1, useBias: Bool = true) {
    self.window = window
    self.depthMultiplier = depthMultiplier
    self.useBias = useBias
  }
}

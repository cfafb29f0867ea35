/// DepthwiseConv2D: the 2-D `DepthwiseConvolutionKind` (kernel `window.kernelSize + (in, multiplier)`).
public struct DepthwiseConv2D: DepthwiseConvolutionKind, Equatable {
  public static let kerasClassNames = ["DepthwiseConv2D"]
  public static let operationNames = ["depthwise_conv2d"]
  public static let spatialRank = 2

  public var window: Window
  public var depthMultiplier: Int
  public var useBias: Bool

  public init(window: Window, depthMultiplier: Int = 1, useBias: Bool = true) {
    self.window = window
    self.depthMultiplier = depthMultiplier
    self.useBias = useBias
  }
}

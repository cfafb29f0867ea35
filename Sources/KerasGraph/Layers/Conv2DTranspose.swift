/// Conv2DTranspose: the 2-D `TransposedConvolutionKind` (kernel `window.kernelSize + (filters, in)`).
public struct Conv2DTranspose: TransposedConvolutionKind, Equatable {
  public static let kerasClassNames = ["Conv2DTranspose", "Convolution2DTranspose", "Deconvolution2D"]
  public static let operationNames = ["conv2d_transpose"]
  public static let spatialRank = 2

  public var filters: Int
  public var window: Window
  public var outputPadding: [Int]?
  public var useBias: Bool

  public init(filters: Int, window: Window, outputPadding: [Int]? = nil, useBias: Bool = true) {
    self.filters = filters
    self.window = window
    self.outputPadding = outputPadding
    self.useBias = useBias
  }
}

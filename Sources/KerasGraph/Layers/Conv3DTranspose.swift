/// Conv3DTranspose: the 3-D `TransposedConvolutionKind` (kernel `window.kernelSize + (filters, in)`).
public struct Conv3DTranspose: TransposedConvolutionKind, Equatable {
  public static let kerasClassNames = ["Conv3DTranspose", "Convolution3DTranspose", "Deconvolution3D"]
  public static let operationNames = ["conv3d_transpose"]
  public static let spatialRank = 3

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

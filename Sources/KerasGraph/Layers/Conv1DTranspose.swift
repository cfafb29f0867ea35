/// Conv1DTranspose: the 1-D `TransposedConvolutionKind` (kernel `window.kernelSize + (filters, in)`).
public struct Conv1DTranspose: TransposedConvolutionKind, Equatable {
  public static let kerasClassNames = ["Conv1DTranspose", "Convolution1DTranspose"]
  public static let operationNames = ["conv1d_transpose"]
  public static let spatialRank = 1

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

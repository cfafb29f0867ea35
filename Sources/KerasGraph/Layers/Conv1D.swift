/// Conv1D: the 1-D `ConvolutionKind` over `(N, steps, C)` input (kernel `window.kernelSize + (in / groups, filters)`). `padding` may be `causal`.
public struct Conv1D: ConvolutionKind, Equatable {
  public static let kerasClassNames = ["Conv1D", "Convolution1D"]
  public static let operationNames = ["conv1d"]
  public static let spatialRank = 1

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

/// UpSampling1D: each step of `(N, steps, C)` input repeated `size` times.
public struct UpSampling1D: RepeatingUpSamplingKind, Equatable {
  public static let kerasClassNames = ["UpSampling1D"]
  public static let operationNames = ["up_sampling1d"]
  public static let spatialRank = 1

  public var size: [Int]

  public init(size: [Int] = [2]) {
    self.size = size
  }
}

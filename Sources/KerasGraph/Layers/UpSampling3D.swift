/// UpSampling3D: each element of `(N, depth, height, width, C)` input repeated `size` times along each axis.
public struct UpSampling3D: RepeatingUpSamplingKind, Equatable {
  public static let kerasClassNames = ["UpSampling3D"]
  public static let operationNames = ["up_sampling3d"]
  public static let spatialRank = 3

  public var size: [Int]

  public init(size: [Int] = [2, 2, 2]) {
    self.size = size
  }
}

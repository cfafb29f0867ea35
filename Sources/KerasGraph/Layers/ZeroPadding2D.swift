/// ZeroPadding2D: zero rows and columns added on each side of an NHWC input (`padding`).
public struct ZeroPadding2D: Edges2DKind, Equatable {
  public static let kerasClassNames = ["ZeroPadding2D"]
  public static let operationNames = ["zero_padding2d"]
  public static let edgesField = "padding"

  public var edges: Edges2D

  public init(edges: Edges2D) {
    self.edges = edges
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    return [try shape(inputs[0], sign: 1)]
  }
}

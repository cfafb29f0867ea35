/// Cropping2D: rows and columns removed on each side of an NHWC input (`cropping`).
public struct Cropping2D: Edges2DKind, Equatable {
  public static let kerasClassNames = ["Cropping2D"]
  public static let operationNames = ["cropping2d"]
  public static let edgesField = "cropping"

  public var edges: Edges2D

  public init(edges: Edges2D) {
    self.edges = edges
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    return [try shape(inputs[0], sign: -1)]
  }
}

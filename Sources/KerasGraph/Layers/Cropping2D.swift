/// Cropping2D: elements removed before and after each spatial axis of NHWC input (`cropping`).
public struct Cropping2D: EdgesKind, Equatable {
  public static let kerasClassNames = ["Cropping2D"]
  public static let operationNames = ["cropping2d"]
  public static let spatialRank = 2
  public static let edgesField = "cropping"
  public static let crops = true

  public var edges: Edges

  public init(edges: Edges) {
    self.edges = edges
  }
}

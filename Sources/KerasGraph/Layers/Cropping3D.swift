/// Cropping3D: elements removed before and after each spatial axis of `(N, depth, height, width, C)` input (`cropping`).
public struct Cropping3D: EdgesKind, Equatable {
  public static let kerasClassNames = ["Cropping3D"]
  public static let operationNames = ["cropping3d"]
  public static let spatialRank = 3
  public static let edgesField = "cropping"
  public static let crops = true

  public var edges: Edges

  public init(edges: Edges) {
    self.edges = edges
  }
}

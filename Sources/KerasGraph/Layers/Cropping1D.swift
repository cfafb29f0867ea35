/// Cropping1D: elements removed before and after each spatial axis of `(N, steps, C)` input (`cropping`).
public struct Cropping1D: EdgesKind, Equatable {
  public static let kerasClassNames = ["Cropping1D"]
  public static let operationNames = ["cropping1d"]
  public static let spatialRank = 1
  public static let edgesField = "cropping"
  public static let crops = true

  public var edges: Edges

  public init(edges: Edges) {
    self.edges = edges
  }
}

/// ZeroPadding1D: zeros added before and after each spatial axis of `(N, steps, C)` input (`padding`).
public struct ZeroPadding1D: EdgesKind, Equatable {
  public static let kerasClassNames = ["ZeroPadding1D"]
  public static let operationNames = ["zero_padding1d"]
  public static let spatialRank = 1
  public static let edgesField = "padding"
  public static let crops = false

  public var edges: Edges

  public init(edges: Edges) {
    self.edges = edges
  }
}

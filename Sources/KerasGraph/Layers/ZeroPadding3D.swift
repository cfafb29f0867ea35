/// ZeroPadding3D: zeros added before and after each spatial axis of `(N, depth, height, width, C)` input (`padding`).
public struct ZeroPadding3D: EdgesKind, Equatable {
  public static let kerasClassNames = ["ZeroPadding3D"]
  public static let operationNames = ["zero_padding3d"]
  public static let spatialRank = 3
  public static let edgesField = "padding"
  public static let crops = false

  public var edges: Edges

  public init(edges: Edges) {
    self.edges = edges
  }
}

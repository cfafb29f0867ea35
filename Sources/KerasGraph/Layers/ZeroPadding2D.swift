/// ZeroPadding2D: zeros added before and after each spatial axis of NHWC input (`padding`).
public struct ZeroPadding2D: EdgesKind, Equatable {
  public static let kerasClassNames = ["ZeroPadding2D"]
  public static let operationNames = ["zero_padding2d"]
  public static let spatialRank = 2
  public static let edgesField = "padding"
  public static let crops = false

  public var edges: Edges

  public init(edges: Edges) {
    self.edges = edges
  }
}

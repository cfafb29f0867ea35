/// A Functional or Sequential model used as a layer (transfer learning); its layers stay addressable through the
/// nested graph. Readers build the graph from the nested config, and the native format writes it as a graph of
/// its own (`{"op": "model", "graph": ...}`), so this kind has no field of its own to decode or encode.
public struct NestedModel: LayerKind {
  public static let kerasClassNames = ["Functional", "Model", "Sequential"]
  public static let operationNames = ["model"]

  public var graph: Graph

  public init(graph: Graph) {
    self.graph = graph
  }

  public init(from decoder: any Decoder) throws {
    throw LayerConfigError(field: "graph", detail: "a nested model is read by the model readers, not decoded alone")
  }

  public func encode(to encoder: any Encoder) throws {
    _ = encoder.container(keyedBy: NestedModelCodingKeys.self)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    guard inputs.count == graph.inputs.count else {
      throw ShapeProblem(detail: "the nested model takes \(graph.inputs.count) inputs, got \(inputs.count)")
    }
    return graph.outputShapes
  }
}

private enum NestedModelCodingKeys: CodingKey {}

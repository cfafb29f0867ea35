/// One row of `model.summary()` with the index column that keras-vis users need.
public struct SummaryRow: Sendable, Equatable {
  /// The index in `model.layers` (of the model holding the layer).
  public var index: Int
  /// The layer name; a path for layers inside nested models.
  public var name: String
  /// The Keras class name.
  public var className: String
  /// The output shapes of the layer's first call (several for multi-output nested models).
  public var outputShapes: [TensorShape]
  /// The number of weight values, as `layer.count_params()`.
  public var parameterCount: Int
  /// The layers feeding the first call.
  public var inbound: [String]
  /// How deep inside nested models the layer sits (0 for top-level layers).
  public var depth: Int
}

extension Graph {
  /// The rows of a model summary: one per layer of `model.layers`, and with `expandingNested` the layers of
  /// nested models after the model that holds them (names as paths).
  public func summaryRows(expandingNested: Bool = false) -> [SummaryRow] {
    var rows: [SummaryRow] = []
    func visit(_ graph: Graph, prefix: String, depth: Int) {
      for layer in graph.layers {
        rows.append(
          SummaryRow(
            index: layer.index, name: prefix + layer.name, className: LayerKinds.displayName(ofClass: layer.className),
            outputShapes: layer.nodes.first?.outputShapes ?? [], parameterCount: layer.parameterCount,
            inbound: graph.inboundLayerNames(ofLayer: layer.index), depth: depth))
        if expandingNested, let inner = layer.nestedGraph {
          visit(inner, prefix: prefix + layer.name + "/", depth: depth + 1)
        }
      }
    }
    visit(self, prefix: "", depth: 0)
    return rows
  }
}

extension SummaryRow {
  /// The row as JSON: `{"index", "name", "class", "output_shape", "params", "inbound"}`; `output_shape` is a list
  /// whose batch entry is null (a list of such lists for a layer with several outputs).
  public var json: JSONValue {
    let shape: JSONValue = outputShapes.count == 1 ? outputShapes[0].json : .array(outputShapes.map(\.json))
    return .object([
      "index": .int(index), "name": .string(name), "class": .string(className), "output_shape": shape,
      "params": .int(parameterCount), "inbound": .array(inbound.map { .string($0) }),
    ])
  }
}

extension Graph {
  /// The summary as JSON: `{"name", "class", "total_params", "layers": [row...]}`.
  public func summaryJSON(expandingNested: Bool = false) -> JSONValue {
    .object([
      "name": .string(name), "class": .string(kind.rawValue), "total_params": .int(parameterCount),
      "layers": .array(summaryRows(expandingNested: expandingNested).map(\.json)),
    ])
  }

  /// A text table like Keras's `model.summary()`, with the `model.layers` index as the first column.
  public func summaryTable(expandingNested: Bool = false) -> String {
    let rows = summaryRows(expandingNested: expandingNested)
    let header = ["Index", "Layer (type)", "Output Shape", "Param #", "Connected to"]
    var cells = rows.map { row -> [String] in
      let indent = String(repeating: "  ", count: row.depth)
      let shapes = row.outputShapes.map(\.description).joined(separator: ", ")
      return [
        indent + String(row.index), indent + "\(row.name) (\(row.className))", shapes, String(row.parameterCount),
        row.inbound.joined(separator: ", "),
      ]
    }
    cells.insert(header, at: 0)
    let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { column, text in
        column == cells.count - 1 ? text : text.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
      }.joined().trimmingTrailingSpaces()
    }
    let rule = String(repeating: "=", count: widths.reduce(0) { $0 + $1 + 2 })
    var lines = ["Model: \"\(name)\" (\(kind.rawValue), \(layers.count) layers)", rule, line(cells[0]), rule]
    lines += cells.dropFirst().map(line)
    lines.append(rule)
    lines.append("Total params: \(parameterCount)")
    return lines.joined(separator: "\n")
  }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var text = self
    while text.last == " " { text.removeLast() }
    return text
  }
}

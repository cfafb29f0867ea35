/// One call of a layer or of a Keras 3 operation in a graph (a layer called twice has two).
public enum GraphCall: Hashable, Sendable {
  /// Call `node` of `graph.layers[index]`.
  case layer(Int, node: Int)
  /// Call `node` of `graph.operations[index]`.
  case operation(Int, node: Int)
}

/// A graph whose calls read each other in a circle.
public struct GraphCycleError: Error, CustomStringConvertible {
  /// A call on the cycle, and the one that reads it.
  public var call: GraphCall
  public var reader: GraphCall

  public var description: String { "the layer graph has a cycle through \(call) and \(reader)" }
}

extension Graph {
  /// The inputs of a call.
  public func inputs(of call: GraphCall) -> [TensorSource] {
    switch call {
    case .layer(let index, let node): return layers[index].nodes[node].inputs
    case .operation(let index, let node): return operations[index].nodes[node].inputs
    }
  }

  /// The call that produces `source`, or nil for a graph input or a reference to a call that does not exist.
  public func producer(of source: TensorSource) -> GraphCall? {
    switch source {
    case .graphInput: return nil
    case .layerOutput(let layer, let node, _):
      return layers.indices.contains(layer) && layers[layer].nodes.indices.contains(node)
        ? .layer(layer, node: node) : nil
    case .operationOutput(let operation, let node, _):
      return operations.indices.contains(operation) && operations[operation].nodes.indices.contains(node)
        ? .operation(operation, node: node) : nil
    }
  }

  /// Every call (all layers' and operations' nodes) ordered so that each comes after the calls it reads. The
  /// search is iterative, so that deep graphs cannot overflow the stack.
  /// - Throws: `GraphCycleError` when calls read each other in a circle.
  public func callOrder() throws -> [GraphCall] {
    var all: [GraphCall] = []
    for (index, layer) in layers.enumerated() { all += layer.nodes.indices.map { .layer(index, node: $0) } }
    for (index, operation) in operations.enumerated() {
      all += operation.nodes.indices.map { .operation(index, node: $0) }
    }
    var done = Set<GraphCall>()
    var visiting = Set<GraphCall>()
    var order: [GraphCall] = []
    for start in all where !done.contains(start) {
      var stack: [(call: GraphCall, next: Int)] = [(start, 0)]
      visiting.insert(start)
      while let top = stack.last {
        let sources = inputs(of: top.call)
        if top.next < sources.count {
          stack[stack.count - 1].next += 1
          guard let dependency = producer(of: sources[top.next]), !done.contains(dependency) else { continue }
          guard !visiting.contains(dependency) else { throw GraphCycleError(call: dependency, reader: top.call) }
          visiting.insert(dependency)
          stack.append((dependency, 0))
        } else {
          visiting.remove(top.call)
          done.insert(top.call)
          order.append(top.call)
          stack.removeLast()
        }
      }
    }
    return order
  }
}

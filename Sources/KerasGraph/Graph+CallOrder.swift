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

  /// Every call (all layers' and operations' nodes) ordered so that each comes after the calls it reads.
  /// - Throws: `GraphCycleError` when calls read each other in a circle.
  public func callOrder() throws -> [GraphCall] {
    var all: [GraphCall] = []
    for (index, layer) in layers.enumerated() { all += layer.nodes.indices.map { .layer(index, node: $0) } }
    for (index, operation) in operations.enumerated() {
      all += operation.nodes.indices.map { .operation(index, node: $0) }
    }
    do {
      return try dependencyOrder(all) { call in inputs(of: call).compactMap { producer(of: $0) } }
    } catch {
      throw GraphCycleError(call: error.cycle[0], reader: error.cycle[error.cycle.count - 2])
    }
  }
}

/// Nodes that depend on each other in a circle: `cycle` runs from a node through the nodes that depend on it
/// back to itself (first and last are the same node).
public struct DependencyCycle<Node: Sendable>: Error {
  public var cycle: [Node]
}

/// `nodes` ordered so that each comes after the nodes it depends on (those `dependencies` returns), by an
/// iterative depth-first search, so that deep graphs cannot overflow the stack. The one topological sort of the
/// package: graph call order, and the readers' build order.
/// - Throws: `DependencyCycle` with the nodes of a cycle.
public func dependencyOrder<Node: Hashable & Sendable>(_ nodes: [Node], dependencies: (Node) -> [Node])
  throws(DependencyCycle<Node>) -> [Node]
{
  var done = Set<Node>()
  var visiting = Set<Node>()
  var order: [Node] = []
  for start in nodes where !done.contains(start) {
    var stack: [(node: Node, dependencies: [Node], next: Int)] = [(start, dependencies(start), 0)]
    visiting.insert(start)
    while let top = stack.last {
      if top.next < top.dependencies.count {
        stack[stack.count - 1].next += 1
        let dependency = top.dependencies[top.next]
        guard !done.contains(dependency) else { continue }
        guard !visiting.contains(dependency) else {
          let path = stack.map(\.node).drop { $0 != dependency }
          throw DependencyCycle(cycle: Array(path) + [dependency])
        }
        visiting.insert(dependency)
        stack.append((dependency, dependencies(dependency), 0))
      } else {
        visiting.remove(top.node)
        done.insert(top.node)
        order.append(top.node)
        stack.removeLast()
      }
    }
  }
  return order
}

/// Swift implementations for Keras layer classes that kerasvis does not know, by class name.
///
/// ```swift
/// var registry = LayerRegistry()
/// registry.register(className: "MyScale") { config in MyScale(factor: config["factor"]?.number ?? 1) }
/// let graph = try KerasModelFile.load(path: "model.h5", options: .init(registry: registry))
/// ```
public struct LayerRegistry: Sendable {
  /// Builds an implementation from the layer's Keras `config`.
  public typealias Factory = @Sendable (_ config: JSONValue) throws -> any CustomLayer

  private var factories: [String: Factory] = [:]

  public init() {}

  /// Registers `factory` for layers whose `class_name` (or Keras 3 `registered_name`) is `className`.
  public mutating func register(className: String, factory: @escaping Factory) {
    factories[className] = factory
  }

  /// The factory registered for `className`, if any.
  public func factory(for className: String) -> Factory? {
    factories[className]
  }

  /// The registered class names.
  public var classNames: [String] { factories.keys.sorted() }
}

/// A user-supplied implementation of a Keras layer class kerasvis does not know (registered by class name).
public protocol CustomLayer: Sendable {
  /// The weights the layer stores, in Keras's order, given its input shapes.
  func weightSpecifications(inputShapes: [TensorShape]) throws -> [WeightSpecification]
  /// The output shapes for the given input shapes.
  func outputShapes(inputShapes: [TensorShape]) throws -> [TensorShape]
  /// Computes the (single) output from the inputs, all row-major in Keras's layout with concrete shapes
  /// (batch first). `weights` are the layer's weights in Keras's order. The default implementation throws
  /// `CustomLayerError.notExecutable`: such a layer imports but cannot run.
  func forward(inputs: [[Float]], inputShapes: [[Int]], weights: [Weight], outputShape: [Int]) throws -> [Float]
}

extension CustomLayer {
  public func forward(inputs: [[Float]], inputShapes: [[Int]], weights: [Weight], outputShape: [Int]) throws -> [Float]
  {
    throw CustomLayerError.notExecutable
  }
}

/// Why a registered custom layer cannot run.
public enum CustomLayerError: Error, CustomStringConvertible {
  /// The implementation describes shapes and weights but not the computation.
  case notExecutable

  public var description: String {
    "the registered implementation does not implement forward(inputs:inputShapes:weights:outputShape:)"
  }
}

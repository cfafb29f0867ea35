/// A Keras class kerasvis does not know, run by a Swift implementation registered by class name
/// (`LayerRegistry`). The native format keeps its class name and Keras config, from which the registered factory
/// builds the implementation again.
public struct RegisteredLayer: LayerKind {
  public static let kerasClassNames: [String] = []
  public static let operationNames = ["custom"]

  /// The class name the implementation is registered under.
  public var className: String
  /// The layer's Keras config.
  public var config: JSONValue
  public var implementation: any CustomLayer

  public init(className: String, config: JSONValue, implementation: any CustomLayer) {
    self.className = className
    self.config = config
    self.implementation = implementation
  }

  enum CodingKeys: String, CodingKey {
    case className = "class_name"
    case config
  }

  /// Reads `{"class_name", "config"}` (a native file) and asks the registry for the implementation.
  public init(config: JSONValue, name: String, context: LayerDecodingContext) throws {
    guard let className = config["class_name"]?.string else {
      throw LayerConfigError(field: "class_name", detail: "missing")
    }
    guard let factory = context.registry.factory(for: className) else {
      throw LayerConfigError(
        field: "class_name",
        detail:
          "'\(className)' is a custom layer; register a Swift implementation with LayerRegistry.register(className: \"\(className)\")"
      )
    }
    let kerasConfig = config["config"] ?? .object([:])
    self.init(className: className, config: kerasConfig, implementation: try factory(kerasConfig))
  }

  public init(from decoder: any Decoder) throws {
    throw LayerConfigError(field: "class_name", detail: "a registered layer needs the registry to decode")
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(className, forKey: .className)
    try container.encode(config, forKey: .config)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try implementation.outputShapes(inputShapes: inputs)
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    try implementation.weightSpecifications(inputShapes: inputs)
  }
}

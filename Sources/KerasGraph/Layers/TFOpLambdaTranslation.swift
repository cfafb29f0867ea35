/// tf.keras's `TFOpLambda` layers, which record a TensorFlow function call: arithmetic with a constant (`x + 3.0`,
/// `x * (1 / 6)` in MobileNetV3) becomes a `Rescaling`, arithmetic between two tensors a `Merge`. Not a kind of its
/// own: it translates into the kinds that compute the same.
enum TFOpLambdaTranslation {
  static let className = "TFOpLambda"

  /// The kind the call computes, or nil when it is not plain arithmetic.
  static func kind(config: JSONValue, arguments: JSONValue) throws -> (any LayerKind)? {
    guard let function = config["function"]?.string else { return nil }
    guard let constant = arguments["y"]?.number else {
      // A tensor operand (`x + y`): the config parser appended it as the second input.
      guard arguments["y"]?.array?.count == 3 else { return nil }
      switch function {
      case "__operators__.add", "math.add": return Merge(.add)
      case "__operators__.sub", "math.subtract": return Merge(.subtract)
      case "math.multiply", "__operators__.mul": return Merge(.multiply)
      case "math.maximum": return Merge(.maximum)
      case "math.minimum": return Merge(.minimum)
      default: return nil
      }
    }
    let value = Float(constant)
    switch function {
    case "__operators__.add", "math.add": return Rescaling(scale: [1], offset: [value])
    case "__operators__.sub", "math.subtract": return Rescaling(scale: [1], offset: [-value])
    case "math.multiply", "__operators__.mul": return Rescaling(scale: [value], offset: [0])
    case "math.truediv", "__operators__.truediv", "math.divide":
      guard value != 0 else { return nil }
      return Rescaling(scale: [1 / value], offset: [0])
    default: return nil
    }
  }
}

import KerasGraph

/// An error raised while building or running a model on oneDNN, naming the layer at fault where there is one.
public enum TensorError: Error, CustomStringConvertible, Equatable {
  /// A shape is invalid for the operation (negative, overflowing, or of the wrong element count).
  case invalidShape(shape: [Int], detail: String)
  /// The inputs given do not match what the model takes.
  case invalidInput(detail: String)
  /// A layer cannot run (its configuration is not executable, or its input shape does not fit).
  case unsupportedLayer(layer: LayerLocation, detail: String)
  /// oneDNN refused an operation.
  case dnnl(operation: String, status: String)
  /// A layer named as a tap or gradient target does not exist, or its output was not kept.
  case unknownTap(detail: String)
  /// A `.npy` file cannot be read or written.
  case npy(file: String, detail: String)

  public var description: String {
    switch self {
    case .invalidShape(let shape, let detail): return "shape \(shape) \(detail)"
    case .invalidInput(let detail): return "invalid model input: \(detail)"
    case .unsupportedLayer(let layer, let detail): return "\(layer) cannot run: \(detail)"
    case .dnnl(let operation, let status): return "oneDNN failed in \(operation): \(status)"
    case .unknownTap(let detail): return detail
    case .npy(let file, let detail): return "\(file): \(detail)"
    }
  }
}

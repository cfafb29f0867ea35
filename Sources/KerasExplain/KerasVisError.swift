import KerasGraph

/// An error from an explanation request, naming the layer (with its index) or argument at fault.
public enum KerasVisError: Error, CustomStringConvertible, Equatable {
  /// A layer index outside `model.layers`.
  case layerIndexOutOfRange(index: Int, count: Int)
  /// A filter (class, channel) index beyond what the layer outputs.
  case filterIndexOutOfRange(index: Int, layer: LayerLocation, available: Int)
  /// The penultimate layer comes after the explained layer.
  case penultimateAfterLayer(penultimate: LayerLocation, layer: LayerLocation)
  /// No convolution or pooling layer precedes the explained layer (keras-vis's automatic search failed).
  case noPenultimateLayer(layer: LayerLocation)
  /// The layer's output cannot be used this way (e.g. Grad-CAM needs a spatial feature map).
  case unsuitableLayer(layer: LayerLocation, detail: String)
  /// The seed input does not fit the model.
  case invalidInput(String)
  /// An argument is out of its range.
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .layerIndexOutOfRange(let index, let count):
      return "layer index \(index) is out of range: the model has \(count) layers (0...\(count - 1), or -\(count)...-1)"
    case .filterIndexOutOfRange(let index, let layer, let available):
      return "filter index \(index) is out of range for \(layer): it has \(available) outputs (0...\(available - 1))"
    case .penultimateAfterLayer(let penultimate, let layer):
      return "the penultimate layer \(penultimate) must come before \(layer)"
    case .noPenultimateLayer(let layer):
      return "no convolution or pooling layer comes before \(layer); name one with penultimateLayerIdx (--penultimate)"
    case .unsuitableLayer(let layer, let detail): return "\(layer): \(detail)"
    case .invalidInput(let detail): return "invalid seed input: \(detail)"
    case .invalidArgument(let detail): return detail
    }
  }
}

/// Embedding: `y[n, ..., :] = embeddings[ids[n, ...], :]` for integer token ids (kerasvis feeds them as float32 and
/// rounds them; an id outside `0..<inputDim` is an error). Weight `embeddings` `(inputDim, outputDim)`; input
/// `(N, ...)`, output `(N, ..., outputDim)`. With `maskZero`, id 0 masks its step for the layers downstream
/// (Keras's `compute_mask`: `ids != 0`).
public struct Embedding: LayerKind, Equatable {
  public static let kerasClassNames = ["Embedding"]
  public static let operationNames = ["embedding"]

  /// The vocabulary size.
  public var inputDim: Int
  /// The embedding width.
  public var outputDim: Int
  /// Whether id 0 is padding that masks its time step.
  public var maskZero: Bool

  public init(inputDim: Int, outputDim: Int, maskZero: Bool = false) {
    self.inputDim = inputDim
    self.outputDim = outputDim
    self.maskZero = maskZero
  }

  enum CodingKeys: String, CodingKey {
    case inputDim = "input_dim"
    case outputDim = "output_dim"
    case maskZero = "mask_zero"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    inputDim = try container.positiveInt(.inputDim, limit: 1 << 26)
    outputDim = try container.positiveInt(.outputDim)
    maskZero = try container.bool(.maskZero, default: false)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    guard inputs[0].rank >= 1 else { throw ShapeProblem(detail: "Embedding needs a batch dimension") }
    return [TensorShape(inputs[0].dimensions + [outputDim])]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    [WeightSpecification(name: "embeddings", shape: [inputDim, outputDim])]
  }
}

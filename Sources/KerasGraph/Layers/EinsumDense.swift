/// EinsumDense: `y = einsum(equation, x, kernel) + bias` (the activation is the layer's own node). The kernel's
/// shape comes from the equation: a kernel letter in the output takes its size from `output_shape`, one in the
/// input from the input. The bias covers the output axes from the first of `bias_axes` on (1 where an axis is not
/// a bias axis) and broadcasts over the output's trailing axes, as Keras's `_analyze_split_string` builds it.
/// MultiHeadAttention's projections are EinsumDense layers.
public struct EinsumDense: LayerKind, Equatable {
  public static let kerasClassNames = ["EinsumDense"]
  public static let operationNames = ["einsum_dense"]
  public static let splitsActivation = true

  /// The equation as written (`"abc,cd->abd"`, `"...b,bc->...c"`).
  public var equation: String
  /// The output's sizes after the batch axis (after `...` for a left-elided equation); nil entries come from the
  /// input.
  public var outputShape: [Int?]
  /// The output letters that have a bias (nil: no bias).
  public var biasAxes: String?

  public init(equation: String, outputShape: [Int?], biasAxes: String? = nil) {
    self.equation = equation
    self.outputShape = outputShape
    self.biasAxes = biasAxes
  }

  enum CodingKeys: String, CodingKey {
    case equation
    case outputShape = "output_shape"
    case biasAxes = "bias_axes"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    equation = try container.string(.equation)
    guard let shape = try container.value(.outputShape) else { throw container.failure(.outputShape, "missing") }
    if let single = shape.int {
      outputShape = [single]
    } else if let list = shape.array, list.allSatisfy({ $0.isNull || ($0.int ?? 0) > 0 }) {
      outputShape = list.map(\.int)
    } else {
      throw container.failure(
        .outputShape, "expected an integer or a list of integers and nulls, found \(shape.jsonText)")
    }
    let bias = try container.value(.biasAxes).map { _ in try container.string(.biasAxes) }
    biasAxes = bias?.isEmpty == true ? nil : bias
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(equation, forKey: .equation)
    try container.encode(JSONValue.array(outputShape.map { $0.map { .int($0) } ?? .null }), forKey: .outputShape)
    if let biasAxes { try container.encode(biasAxes, forKey: .biasAxes) }
  }

  /// The analysed equation for an input shape: the einsum of input and kernel, and the kernel, output and bias
  /// shapes.
  public struct Analysis: Sendable, Equatable {
    public var einsum: EinsumEquation
    public var kernelShape: [Int]
    public var outputShape: [Int?]
    /// The bias weight's shape (right-aligned against the output), nil without a bias.
    public var biasShape: [Int]?
  }

  /// Analyses the equation for `input`.
  /// - Throws: `ShapeProblem` when the equation does not fit the input or a kernel size is unknown.
  public func analysis(input: TensorShape) throws -> Analysis {
    let text = equation.filter { !$0.isWhitespace }
    guard let arrow = text.range(of: "->"), let comma = text.firstIndex(of: ",") else {
      throw ShapeProblem(detail: "EinsumDense equation '\(equation)' is not of the form 'in,kernel->out'")
    }
    let kernelLetters = String(text[text.index(after: comma)..<arrow.lowerBound])
    let outputText = String(text[arrow.upperBound...])
    let leftElided = outputText.hasPrefix("...")
    let outputSpec = Array(outputText.replacingOccurrences(of: "...", with: ""))
    let einsum = try EinsumEquation(parsing: text, lhsRank: input.rank, rhsRank: kernelLetters.count)
    // Sizes `output_shape` gives the explicit output letters (Keras inserts the batch before them).
    var configured: [Character: Int] = [:]
    for (position, letter) in outputSpec.enumerated() {
      let index = leftElided ? position : position - 1
      if index >= 0, index < outputShape.count, let size = outputShape[index] { configured[letter] = size }
    }
    let expectedCount = leftElided ? outputSpec.count : outputSpec.count - 1
    guard outputShape.count == expectedCount else {
      throw ShapeProblem(
        detail: "EinsumDense output_shape \(outputShape) does not match the output '\(outputText)' of '\(equation)'")
    }
    var sizes: [Character: Int?] = [:]
    for (letter, size) in zip(einsum.lhs, input.dimensions) { sizes[letter] = size }
    for letter in einsum.output where !einsum.lhs.contains(letter) { sizes[letter] = configured[letter] }
    for (letter, size) in configured where einsum.lhs.contains(letter) {
      if let inputSize = sizes[letter] ?? nil, inputSize != size {
        throw ShapeProblem(
          detail: "EinsumDense '\(equation)': axis '\(letter)' is \(inputSize) in the input, \(size) in output_shape")
      }
    }
    let kernelShape = try einsum.rhs.map { letter -> Int in
      guard let size = configured[letter] ?? (sizes[letter] ?? nil) else {
        throw ShapeProblem(detail: "EinsumDense '\(equation)': the kernel's axis '\(letter)' has no known size")
      }
      return size
    }
    let output = einsum.output.map { letter in sizes[letter] ?? nil }
    var biasShape: [Int]?
    if let biasAxes {
      guard biasAxes.allSatisfy(outputSpec.contains), let first = outputSpec.firstIndex(where: biasAxes.contains) else {
        throw ShapeProblem(detail: "EinsumDense bias_axes '\(biasAxes)' are not all in the output '\(outputText)'")
      }
      let elided = einsum.output.count - outputSpec.count
      biasShape =
        try outputSpec[first...].map { letter -> Int in
          guard biasAxes.contains(letter) else { return 1 }
          guard let size = sizes[letter] ?? nil else {
            throw ShapeProblem(detail: "EinsumDense '\(equation)': the bias axis '\(letter)' has no known size")
          }
          return size
        } + (leftElided ? [] : [Int](repeating: 1, count: elided))
    }
    return Analysis(einsum: einsum, kernelShape: kernelShape, outputShape: output, biasShape: biasShape)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return [TensorShape(try analysis(input: inputs[0]).outputShape)]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let analysis = try analysis(input: inputs[0])
    return [WeightSpecification(name: "kernel", shape: analysis.kernelShape)]
      + (analysis.biasShape.map { [WeightSpecification(name: "bias", shape: $0)] } ?? [])
  }
}

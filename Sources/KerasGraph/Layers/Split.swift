/// Splitting along a non-batch axis into consecutive parts, one output each (`tf.split(x, num_or_size_splits,
/// axis)`, Keras 3's `ops.split(x, indices_or_sections, axis)`): `count` equal parts, or parts of `sizes` (one of
/// which may be -1: what the others leave). Not a Keras layer class: what those operations import as.
public struct Split: LayerKind, Equatable {
  public static let kerasClassNames: [String] = []
  public static let operationNames = ["split"]

  /// How the axis is divided.
  public enum Parts: Sendable, Equatable {
    /// This many parts of equal size.
    case count(Int)
    /// Parts of these sizes; one may be -1.
    case sizes([Int])
  }

  /// The split axis as written (negative counts from the end).
  public var axis: Int
  /// How the axis is divided.
  public var parts: Parts

  public init(axis: Int, parts: Parts) {
    self.axis = axis
    self.parts = parts
  }

  enum CodingKeys: String, CodingKey { case axis, count, sizes }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    axis = try container.int(.axis)
    switch (try container.value(.count), try container.value(.sizes)) {
    case (.some, nil):
      parts = .count(try container.positiveInt(.count, limit: 1 << 16))
    case (nil, .some):
      let sizes = try container.intList(.sizes)
      guard !sizes.isEmpty, sizes.count <= 1 << 16 else { throw container.failure(.sizes, "expected 1 to 65536 sizes") }
      parts = .sizes(sizes)
    default:
      throw container.failure(.count, "expected either count or sizes")
    }
    if let problem = Self.validate(parts) { throw container.failure(.sizes, problem) }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(axis, forKey: .axis)
    switch parts {
    case .count(let count): try container.encode(count, forKey: .count)
    case .sizes(let sizes): try container.encode(sizes, forKey: .sizes)
    }
  }

  /// What is wrong with `parts`, or nil.
  static func validate(_ parts: Parts) -> String? {
    guard case .sizes(let sizes) = parts else { return nil }
    guard sizes.allSatisfy({ $0 == -1 || ($0 >= 1 && $0 <= 1 << 30) }) else {
      return "sizes \(sizes) must be positive (or one -1)"
    }
    return sizes.filter({ $0 == -1 }).count <= 1 ? nil : "sizes \(sizes) have more than one -1"
  }

  /// The number of outputs.
  public var partCount: Int {
    switch parts {
    case .count(let count): return count
    case .sizes(let sizes): return sizes.count
    }
  }

  /// The size of each part of an axis of `length` (nil where unknown).
  /// - Throws: `ShapeProblem` when the parts do not divide the axis.
  public func partSizes(length: Int?) throws -> [Int?] {
    if let problem = Self.validate(parts) { throw ShapeProblem(detail: problem) }
    switch parts {
    case .count(let count):
      guard count >= 1 else { throw ShapeProblem(detail: "cannot split into \(count) parts") }
      guard let length else { return [Int?](repeating: nil, count: count) }
      guard length % count == 0 else {
        throw ShapeProblem(detail: "an axis of size \(length) does not split into \(count) equal parts")
      }
      return [Int?](repeating: length / count, count: count)
    case .sizes(let sizes):
      let known = sizes.filter { $0 != -1 }.reduce(0, +)
      guard let length else { return sizes.map { $0 == -1 ? nil : $0 } }
      if sizes.contains(-1) {
        guard known < length else {
          throw ShapeProblem(detail: "sizes \(sizes) leave nothing of an axis of size \(length)")
        }
        return sizes.map { $0 == -1 ? length - known : $0 }
      }
      guard known == length else {
        throw ShapeProblem(detail: "sizes \(sizes) do not add up to the axis's size \(length)")
      }
      return sizes
    }
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    let position = try normalizedAxis(axis, rank: inputs[0].rank)
    return try partSizes(length: inputs[0].dimensions[position]).map { size in
      var shape = inputs[0]
      shape.dimensions[position] = size
      return shape
    }
  }
}

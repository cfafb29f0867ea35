/// The shape of a tensor as Keras reports it: the batch dimension first, `nil` for a dimension that is not
/// fixed (always the batch, sometimes height and width). Layouts are channels-last (NHWC).
public struct TensorShape: Sendable, Hashable, CustomStringConvertible {
  /// The dimensions, batch first.
  public var dimensions: [Int?]

  public init(_ dimensions: [Int?]) {
    self.dimensions = dimensions
  }

  /// A shape with an unknown batch dimension followed by `dimensions`.
  public init(batchOf dimensions: [Int?]) {
    self.dimensions = [nil] + dimensions
  }

  /// The number of dimensions, batch included.
  public var rank: Int { dimensions.count }

  /// The dimensions after the batch dimension.
  public var featureDimensions: [Int?] { Array(dimensions.dropFirst()) }

  /// The number of elements per sample (the product of the non-batch dimensions), if all are known.
  public var elementsPerSample: Int? {
    var product = 1
    for dimension in featureDimensions {
      guard let dimension else { return nil }
      product *= dimension
    }
    return product
  }

  /// The last dimension (channels, or units for a Dense output).
  public var last: Int? { dimensions.last ?? nil }

  /// Converts a possibly negative axis (Python style) into an index, or nil when out of range.
  public func normalizedAxis(_ axis: Int) -> Int? {
    let normalized = axis < 0 ? axis + rank : axis
    return (0..<rank).contains(normalized) ? normalized : nil
  }

  /// `(None, 32, 32, 8)`, as Keras prints shapes.
  public var description: String {
    let parts = dimensions.map { $0.map(String.init) ?? "None" }
    return "(" + parts.joined(separator: ", ") + (parts.count == 1 ? ",)" : ")")
  }

  /// The shape as JSON: a list whose unknown entries are `null`.
  public var json: JSONValue {
    .array(dimensions.map { $0.map { .int($0) } ?? .null })
  }
}

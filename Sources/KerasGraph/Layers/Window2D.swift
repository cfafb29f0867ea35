/// The sliding window of a 2-D convolution or pooling layer: `kernel_size` (`pool_size` for pooling), `strides`,
/// `padding` and `dilation_rate`, read from and written to the layer's config fields.
public struct Window2D: Sendable, Equatable {
  /// Window height and width.
  public var kernelSize: [Int]
  public var strides: [Int]
  public var padding: Padding
  /// Dilation along height and width (1 for pooling).
  public var dilation: [Int]

  public init(kernelSize: [Int], strides: [Int] = [1, 1], padding: Padding = .valid, dilation: [Int] = [1, 1]) {
    self.kernelSize = kernelSize
    self.strides = strides
    self.padding = padding
    self.dilation = dilation
  }

  enum CodingKeys: String, CodingKey {
    case kernelSize = "kernel_size"
    case poolSize = "pool_size"
    case strides, padding
    case dilationRate = "dilation_rate"
    case dataFormat = "data_format"
  }

  /// A convolution's window.
  init(convolutionFrom decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    kernelSize = try container.tuple(.kernelSize)
    strides = try container.tuple(.strides, default: [1, 1])
    padding = try container.padding(.padding)
    dilation = try container.tuple(.dilationRate, default: [1, 1])
  }

  /// A pooling layer's window (`strides` default to `pool_size`, as in Keras).
  init(poolingFrom decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    kernelSize = try container.tuple(.poolSize, default: [2, 2])
    strides = try container.tuple(.strides, default: kernelSize)
    padding = try container.padding(.padding)
    dilation = [1, 1]
  }

  func encodeConvolution(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(kernelSize, forKey: .kernelSize)
    try container.encode(strides, forKey: .strides)
    try container.encode(padding, forKey: .padding)
    try container.encode(dilation, forKey: .dilationRate)
  }

  func encodePooling(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(kernelSize, forKey: .poolSize)
    try container.encode(strides, forKey: .strides)
    try container.encode(padding, forKey: .padding)
  }

  /// Output length of the window along `axis` (TensorFlow's rule): `valid`: `floor((n - ((k - 1) d + 1)) / s) + 1`;
  /// `same`: `ceil(n / s)`.
  /// - Throws: `ShapeProblem` when a `valid` window does not fit.
  public func outputLength(_ length: Int?, axis: Int) throws -> Int? {
    guard let length else { return nil }
    let effective = (kernelSize[axis] - 1) * dilation[axis] + 1
    switch padding {
    case .same:
      return (length + strides[axis] - 1) / strides[axis]
    case .valid:
      guard length >= effective else {
        throw ShapeProblem(
          detail: "window of size \(effective) does not fit an input of size \(length) with 'valid' padding")
      }
      return (length - effective) / strides[axis] + 1
    }
  }

  /// The NHWC output shape of the window over `input` with `channels` output channels.
  func outputShape(_ input: TensorShape, channels: Int?) throws -> TensorShape {
    try spatialShape(input, channels: channels) { axis, length in try outputLength(length, axis: axis) }
  }
}

/// Rows and columns added (ZeroPadding2D) or removed (Cropping2D) on each side.
public struct Edges2D: Sendable, Equatable {
  public var top: Int
  public var bottom: Int
  public var left: Int
  public var right: Int

  public init(top: Int, bottom: Int, left: Int, right: Int) {
    self.top = top
    self.bottom = bottom
    self.left = left
    self.right = right
  }

  /// Keras's `n`, `[rows, columns]` or `[[top, bottom], [left, right]]`.
  init(keras value: JSONValue?, field: String) throws {
    guard let value, !value.isNull else { throw LayerConfigError(field: field, detail: "missing") }
    func make(_ top: Int, _ bottom: Int, _ left: Int, _ right: Int) throws -> Edges2D {
      guard [top, bottom, left, right].allSatisfy({ $0 >= 0 && $0 <= 1 << 20 }) else {
        throw LayerConfigError(field: field, detail: "values must be non-negative, found \(value.jsonText)")
      }
      return Edges2D(top: top, bottom: bottom, left: left, right: right)
    }
    if let single = value.int {
      self = try make(single, single, single, single)
      return
    }
    if let list = value.array, list.count == 2 {
      if let rows = list[0].int, let columns = list[1].int {
        self = try make(rows, rows, columns, columns)
        return
      }
      if let rows = list[0].array?.compactMap(\.int), let columns = list[1].array?.compactMap(\.int),
        rows.count == 2, columns.count == 2
      {
        self = try make(rows[0], rows[1], columns[0], columns[1])
        return
      }
    }
    throw LayerConfigError(
      field: field, detail: "expected n, [rows, columns] or [[top, bottom], [left, right]], found \(value.jsonText)")
  }

  /// `[[top, bottom], [left, right]]`.
  var json: JSONValue { .array([.ints([top, bottom]), .ints([left, right])]) }
}

/// What MaxPooling2D and AveragePooling2D share: a window over NHWC input, channels kept, no weights.
public protocol Pooling2DKind: LayerKind {
  var window: Window2D { get }
  init(window: Window2D)
}

extension Pooling2DKind {
  public init(from decoder: any Decoder) throws {
    self.init(window: try Window2D(poolingFrom: decoder))
  }

  public func encode(to encoder: any Encoder) throws {
    try window.encodePooling(to: encoder)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    return [try window.outputShape(inputs[0], channels: inputs[0].last)]
  }
}

/// What GlobalAveragePooling2D and GlobalMaxPooling2D share: `(N, H, W, C)` to `(N, C)`, or `(N, 1, 1, C)` with
/// `keepdims`.
public protocol GlobalPooling2DKind: LayerKind {
  var keepDims: Bool { get }
  init(keepDims: Bool)
}

enum GlobalPoolingCodingKeys: String, CodingKey {
  case keepDims = "keepdims"
  case dataFormat = "data_format"
}

extension GlobalPooling2DKind {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: GlobalPoolingCodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    self.init(keepDims: try container.bool(.keepDims, default: false))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: GlobalPoolingCodingKeys.self)
    try container.encode(keepDims, forKey: .keepDims)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    return [TensorShape(keepDims ? [nil, 1, 1, inputs[0].last] : [nil, inputs[0].last])]
  }
}

/// What ZeroPadding2D and Cropping2D share: rows and columns per side, read from one config field
/// (`padding` or `cropping`) in Keras's forms.
public protocol Edges2DKind: LayerKind {
  /// The config field that holds the edges.
  static var edgesField: String { get }
  var edges: Edges2D { get }
  init(edges: Edges2D)
}

private struct EdgesKey: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}

extension Edges2DKind {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: EdgesKey.self)
    try container.requireChannelsLast(EdgesKey(stringValue: "data_format"))
    self.init(
      edges: try Edges2D(keras: try container.value(EdgesKey(stringValue: Self.edgesField)), field: Self.edgesField))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: EdgesKey.self)
    try container.encode(edges.json, forKey: EdgesKey(stringValue: Self.edgesField))
  }

  /// The NHWC shape with each side's rows and columns added (`sign` 1) or removed (`sign` -1).
  func shape(_ input: TensorShape, sign: Int) throws -> TensorShape {
    try spatialShape(input, channels: input.last) { axis, length in
      guard let length else { return nil }
      let result = length + sign * (axis == 0 ? edges.top + edges.bottom : edges.left + edges.right)
      guard result > 0 else { throw ShapeProblem(detail: "cropping removes all of an axis of size \(length)") }
      return result
    }
  }
}

/// The sliding window of a 1-D, 2-D or 3-D convolution or pooling layer: `kernel_size` (`pool_size` for pooling),
/// `strides`, `padding` and `dilation_rate`, one entry per spatial axis, read from and written to the layer's
/// config fields.
public struct Window: Sendable, Equatable {
  /// Window size along each spatial axis (length; height and width; depth, height and width).
  public var kernelSize: [Int]
  public var strides: [Int]
  public var padding: Padding
  /// Dilation along each spatial axis (1 for pooling).
  public var dilation: [Int]

  /// A window; `strides` and `dilation` default to 1 along each axis of `kernelSize`.
  public init(kernelSize: [Int], strides: [Int]? = nil, padding: Padding = .valid, dilation: [Int]? = nil) {
    self.kernelSize = kernelSize
    self.strides = strides ?? kernelSize.map { _ in 1 }
    self.padding = padding
    self.dilation = dilation ?? kernelSize.map { _ in 1 }
  }

  /// The number of spatial axes.
  public var rank: Int { kernelSize.count }

  enum CodingKeys: String, CodingKey {
    case kernelSize = "kernel_size"
    case poolSize = "pool_size"
    case strides, padding
    case dilationRate = "dilation_rate"
    case dataFormat = "data_format"
  }

  /// A convolution's window over `rank` spatial axes; `causal` padding is read only where `allowsCausal` (Conv1D).
  init(convolutionFrom decoder: any Decoder, rank: Int, allowsCausal: Bool = false) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    let ones = [Int](repeating: 1, count: rank)
    kernelSize = try container.tuple(.kernelSize, count: rank)
    strides = try container.tuple(.strides, count: rank, default: ones)
    padding = try container.padding(.padding, allowsCausal: allowsCausal)
    dilation = try container.tuple(.dilationRate, count: rank, default: ones)
  }

  /// A pooling layer's window over `rank` spatial axes (`strides` default to `pool_size`, as in Keras; a null
  /// `strides`, as tf-keras's 1-D pooling writes it, too).
  init(poolingFrom decoder: any Decoder, rank: Int) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    kernelSize = try container.tuple(.poolSize, count: rank, default: [Int](repeating: 2, count: rank))
    strides = try container.tuple(.strides, count: rank, default: kernelSize)
    padding = try container.padding(.padding)
    dilation = [Int](repeating: 1, count: rank)
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

  /// Output length of the window along spatial axis `axis` (TensorFlow's rule): `valid`:
  /// `floor((n - ((k - 1) d + 1)) / s) + 1`; `same` and `causal` (which pads `(k - 1) d` before): `ceil(n / s)`.
  /// - Throws: `ShapeProblem` when a `valid` window does not fit.
  public func outputLength(_ length: Int?, axis: Int) throws -> Int? {
    guard let length else { return nil }
    let effective = (kernelSize[axis] - 1) * dilation[axis] + 1
    switch padding {
    case .same, .causal:
      return (length + strides[axis] - 1) / strides[axis]
    case .valid:
      guard length >= effective else {
        throw ShapeProblem(
          detail: "window of size \(effective) does not fit an input of size \(length) with 'valid' padding")
      }
      return (length - effective) / strides[axis] + 1
    }
  }

  /// The channels-last output shape of the window over `input` with `channels` output channels.
  func outputShape(_ input: TensorShape, channels: Int?) throws -> TensorShape {
    try spatialShape(input, channels: channels) { axis, length in try outputLength(length, axis: axis) }
  }
}

/// Elements added (ZeroPadding1D/2D/3D) or removed (Cropping1D/2D/3D) before and after each spatial axis.
public struct Edges: Sendable, Equatable {
  /// Per spatial axis, the count before (top, left, front) and after (bottom, right, back).
  public var before: [Int]
  public var after: [Int]

  public init(before: [Int], after: [Int]) {
    self.before = before
    self.after = after
  }

  /// 2-D edges: rows on top and bottom, columns on the left and right.
  public init(top: Int, bottom: Int, left: Int, right: Int) {
    self.init(before: [top, left], after: [bottom, right])
  }

  /// No padding along `rank` axes.
  public static func zero(rank: Int) -> Edges {
    Edges(before: [Int](repeating: 0, count: rank), after: [Int](repeating: 0, count: rank))
  }

  /// The number of spatial axes.
  public var rank: Int { before.count }

  /// Keras's forms over `rank` spatial axes: `n`; one `n` per axis (`[rows, columns]`, for rank 2 and 3); a
  /// `[before, after]` pair per axis (`[[top, bottom], [left, right]]`); and for rank 1 `[before, after]`.
  init(keras value: JSONValue?, field: String, rank: Int) throws {
    guard let value, !value.isNull else { throw LayerConfigError(field: field, detail: "missing") }
    func make(_ before: [Int], _ after: [Int]) throws -> Edges {
      guard (before + after).allSatisfy({ $0 >= 0 && $0 <= 1 << 20 }) else {
        throw LayerConfigError(field: field, detail: "values must be non-negative, found \(value.jsonText)")
      }
      return Edges(before: before, after: after)
    }
    if let single = value.int {
      let all = [Int](repeating: single, count: rank)
      self = try make(all, all)
      return
    }
    if let list = value.array {
      let numbers = list.compactMap(\.int)
      if rank == 1, numbers.count == 2, list.count == 2 {
        self = try make([numbers[0]], [numbers[1]])
        return
      }
      if rank > 1, numbers.count == rank, list.count == rank {
        self = try make(numbers, numbers)
        return
      }
      let pairs = list.compactMap { $0.array?.compactMap(\.int) }
      if list.count == rank, pairs.count == rank, pairs.allSatisfy({ $0.count == 2 }) {
        self = try make(pairs.map { $0[0] }, pairs.map { $0[1] })
        return
      }
    }
    let forms: String
    switch rank {
    case 1: forms = "n or [before, after]"
    case 2: forms = "n, [rows, columns] or [[top, bottom], [left, right]]"
    default: forms = "n, \(rank) integers or \(rank) [before, after] pairs"
    }
    throw LayerConfigError(field: field, detail: "expected \(forms), found \(value.jsonText)")
  }

  /// A `[before, after]` pair per axis (`[[top, bottom], [left, right]]`).
  var json: JSONValue { .array(zip(before, after).map { JSONValue.ints([$0, $1]) }) }
}

/// What max and average pooling of every rank share: a window over channels-last input, channels kept, no weights.
public protocol PoolingKind: ChannelsLastLayout {
  /// The number of spatial axes (1, 2 or 3).
  static var spatialRank: Int { get }
  /// Whether the window's maximum (rather than its mean) is taken.
  static var takesMaximum: Bool { get }
  var window: Window { get }
  init(window: Window)
}

extension PoolingKind {
  public init(from decoder: any Decoder) throws {
    self.init(window: try Window(poolingFrom: decoder, rank: Self.spatialRank))
  }

  public func encode(to encoder: any Encoder) throws {
    try window.encodePooling(to: encoder)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: Self.spatialRank + 2)
    return [try window.outputShape(inputs[0], channels: inputs[0].last)]
  }
}

/// What the global average and max poolings of every rank share: `(N, spatial..., C)` to `(N, C)`, or
/// `(N, 1..., C)` with `keepdims`.
public protocol GlobalPoolingKind: ChannelsLastLayout {
  /// The number of spatial axes (1, 2 or 3).
  static var spatialRank: Int { get }
  /// Whether the maximum (rather than the mean) is taken.
  static var takesMaximum: Bool { get }
  var keepDims: Bool { get }
  init(keepDims: Bool)
}

enum GlobalPoolingCodingKeys: String, CodingKey {
  case keepDims = "keepdims"
  case dataFormat = "data_format"
}

extension GlobalPoolingKind {
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
    try requireInputs(inputs, rank: Self.spatialRank + 2)
    let ones = [Int?](repeating: 1, count: Self.spatialRank)
    return [TensorShape(keepDims ? [nil] + ones + [inputs[0].last] : [nil, inputs[0].last])]
  }
}

/// What ZeroPadding1D/2D/3D and Cropping1D/2D/3D share: elements per side of each spatial axis, read from one
/// config field (`padding` or `cropping`) in Keras's forms.
public protocol EdgesKind: ChannelsLastLayout {
  /// The number of spatial axes (1, 2 or 3).
  static var spatialRank: Int { get }
  /// The config field that holds the edges.
  static var edgesField: String { get }
  /// Whether the edges are removed (cropping) rather than added as zeros (padding).
  static var crops: Bool { get }
  var edges: Edges { get }
  init(edges: Edges)
}

private struct EdgesKey: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}

extension EdgesKind {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: EdgesKey.self)
    try container.requireChannelsLast(EdgesKey(stringValue: "data_format"))
    self.init(
      edges: try Edges(
        keras: try container.value(EdgesKey(stringValue: Self.edgesField)), field: Self.edgesField,
        rank: Self.spatialRank))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: EdgesKey.self)
    try container.encode(edges.json, forKey: EdgesKey(stringValue: Self.edgesField))
  }

  /// The input shape with each side's elements added (padding) or removed (cropping).
  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: Self.spatialRank + 2)
    let sign = Self.crops ? -1 : 1
    return [
      try spatialShape(inputs[0], channels: inputs[0].last) { axis, length in
        guard let length else { return nil }
        let result = length + sign * (edges.before[axis] + edges.after[axis])
        guard result > 0 else { throw ShapeProblem(detail: "cropping removes all of an axis of size \(length)") }
        return result
      }
    ]
  }
}

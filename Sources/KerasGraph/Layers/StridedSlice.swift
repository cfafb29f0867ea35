/// Slicing by a key, as `x[:, 1:3, ..., None, -1]` writes it (tf.keras's `tf.__operators__.getitem`, Keras 3's
/// `GetItem`, `tf.strided_slice`): per input axis an index (which removes the axis), a `start:stop:step` range
/// with NumPy's rules (negative positions count from the end, bounds are clipped to the axis, a negative step walks
/// backwards), a new axis of size 1 (`None`, `tf.newaxis`) or `...` (as many whole axes as the other entries
/// leave; without one, the key ends with whole axes). The batch axis stays whole and first. Not a Keras layer
/// class: what those operations import as.
public struct StridedSlice: LayerKind, Equatable {
  public static let kerasClassNames: [String] = []
  public static let operationNames = ["strided_slice"]

  /// The key's entries in order.
  public var key: [SliceItem]

  public init(key: [SliceItem]) {
    self.key = key
  }

  enum CodingKeys: String, CodingKey { case key }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    guard let list = try container.value(.key)?.array else {
      throw container.failure(.key, "expected a list of indices, ranges, null (a new axis) and \"...\"")
    }
    key = try list.map { entry in
      guard let item = SliceItem(native: entry) else {
        throw container.failure(.key, "\(entry.jsonText) is not an index, a range, null or \"...\"")
      }
      return item
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(JSONValue.array(key.map(\.native)), forKey: .key)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return [TensorShape(try selection(input: inputs[0].dimensions).outputShape)]
  }

  /// What the key selects from an input of `shape` (sizes may be unknown; positions counted from the end of an
  /// unknown axis resolve when the size is known).
  /// - Throws: `ShapeProblem` for a key with more indices and ranges than axes, two ellipses, a zero step, an index
  ///   out of range, an empty range, or one that does not keep the batch axis whole and first.
  public func selection(input shape: [Int?]) throws -> SliceSelection {
    let consuming = key.filter(\.consumesAxis).count
    let ellipses = key.filter { $0 == .ellipsis }.count
    guard ellipses <= 1 else { throw ShapeProblem(detail: "the key \(self) has more than one '...'") }
    guard consuming <= shape.count else {
      throw ShapeProblem(detail: "the key \(self) indexes \(consuming) axes of an input of rank \(shape.count)")
    }
    let whole = SliceItem.range(start: nil, stop: nil, step: nil)
    let filler = [SliceItem](repeating: whole, count: shape.count - consuming)
    var expanded: [SliceItem] = []
    for item in key {
      if item == .ellipsis { expanded += filler } else { expanded.append(item) }
    }
    if ellipses == 0 { expanded += filler }
    var selection = SliceSelection(axes: [], indices: [], outputShape: [])
    var axis = 0
    for item in expanded {
      switch item {
      case .ellipsis:
        break
      case .newAxis:
        guard axis > 0 else { throw ShapeProblem(detail: "the key \(self) adds an axis before the batch axis") }
        selection.axes.append(SliceSelection.Axis(inputAxis: nil, start: 0, step: 0, count: 1))
      case .index(let position):
        guard axis > 0 else { throw ShapeProblem(detail: "the key \(self) indexes the batch axis") }
        var resolved = position
        if let size = shape[axis] {
          resolved = position < 0 ? position + size : position
          guard resolved >= 0, resolved < size else {
            throw ShapeProblem(detail: "index \(position) is out of range for axis \(axis) of size \(size)")
          }
        }
        selection.indices.append(SliceSelection.Index(inputAxis: axis, position: resolved))
        axis += 1
      case .range(let start, let stop, let step):
        guard step != 0 else { throw ShapeProblem(detail: "the key \(self) has a zero step") }
        if axis == 0 {
          guard start ?? 0 == 0, stop == nil, step ?? 1 == 1 else {
            throw ShapeProblem(detail: "the key \(self) slices the batch axis (only ':' keeps it whole)")
          }
        }
        let range = Self.range(start: start, stop: stop, step: step ?? 1, size: shape[axis], axis: axis)
        guard range.count != 0 else {
          throw ShapeProblem(detail: "the key \(self) selects nothing of axis \(axis) (size \(shape[axis] ?? 0))")
        }
        selection.axes.append(range)
        axis += 1
      }
    }
    selection.outputShape = selection.axes.map(\.count)
    return selection
  }

  /// Python's `slice(start, stop, step).indices(size)`: the first position and the number of positions (unknown
  /// for an unknown size).
  private static func range(start: Int?, stop: Int?, step: Int, size: Int?, axis: Int) -> SliceSelection.Axis {
    guard let size else { return SliceSelection.Axis(inputAxis: axis, start: 0, step: step, count: nil) }
    let (lower, upper) = step > 0 ? (0, size) : (-1, size - 1)
    func clamp(_ position: Int?, default fallback: Int) -> Int {
      guard var position else { return fallback }
      if position < 0 { position += size }
      return min(max(position, lower), upper)
    }
    let first = clamp(start, default: step > 0 ? lower : upper)
    let end = clamp(stop, default: step > 0 ? upper : lower)
    let span = step > 0 ? end - first : first - end
    let count = span > 0 ? (span - 1) / abs(step) + 1 : 0
    return SliceSelection.Axis(inputAxis: axis, start: first, step: step, count: count)
  }
}

extension StridedSlice: CustomStringConvertible {
  /// The key as Python writes it: `[:, 1:3, ..., None, -1]`.
  public var description: String { "[" + key.map(\.description).joined(separator: ", ") + "]" }
}

/// One entry of a slicing key.
public enum SliceItem: Sendable, Equatable, CustomStringConvertible {
  /// One position (negative counts from the end); the axis is removed.
  case index(Int)
  /// `start:stop:step`; nil is the default for the step's direction (the whole axis for `:`).
  case range(start: Int?, stop: Int?, step: Int?)
  /// `None` or `tf.newaxis`: a new axis of size 1.
  case newAxis
  /// `...`: as many whole axes as the other entries leave.
  case ellipsis

  /// Whether the entry reads an axis of the input (an index or a range).
  var consumesAxis: Bool {
    switch self {
    case .index, .range: return true
    case .newAxis, .ellipsis: return false
    }
  }

  /// Reads the native form: an integer, `{"start": ..., "stop": ..., "step": ...}`, null or `"..."`.
  init?(native value: JSONValue) {
    switch value {
    case .null: self = .newAxis
    case .string("..."): self = .ellipsis
    case .number:
      guard let position = value.int else { return nil }
      self = .index(position)
    case .object(let fields):
      func bound(_ name: String) -> Int?? {
        guard let entry = fields[name], !entry.isNull else { return .some(nil) }
        return entry.int.map { .some($0) }
      }
      guard fields.keys.allSatisfy(["start", "stop", "step"].contains), let start = bound("start"),
        let stop = bound("stop"), let step = bound("step")
      else { return nil }
      self = .range(start: start, stop: stop, step: step)
    default:
      return nil
    }
  }

  /// The native form (see `init(native:)`).
  var native: JSONValue {
    func bound(_ value: Int?) -> JSONValue { value.map { .int($0) } ?? .null }
    switch self {
    case .index(let position): return .int(position)
    case .range(let start, let stop, let step):
      return .object(["start": bound(start), "stop": bound(stop), "step": bound(step)])
    case .newAxis: return .null
    case .ellipsis: return .string("...")
    }
  }

  /// As Python writes it: `-1`, `1:3`, `::2`, `None`, `...`.
  public var description: String {
    switch self {
    case .index(let position): return "\(position)"
    case .range(let start, let stop, let step):
      let bounds = (start.map(String.init) ?? "") + ":" + (stop.map(String.init) ?? "")
      return step.map { bounds + ":\($0)" } ?? bounds
    case .newAxis: return "None"
    case .ellipsis: return "..."
    }
  }
}

/// What a slicing key selects from an input of a known shape: output element `(o_0, ..., o_r)` is the input element
/// at position `start_k + o_k * step_k` along the input axis of each output axis `k`, and at `position` along each
/// indexed (removed) axis.
public struct SliceSelection: Sendable, Equatable {
  /// One output axis: a range of an input axis, or a new axis of size 1 (`inputAxis` nil).
  public struct Axis: Sendable, Equatable {
    /// The input axis read (nil: a new axis).
    public var inputAxis: Int?
    /// The first position read along it.
    public var start: Int
    /// The distance between positions read (negative: backwards; 0 for a new axis).
    public var step: Int
    /// The output size (nil: unknown until the input's size is).
    public var count: Int?
  }

  /// One removed input axis and the position read along it.
  public struct Index: Sendable, Equatable {
    /// The removed input axis.
    public var inputAxis: Int
    /// The position read along it (negative when counted from the end of an axis of unknown size).
    public var position: Int
  }

  /// The output axes in order (the batch axis first).
  public var axes: [Axis]
  /// The indexed input axes.
  public var indices: [Index]
  /// The output shape.
  public var outputShape: [Int?]
}

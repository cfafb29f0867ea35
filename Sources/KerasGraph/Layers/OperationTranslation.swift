/// One argument of a recorded operation call (a Keras 3 operation's positional argument), as the translation
/// and error messages see it.
public enum PositionalArgument: Equatable, Sendable {
  /// A symbolic tensor.
  case tensor
  /// A list of `count` symbolic tensors (`ops.concatenate([x, y])`).
  case tensors(Int)
  /// A number (`x + 3.0` records `[tensor, 3.0]`).
  case number(Double)
  /// Anything else, described in words (`a slice`, `the string 'same'`).
  case other(String)

  /// Reads a recorded argument: a `__keras_tensor__`, a list of them, a number, or anything else.
  public init(keras value: JSONValue) {
    if value.isKerasTensor {
      self = .tensor
    } else if let list = value.array, !list.isEmpty, list.allSatisfy(\.isKerasTensor) {
      self = .tensors(list.count)
    } else if let number = value.number {
      self = .number(number)
    } else {
      self = .other(OperationTranslation.words(value))
    }
  }

  /// The argument in words: `a tensor`, `a list of 2 tensors`, `the number 3.0`.
  public var words: String {
    switch self {
    case .tensor: return "a tensor"
    case .tensors(let count): return "a list of \(count) tensors"
    case .number(let value): return "the number \(value)"
    case .other(let text): return text
    }
  }
}

extension JSONValue {
  /// Whether the value is Keras 3's serialized symbolic tensor.
  fileprivate var isKerasTensor: Bool { self["class_name"]?.string == "__keras_tensor__" }
}

/// Why a known operation cannot be translated with the arguments it was given.
struct OperationProblem: Error {
  var detail: String
}

/// Translation of recorded operations (Keras 3 operations on symbolic tensors, tf.keras `TFOpLambda` calls) into
/// the kinds that compute the same, and their description in words for errors.
public enum OperationTranslation {
  /// A config value in words: `none`, `the number 1`, `the list [1, 2]`, `a tensor`, `a slice`.
  public static func words(_ value: JSONValue) -> String {
    switch value {
    case .null: return "none"
    case .bool(let flag): return flag ? "true" : "false"
    case .number(let number): return "the number \(number.description)"
    case .string(let text): return "the string '\(text)'"
    case .array(let list):
      if list.isEmpty { return "an empty list" }
      // tf.keras writes a tensor operand of a TFOpLambda as `[layer, node, tensor]`.
      if list.count == 3, list[0].string != nil, list[1].int != nil, list[2].int != nil { return "a tensor" }
      if list.allSatisfy({ $0.number != nil }) { return "the list \(value.compactText)" }
      if list.allSatisfy(\.isKerasTensor) { return "a list of \(list.count) tensors" }
      return "a list (\(list.map(words).joined(separator: ", ")))"
    case .object:
      switch value["class_name"]?.string {
      case "__keras_tensor__": return "a tensor"
      case "__slice__": return value["config"].flatMap(SliceItem.init(native:)).map { "the slice \($0)" } ?? "a slice"
      case "__ellipsis__": return "an ellipsis"
      case "__tensor__", "__numpy__": return "a constant array"
      default:
        // tf.keras writes a slice of a slicing key as `{"start": ..., "stop": ..., "step": ...}`.
        if let item = SliceItem(native: value), case .range = item, value.object?.keys.isEmpty == false {
          return "the slice \(item)"
        }
        return "an object"
      }
    }
  }

  /// A Keras 3 operation's call in words: its positional arguments, then its config fields other than `name`
  /// (`a tensor, the number 3.0` or `a tensor; axis: none, keepdims: false`).
  public static func describe(arguments: [PositionalArgument], config: JSONValue) -> String {
    let positional = arguments.map(\.words).joined(separator: ", ")
    let fields = (config.object?.members ?? []).filter { $0.key != "name" }.map { "\($0.key): \(words($0.value))" }
    return fields.isEmpty ? positional : positional + "; " + fields.joined(separator: ", ")
  }

  /// The kind a Keras 3 operation computes (its class name, config and positional arguments, `values` their
  /// serialized form), nil when the class is not one kerasvis translates.
  /// - Throws: `LayerDecodingFailure.unsupported` naming what does not fit, for a known operation whose arguments
  ///   are not supported.
  public static func kerasOperation(
    className: String, config: JSONValue, arguments: [PositionalArgument], values: [JSONValue] = [],
    inputShapes: [TensorShape]
  ) throws -> (any LayerKind)? {
    do {
      if let kind = try structureOperation(
        className: className, config: config, arguments: arguments, values: values, inputShapes: inputShapes)
      {
        return kind
      }
      return try kerasOperationKind(
        className: className, config: config, arguments: arguments, inputShapes: inputShapes)
    } catch let problem as OperationProblem {
      throw LayerDecodingFailure.unsupported(hint: problem.detail)
    }
  }

  private static let unaryKinds: [String: any LayerKind] = [
    "Relu": Activation(.relu), "Relu6": Activation(.relu6), "Sigmoid": Activation(.sigmoid),
    "Tanh": Activation(.tanh), "Exp": Activation(.exponential), "Sqrt": Elementwise(.sqrt),
    "Square": Elementwise(.square), "Log": Elementwise(.log), "Absolute": Elementwise(.abs),
    "Abs": Elementwise(.abs),
  ]

  private static let reductions: [String: ReduceOperation] = [
    "Mean": .mean, "Max": .max, "Amax": .max, "Sum": .sum, "Min": .min, "Amin": .min,
  ]

  /// Keras 3's `Stack`, `Split`, `GetItem`, `Matmul` and `Resize`, or nil for other operations.
  private static func structureOperation(
    className: String, config: JSONValue, arguments: [PositionalArgument], values: [JSONValue],
    inputShapes: [TensorShape]
  ) throws -> (any LayerKind)? {
    let input = inputShapes.first ?? TensorShape([])
    switch (className, arguments.first) {
    case ("Stack", .tensors?) where arguments.count == 1:
      return try stack(axis: config["axis"] ?? .int(0), inputs: inputShapes)
    case ("Split", .tensor?) where arguments.count == 1:
      return try split(
        indices: config["indices_or_sections"] ?? .null, axis: config["axis"] ?? .int(0), input: input)
    case ("GetItem", .tensor?) where arguments.count == 2 && values.count == 2:
      return try slice(key: values[1], field: "the key", input: input)
    case ("Matmul", .tensor?) where arguments.count == 2 && values.count == 2:
      return try matmul(
        constant: arguments[1] == .tensor ? nil : values[1], transposeA: false, transposeB: false,
        inputs: inputShapes)
    case ("Resize", .tensor?) where arguments.count == 1:
      return try resize(config, methodField: "interpolation", input: input)
    default:
      return nil
    }
  }

  private static func kerasOperationKind(
    className: String, config: JSONValue, arguments: [PositionalArgument], inputShapes: [TensorShape]
  ) throws -> (any LayerKind)? {
    if let mask = try MaskOperation.translate(className: className, config: config, arguments: arguments) {
      return mask
    }
    let merge: [String: MergeOperation] = [
      "Add": .add, "Subtract": .subtract, "Multiply": .multiply, "Maximum": .maximum, "Minimum": .minimum,
    ]
    if arguments.count == 2 {
      switch (arguments[0], arguments[1]) {
      case (.tensor, .tensor):
        return merge[className].map { Merge($0) }
      case (.tensor, .number(let value)), (.number(let value), .tensor):
        let constant = Float(value)
        let constantFirst = arguments[0] != .tensor
        switch className {
        case "Add": return Rescaling(scale: [1], offset: [constant])
        case "Subtract":
          return constantFirst ? Rescaling(scale: [-1], offset: [constant]) : Rescaling(scale: [1], offset: [-constant])
        case "Multiply": return Rescaling(scale: [constant], offset: [0])
        case "Divide", "TrueDivide":
          guard !constantFirst else { throw OperationProblem(detail: "a number divided by a tensor") }
          guard constant != 0 else { throw OperationProblem(detail: "division by zero") }
          return Rescaling(scale: [1 / constant], offset: [0])
        case "Maximum": return Elementwise(.clip, minimum: constant)
        case "Minimum": return Elementwise(.clip, maximum: constant)
        default: return nil
        }
      default: return nil
      }
    }
    if className == "Concatenate" {
      guard arguments.count == 1, case .tensors = arguments[0] else { return nil }
      return Concatenate(axis: try intField(config, "axis", default: 0))
    }
    guard arguments == [.tensor] else { return nil }
    let input = inputShapes.first ?? TensorShape([])
    if let kind = unaryKinds[className] { return kind }
    if let operation = reductions[className] {
      return try reduce(operation, axis: config["axis"] ?? .null, keepdims: config["keepdims"]?.bool ?? false)
    }
    switch className {
    case "Softmax":
      return Softmax(axis: try intList(config["axis"] ?? .int(-1), field: "axis"))
    case "Gelu":
      return config["approximate"]?.bool ?? true ? Elementwise(.geluTanh) : Activation(.gelu)
    case "Clip":
      return try clip(minimum: config["x_min"], maximum: config["x_max"], names: ("x_min", "x_max"))
    case "Reshape":
      return try reshape(config["newshape"] ?? .null, field: "newshape")
    case "Transpose":
      return try transpose(config["axes"] ?? .null, field: "axes", input: input)
    case "ExpandDims":
      return try expandDims(config["axis"] ?? .null, input: input)
    case "Squeeze":
      return try squeeze(config["axis"] ?? .null, input: input)
    default:
      return nil
    }
  }

  // MARK: Shared by the Keras 3 and the tf.keras translations

  static func intField(_ config: JSONValue, _ field: String, default fallback: Int? = nil) throws -> Int {
    let value = config[field] ?? .null
    if value.isNull, let fallback { return fallback }
    guard let number = value.int else { throw OperationProblem(detail: "\(field) is \(words(value)), not an integer") }
    return number
  }

  static func intList(_ value: JSONValue, field: String) throws -> [Int] {
    if let single = value.int { return [single] }
    guard let list = value.array, !list.isEmpty, list.allSatisfy({ $0.int != nil }) else {
      throw OperationProblem(detail: "\(field) is \(words(value)), not an integer or a list of integers")
    }
    return list.compactMap(\.int)
  }

  /// A reduction over `axis` (an int or a list; never none, which would reduce the batch axis too).
  static func reduce(_ operation: ReduceOperation, axis: JSONValue, keepdims: Bool) throws -> Reduce {
    guard !axis.isNull else {
      throw OperationProblem(detail: "a reduction over every axis (axis none) mixes the samples of a batch")
    }
    return Reduce(operation, axis: try intList(axis, field: "axis"), keepdims: keepdims)
  }

  /// Clipping to numeric bounds (a missing or null bound is none).
  static func clip(minimum: JSONValue?, maximum: JSONValue?, names: (String, String)) throws -> Elementwise {
    func bound(_ value: JSONValue?, _ name: String) throws -> Float? {
      guard let value, !value.isNull else { return nil }
      guard let number = value.number else {
        throw OperationProblem(detail: "\(name) is \(words(value)); only numbers are supported")
      }
      return Float(number)
    }
    let lower = try bound(minimum, names.0)
    let upper = try bound(maximum, names.1)
    if let lower, let upper, !(lower <= upper) {
      throw OperationProblem(detail: "\(names.1) \(upper) is below \(names.0) \(lower)")
    }
    return Elementwise(.clip, minimum: lower, maximum: upper)
  }

  /// `reshape(x, shape)` with the batch dimension first (-1 or none): a Reshape of the other dimensions.
  static func reshape(_ shape: JSONValue, field: String) throws -> Reshape {
    guard let list = shape.array, let first = list.first, first.isNull || first.int == -1,
      list.dropFirst().allSatisfy({ $0.int != nil || $0.isNull })
    else {
      throw OperationProblem(
        detail: "\(field) is \(words(shape)); only a list of sizes whose first (batch) entry is -1 is supported")
    }
    let target = list.dropFirst().map { $0.int ?? -1 }
    guard target.allSatisfy({ $0 == -1 || ($0 > 0 && $0 <= 1 << 30) }), target.filter({ $0 == -1 }).count <= 1 else {
      throw OperationProblem(detail: "\(field) \(shape.compactText) has more than one unknown size besides the batch")
    }
    return Reshape(targetShape: target)
  }

  /// `transpose(x, perm)` keeping the batch axis first: a Permute of the other axes.
  static func transpose(_ permutation: JSONValue, field: String, input: TensorShape) throws -> Permute {
    guard !permutation.isNull else {
      throw OperationProblem(detail: "\(field) none reverses every axis, the batch axis included")
    }
    let order = try intList(permutation, field: field).map { $0 < 0 ? $0 + input.rank : $0 }
    guard order.sorted() == Array(0..<input.rank) else {
      throw OperationProblem(
        detail: "\(field) \(permutation.compactText) is not a permutation of the \(input.rank) axes")
    }
    guard order.first == 0 else {
      throw OperationProblem(detail: "\(field) \(permutation.compactText) moves the batch axis")
    }
    return Permute(dims: Array(order.dropFirst()))
  }

  /// `expand_dims(x, axis)` after the batch axis: a Reshape.
  static func expandDims(_ axis: JSONValue, input: TensorShape) throws -> Reshape {
    guard let position = axis.int ?? (axis.array?.count == 1 ? axis[0]?.int : nil) else {
      throw OperationProblem(detail: "axis is \(words(axis)); only one integer axis is supported")
    }
    let normalized = position < 0 ? position + input.rank + 1 : position
    guard normalized >= 1, normalized <= input.rank else {
      throw OperationProblem(detail: "axis \(position) is the batch axis or out of range for \(input)")
    }
    var dimensions = Array(input.dimensions.dropFirst())
    dimensions.insert(1, at: normalized - 1)
    return try reshape(to: dimensions, input: input)
  }

  /// `squeeze(x, axis)` of size-1 non-batch axes (none: every size-1 non-batch axis): a Reshape.
  static func squeeze(_ axis: JSONValue, input: TensorShape) throws -> Reshape {
    let rank = input.rank
    var removed: Set<Int>
    if axis.isNull {
      removed = Set((1..<max(rank, 1)).filter { input.dimensions[$0] == 1 })
    } else {
      removed = []
      for position in try intList(axis, field: "axis") {
        let normalized = position < 0 ? position + rank : position
        guard normalized >= 1, normalized < rank else {
          throw OperationProblem(detail: "axis \(position) is the batch axis or out of range for \(input)")
        }
        guard input.dimensions[normalized] == 1 else {
          throw OperationProblem(detail: "axis \(position) of \(input) does not have size 1")
        }
        removed.insert(normalized)
      }
    }
    let dimensions = input.dimensions.enumerated().filter { $0.offset > 0 && !removed.contains($0.offset) }.map(
      \.element)
    return try reshape(to: dimensions, input: input)
  }

  /// A Reshape to the non-batch `dimensions` (at most one unknown).
  private static func reshape(to dimensions: [Int?], input: TensorShape) throws -> Reshape {
    guard dimensions.filter({ $0 == nil }).count <= 1 else {
      throw OperationProblem(detail: "the input \(input) has more than one unknown size besides the batch")
    }
    return Reshape(targetShape: dimensions.map { $0 ?? -1 })
  }
}

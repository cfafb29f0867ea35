/// tf.keras's `TFOpLambda` layers, which record a TensorFlow function call, and its `SlicingOpLambda` layers
/// (`x[:, 1:3]`): arithmetic with a constant (`x + 3.0`, `x * (1 / 6)` in MobileNetV3) becomes a `Rescaling`,
/// arithmetic between two tensors a `Merge`, activations (`tf.nn.relu`, `tf.nn.softmax(axis=)`, `tf.nn.gelu`) an
/// `Activation` or `Softmax`, reductions a `Reduce`, `tf.reshape`/`tf.expand_dims`/`tf.squeeze` a `Reshape`,
/// `tf.transpose` a `Permute`, `tf.concat` a `Concatenate`, `tf.stack` a `Stack`, `tf.split` a `Split`, slicing and
/// `tf.strided_slice` a `StridedSlice`, `tf.linalg.matmul` a `MatMul`, `tf.image.resize` a `Resizing`, and `sqrt`,
/// `square`, `log`, `abs`, `clip_by_value`, `maximum`/`minimum` with a constant an `Elementwise`. Not a kind of its
/// own: it translates into the kinds that compute the same.
public enum TFOpLambdaTranslation {
  static let className = "TFOpLambda"
  /// tf.keras's class for `tf.__operators__.getitem` (slicing).
  static let slicingClassName = "SlicingOpLambda"

  private static let unaryKinds: [String: any LayerKind] = [
    "nn.relu": Activation(.relu), "nn.relu6": Activation(.relu6), "math.sigmoid": Activation(.sigmoid),
    "nn.sigmoid": Activation(.sigmoid), "math.tanh": Activation(.tanh), "nn.tanh": Activation(.tanh),
    "math.exp": Activation(.exponential), "exp": Activation(.exponential), "math.sqrt": Elementwise(.sqrt),
    "sqrt": Elementwise(.sqrt), "math.square": Elementwise(.square), "square": Elementwise(.square),
    "math.log": Elementwise(.log), "math.abs": Elementwise(.abs), "abs": Elementwise(.abs),
  ]

  private static let reductions: [String: ReduceOperation] = [
    "math.reduce_mean": .mean, "reduce_mean": .mean, "math.reduce_max": .max, "reduce_max": .max,
    "math.reduce_sum": .sum, "reduce_sum": .sum, "math.reduce_min": .min, "reduce_min": .min,
  ]

  /// The kind the call computes, or nil when the function is not one kerasvis translates.
  /// - Throws: `LayerDecodingFailure.unsupported` naming what does not fit, for a known function whose arguments
  ///   are not supported.
  static func kind(config: JSONValue, context: LayerDecodingContext) throws -> (any LayerKind)? {
    guard let function = config["function"]?.string else { return nil }
    do {
      return try translate(function, arguments: context.arguments, inputs: context.inputShapes)
    } catch let problem as OperationProblem {
      throw LayerDecodingFailure.unsupported(
        hint: "\(describe(function: function, context: context)) is not supported: \(problem.detail)")
    }
  }

  /// `the TensorFlow function tf.NAME with arguments (a tensor, y: the number 3.0)`.
  static func describe(function: String, context: LayerDecodingContext) -> String {
    let tensors = context.inputShapes.count
    let tensorOperands = tensorOperandKeywords.filter { isTensorReference(context.arguments[$0]) }.count
    let leading = tensors - tensorOperands
    var parts = [leading == 1 ? "a tensor" : "a list of \(leading) tensors"]
    for member in context.arguments.object?.members ?? [] where member.key != "name" {
      parts.append("\(member.key): \(OperationTranslation.words(member.value))")
    }
    return "the TensorFlow function tf.\(function) with arguments (\(parts.joined(separator: ", ")))"
  }

  /// The keyword arguments whose tensor tf.keras records in the kwargs (`x + y`'s `y`, `tf.matmul(a, b)`'s `b`),
  /// which the config parser appends to the inputs.
  public static let tensorOperandKeywords = ["y", "b"]

  /// Whether `value` is tf.keras's reference to a tensor, `[layer, node, tensor]`.
  static func isTensorReference(_ value: JSONValue?) -> Bool {
    guard let list = value?.array, list.count == 3 else { return false }
    return list[0].string != nil && list[1].int != nil && list[2].int != nil
  }

  private static func translate(_ function: String, arguments: JSONValue, inputs: [TensorShape]) throws
    -> (any LayerKind)?
  {
    let input = inputs.first ?? TensorShape([])
    switch function {
    case "concat":
      return Concatenate(axis: try OperationTranslation.intField(arguments, "axis"))
    case "stack":
      return try OperationTranslation.stack(axis: arguments["axis"] ?? .int(0), inputs: inputs)
    case "linalg.matmul", "matmul":
      return try matmul(arguments, inputs: inputs)
    default:
      break
    }
    if arguments["y"] != nil { return try binary(function, arguments: arguments) }
    guard inputs.count == 1 else { return nil }
    if let kind = unaryKinds[function] { return kind }
    if let operation = reductions[function] {
      return try OperationTranslation.reduce(
        operation, axis: arguments["axis"] ?? .null, keepdims: arguments["keepdims"]?.bool ?? false)
    }
    switch function {
    case "nn.softmax", "math.softmax":
      return Softmax(axis: try OperationTranslation.intList(arguments["axis"] ?? .int(-1), field: "axis"))
    case "nn.gelu":
      return arguments["approximate"]?.bool ?? false ? Elementwise(.geluTanh) : Activation(.gelu)
    case "clip_by_value":
      return try OperationTranslation.clip(
        minimum: arguments["clip_value_min"] ?? .null, maximum: arguments["clip_value_max"] ?? .null,
        names: ("clip_value_min", "clip_value_max"))
    case "reshape":
      return try OperationTranslation.reshape(arguments["shape"] ?? .null, field: "shape")
    case "compat.v1.transpose", "transpose", "transpose_v2", "compat.v2.transpose":
      return try OperationTranslation.transpose(arguments["perm"] ?? .null, field: "perm", input: input)
    case "expand_dims":
      return try OperationTranslation.expandDims(arguments["axis"] ?? .null, input: input)
    case "compat.v1.squeeze", "squeeze":
      return try OperationTranslation.squeeze(arguments["axis"] ?? .null, input: input)
    case "split":
      return try OperationTranslation.split(
        sizes: arguments["num_or_size_splits"] ?? .null, axis: arguments["axis"] ?? .int(0), input: input)
    case "__operators__.getitem":
      guard let key = arguments["slice_spec"] else { throw OperationProblem(detail: "slice_spec is missing") }
      return try OperationTranslation.slice(key: key, field: "slice_spec", input: input)
    case "strided_slice":
      return try OperationTranslation.stridedSlice(arguments, input: input)
    case "image.resize":
      return try OperationTranslation.resize(arguments, methodField: "method", input: input)
    default:
      return nil
    }
  }

  /// `tf.linalg.matmul(a, b, transpose_a, transpose_b, adjoint_a, adjoint_b)` with `b` a tensor (written as
  /// `[layer, node, tensor]`, the second input) or a constant matrix (nested lists).
  private static func matmul(_ arguments: JSONValue, inputs: [TensorShape]) throws -> MatMul {
    for flag in ["a_is_sparse", "b_is_sparse"] where arguments[flag]?.bool == true {
      throw OperationProblem(detail: "\(flag) is true; only false is supported")
    }
    if let type = arguments["output_type"], !type.isNull {
      throw OperationProblem(detail: "output_type is \(OperationTranslation.words(type)); only none is supported")
    }
    // For real numbers the adjoint is the transpose.
    let transposeA = arguments["transpose_a"]?.bool == true || arguments["adjoint_a"]?.bool == true
    let transposeB = arguments["transpose_b"]?.bool == true || arguments["adjoint_b"]?.bool == true
    let operand = arguments["b"] ?? .null
    return try OperationTranslation.matmul(
      constant: isTensorReference(operand) ? nil : operand, transposeA: transposeA, transposeB: transposeB,
      inputs: inputs)
  }

  /// Arithmetic with `y`, a constant or (written as `[layer, node, tensor]`) a second tensor.
  private static func binary(_ function: String, arguments: JSONValue) throws -> (any LayerKind)? {
    guard let constant = arguments["y"]?.number else {
      // A tensor operand (`x + y`): the config parser appended it as the second input.
      guard arguments["y"]?.array?.count == 3 else { return nil }
      switch function {
      case "__operators__.add", "math.add": return Merge(.add)
      case "__operators__.sub", "math.subtract": return Merge(.subtract)
      case "math.multiply", "__operators__.mul": return Merge(.multiply)
      case "math.maximum": return Merge(.maximum)
      case "math.minimum": return Merge(.minimum)
      default: return nil
      }
    }
    let value = Float(constant)
    switch function {
    case "__operators__.add", "math.add": return Rescaling(scale: [1], offset: [value])
    case "__operators__.sub", "math.subtract": return Rescaling(scale: [1], offset: [-value])
    case "math.multiply", "__operators__.mul": return Rescaling(scale: [value], offset: [0])
    case "math.truediv", "__operators__.truediv", "math.divide":
      guard value != 0 else { throw OperationProblem(detail: "division by zero") }
      return Rescaling(scale: [1 / value], offset: [0])
    case "math.maximum": return Elementwise(.clip, minimum: value)
    case "math.minimum": return Elementwise(.clip, maximum: value)
    default: return nil
    }
  }
}

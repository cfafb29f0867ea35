/// Translation of the operations that restructure tensors or multiply them (stack, split, slicing, matmul, image
/// resize), shared by the tf.keras (`TFOpLambda`, `SlicingOpLambda`) and Keras 3 readers.
extension OperationTranslation {
  /// `kind` after checking that it takes `inputs`: a shape problem becomes an `OperationProblem` (the arguments do
  /// not fit the tensors).
  static func checked<Kind: LayerKind>(_ kind: Kind, inputs: [TensorShape]) throws -> Kind {
    do {
      _ = try kind.outputShapes(inputs: inputs)
    } catch let problem as ShapeProblem {
      throw OperationProblem(detail: problem.detail)
    }
    return kind
  }

  // MARK: Slicing

  /// A slicing key as tf.keras's `slice_spec` or Keras 3's `GetItem` key writes it: a list (or a single entry) of
  /// integers, slices (`{"start", "stop", "step"}`, which Keras 3 wraps as `__slice__`), null (a new axis) and
  /// ellipses (`__ellipsis__`).
  static func slice(key: JSONValue, field: String, input: TensorShape) throws -> StridedSlice {
    let entries = key.array ?? [key]
    let items = try entries.enumerated().map { position, entry in
      guard let item = sliceItem(entry) else {
        throw OperationProblem(
          detail:
            "\(field) entry \(position) is \(words(entry)); only integers, slices of integers, None and ... are supported"
        )
      }
      return item
    }
    return try checked(StridedSlice(key: items), inputs: [input])
  }

  /// One entry of a slicing key, or nil for anything else (a tensor, a list: fancy indexing).
  static func sliceItem(_ entry: JSONValue) -> SliceItem? {
    switch entry["class_name"]?.string {
    case "__ellipsis__": return .ellipsis
    case "__slice__": return entry["config"].flatMap(SliceItem.init(native:))
    case nil: return SliceItem(native: entry)
    default: return nil
    }
  }

  /// `tf.strided_slice(x, begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
  /// shrink_axis_mask)` as the key it stands for: bit `i` of a mask makes entry `i` start (end) at the default, an
  /// ellipsis, a new axis, or the index `begin[i]`.
  static func stridedSlice(_ arguments: JSONValue, input: TensorShape) throws -> StridedSlice {
    func list(_ name: String) throws -> [Int]? {
      guard let value = arguments[name], !value.isNull else { return nil }
      guard let numbers = value.array, numbers.allSatisfy({ $0.int != nil }) else {
        throw OperationProblem(detail: "\(name) is \(words(value)), not a list of integers")
      }
      return numbers.compactMap(\.int)
    }
    guard let begin = try list("begin"), let end = try list("end") else {
      throw OperationProblem(detail: "begin and end must be lists of integers")
    }
    let strides = try list("strides") ?? [Int](repeating: 1, count: begin.count)
    guard begin.count == end.count, strides.count == begin.count, begin.count <= 64 else {
      throw OperationProblem(detail: "begin, end and strides differ in length")
    }
    let masks = try ["begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"].map {
      try intField(arguments, $0, default: 0)
    }
    func bit(_ mask: Int, _ position: Int) -> Bool { masks[mask] >> position & 1 == 1 }
    let items = begin.indices.map { i -> SliceItem in
      if bit(2, i) { return .ellipsis }
      if bit(3, i) { return .newAxis }
      if bit(4, i) { return .index(begin[i]) }
      return .range(start: bit(0, i) ? nil : begin[i], stop: bit(1, i) ? nil : end[i], step: strides[i])
    }
    return try checked(StridedSlice(key: items), inputs: [input])
  }

  // MARK: Stack and split

  /// `stack(values, axis)` of `inputs` (never along the batch axis).
  static func stack(axis: JSONValue, inputs: [TensorShape]) throws -> Stack {
    guard let position = axis.int else { throw OperationProblem(detail: "axis is \(words(axis)), not an integer") }
    let rank = inputs.first?.rank ?? 0
    if position == 0 || position == -(rank + 1) {
      throw OperationProblem(detail: "axis \(position) stacks along the batch axis")
    }
    return try checked(Stack(axis: position), inputs: inputs)
  }

  /// `tf.split(x, num_or_size_splits, axis)`: a count of equal parts or a list of sizes (one may be -1).
  static func split(sizes: JSONValue, axis: JSONValue, input: TensorShape) throws -> Split {
    let parts: Split.Parts
    if let count = sizes.int {
      parts = .count(count)
    } else if let list = sizes.array, !list.isEmpty, list.allSatisfy({ $0.int != nil }) {
      parts = .sizes(list.compactMap(\.int))
    } else {
      throw OperationProblem(detail: "num_or_size_splits is \(words(sizes)); only a count or a list of sizes")
    }
    return try split(parts, axis: axis, input: input)
  }

  /// Keras 3's `ops.split(x, indices_or_sections, axis)`: a count of equal parts or NumPy's split indices (the
  /// positions where each part after the first starts).
  static func split(indices: JSONValue, axis: JSONValue, input: TensorShape) throws -> Split {
    if let count = indices.int { return try split(.count(count), axis: axis, input: input) }
    guard let list = indices.array, list.allSatisfy({ $0.int != nil }) else {
      throw OperationProblem(detail: "indices_or_sections is \(words(indices)); only a count or a list of indices")
    }
    let starts = [0] + list.compactMap(\.int)
    guard zip(starts, starts.dropFirst()).allSatisfy({ $0 < $1 }) else {
      throw OperationProblem(
        detail: "indices_or_sections \(indices.compactText) are not increasing positive indices (empty parts)")
    }
    let sizes = zip(starts, starts.dropFirst()).map { $1 - $0 } + [-1]
    return try split(.sizes(sizes), axis: axis, input: input)
  }

  private static func split(_ parts: Split.Parts, axis: JSONValue, input: TensorShape) throws -> Split {
    guard let position = axis.int else { throw OperationProblem(detail: "axis is \(words(axis)), not an integer") }
    if position == 0 || position == -input.rank {
      throw OperationProblem(detail: "axis \(position) splits the batch axis")
    }
    return try checked(Split(axis: position, parts: parts), inputs: [input])
  }

  // MARK: Matrix products

  /// `matmul(a, b)` with `b` a second tensor (`b` nil) or a constant matrix (nested lists of numbers, or Keras 3's
  /// `__numpy__`/`__tensor__` object holding them).
  static func matmul(constant: JSONValue?, transposeA: Bool, transposeB: Bool, inputs: [TensorShape]) throws
    -> MatMul
  {
    guard let constant else {
      return try checked(MatMul(transposeA: transposeA, transposeB: transposeB), inputs: inputs)
    }
    let array =
      ["__numpy__", "__tensor__"].contains(constant["class_name"]?.string) ? constant["config"]?["value"] : constant
    guard let array, let (values, shape) = numericArray(array) else {
      throw OperationProblem(detail: "the second operand is \(words(constant)), not a tensor or an array of numbers")
    }
    guard shape.count == 2 else {
      throw OperationProblem(
        detail: "the second operand is a constant of shape \(shape); only a constant matrix (rank 2) is supported")
    }
    return try checked(
      MatMul(transposeA: transposeA, transposeB: transposeB, constant: values, constantShape: shape), inputs: inputs)
  }

  /// A rectangular nested list of numbers: its values in row-major order and its shape.
  static func numericArray(_ value: JSONValue) -> (values: [Float], shape: [Int])? {
    var values: [Float] = []
    func visit(_ value: JSONValue, depth: Int) -> [Int]? {
      if case .number(let number) = value {
        guard depth > 0 else { return nil }
        values.append(number.float)
        return []
      }
      guard depth < 8, let list = value.array, !list.isEmpty else { return nil }
      var inner: [Int]?
      for element in list {
        guard let shape = visit(element, depth: depth + 1), inner == nil || inner == shape else { return nil }
        inner = shape
      }
      return inner.map { [list.count] + $0 }
    }
    guard case .array = value, let shape = visit(value, depth: 0) else { return nil }
    return (values, shape)
  }

  // MARK: Image resizing

  /// `tf.image.resize(images, size, method, preserve_aspect_ratio, antialias)` and Keras 3's
  /// `ops.image.resize(images, size, interpolation, antialias, crop_to_aspect_ratio, pad_to_aspect_ratio,
  /// fill_mode, fill_value, data_format)`: the `Resizing` layer that computes the same.
  static func resize(_ config: JSONValue, methodField: String, input: TensorShape) throws -> Resizing {
    let size = config["size"] ?? .null
    guard let list = size.array, list.count == 2, let height = list[0].int, let width = list[1].int, height >= 1,
      width >= 1, height <= 1 << 20, width <= 1 << 20
    else {
      throw OperationProblem(detail: "size is \(words(size)), not a list of two positive integers")
    }
    let method = config[methodField] ?? .string("bilinear")
    guard let name = method.isNull ? "bilinear" : method.string, let interpolation = ResizeInterpolation(rawValue: name)
    else {
      throw OperationProblem(detail: "\(methodField) is \(words(method)); only 'bilinear' and 'nearest' are supported")
    }
    for flag in ["antialias", "preserve_aspect_ratio"] where config[flag]?.bool == true {
      throw OperationProblem(detail: "\(flag) is true; only false is supported")
    }
    if let format = config["data_format"], !format.isNull, format.string != "channels_last" {
      throw OperationProblem(detail: "data_format is \(words(format)); only channels_last is supported")
    }
    if let mode = config["fill_mode"], !mode.isNull, mode.string != "constant" {
      throw OperationProblem(detail: "fill_mode is \(words(mode)); only 'constant' is supported")
    }
    let crop = config["crop_to_aspect_ratio"]?.bool ?? false
    let pad = config["pad_to_aspect_ratio"]?.bool ?? false
    guard !(crop && pad) else {
      throw OperationProblem(detail: "crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be true")
    }
    let fill = config["fill_value"]?.number ?? 0
    guard input.rank == 4 else {
      throw OperationProblem(detail: "the input \(input) is not a batch of images (batch, height, width, channels)")
    }
    return try checked(
      Resizing(
        height: height, width: width, interpolation: interpolation, cropToAspectRatio: crop, padToAspectRatio: pad,
        fillValue: Float(fill)), inputs: [input])
  }
}

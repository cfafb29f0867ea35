/// Reads typed fields out of one layer's `config`, turning every missing or malformed field into a
/// `KerasImportError.invalidLayerConfig` that names the file, the layer and the field.
struct ConfigReader {
  let config: JSONValue
  let file: String
  let location: LayerLocation

  func failure(_ field: String, _ detail: String) -> KerasImportError {
    .invalidLayerConfig(file: file, layer: location, field: field, detail: detail)
  }

  func has(_ key: String) -> Bool {
    guard let value = config[key] else { return false }
    return !value.isNull
  }

  func int(_ key: String, default fallback: Int? = nil) throws -> Int {
    guard let value = config[key], !value.isNull else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    guard let number = value.int ?? (value.array?.count == 1 ? value[0]?.int : nil) else {
      throw failure(key, "expected an integer, found \(value.jsonText)")
    }
    return number
  }

  func positiveInt(_ key: String, default fallback: Int? = nil, limit: Int = 1 << 24) throws -> Int {
    let value = try int(key, default: fallback)
    guard value > 0, value <= limit else { throw failure(key, "expected 1...\(limit), found \(value)") }
    return value
  }

  func float(_ key: String, default fallback: Float? = nil) throws -> Float {
    guard let value = config[key], !value.isNull else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    guard let number = value.number else { throw failure(key, "expected a number, found \(value.jsonText)") }
    return Float(number)
  }

  func optionalFloat(_ key: String) throws -> Float? {
    guard let value = config[key], !value.isNull else { return nil }
    guard let number = value.number else { throw failure(key, "expected a number or null, found \(value.jsonText)") }
    return Float(number)
  }

  func bool(_ key: String, default fallback: Bool) throws -> Bool {
    guard let value = config[key], !value.isNull else { return fallback }
    guard let flag = value.bool else { throw failure(key, "expected true or false, found \(value.jsonText)") }
    return flag
  }

  func string(_ key: String, default fallback: String? = nil) throws -> String {
    guard let value = config[key], !value.isNull else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    guard let text = value.string else { throw failure(key, "expected a string, found \(value.jsonText)") }
    return text
  }

  /// An integer or a list of `count` integers (Keras's `kernel_size`, `strides`, ...), each at least `minimum`.
  func tuple(_ key: String, count: Int = 2, default fallback: [Int]? = nil, minimum: Int = 1) throws -> [Int] {
    guard let value = config[key], !value.isNull else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    let values: [Int]
    if let single = value.int {
      values = Array(repeating: single, count: count)
    } else if let list = value.array, list.count == count, list.allSatisfy({ $0.int != nil }) {
      values = list.map { $0.int! }
    } else {
      throw failure(key, "expected an integer or a list of \(count) integers, found \(value.jsonText)")
    }
    guard values.allSatisfy({ $0 >= minimum && $0 <= 1 << 20 }) else {
      throw failure(key, "values must be at least \(minimum), found \(values)")
    }
    return values
  }

  /// A list of integers, or a single integer as a one-element list.
  func intList(_ key: String, default fallback: [Int]? = nil) throws -> [Int] {
    guard let value = config[key], !value.isNull else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    if let single = value.int { return [single] }
    guard let list = value.array, list.allSatisfy({ $0.int != nil }) else {
      throw failure(key, "expected a list of integers, found \(value.jsonText)")
    }
    return list.map { $0.int! }
  }

  /// A number or an arbitrarily nested list of numbers, flattened (Normalization's `mean`, Rescaling's `scale`).
  func floatList(_ key: String) throws -> [Float]? {
    guard let value = config[key], !value.isNull else { return nil }
    var result: [Float] = []
    func collect(_ value: JSONValue, depth: Int) throws {
      guard depth < 8 else { throw failure(key, "nested too deeply") }
      if let number = value.number {
        result.append(Float(number))
      } else if let list = value.array {
        for element in list { try collect(element, depth: depth + 1) }
      } else {
        throw failure(key, "expected numbers, found \(value.jsonText)")
      }
    }
    try collect(value, depth: 0)
    return result
  }

  func padding() throws -> Padding {
    let text = try string("padding", default: "valid").lowercased()
    guard let padding = Padding(rawValue: text) else {
      throw failure("padding", "'\(text)' is not supported (expected 'valid' or 'same')")
    }
    return padding
  }

  func activation(_ key: String = "activation", kerasMajorVersion: Int) throws -> ActivationFunction {
    let value = config[key]
    guard let function = ActivationFunction(keras: value, kerasMajorVersion: kerasMajorVersion) else {
      let known = ActivationFunction.allCases.filter { $0 != .hardSigmoidKeras2 }.map(\.rawValue)
      throw failure(
        key, "unknown activation \(value?.jsonText ?? "null"); known: \(known.joined(separator: ", "))")
    }
    return function
  }

  /// Rejects `data_format: channels_first`: kerasvis computes in channels-last layout, as Keras saves by default.
  func requireChannelsLast() throws {
    let format = try string("data_format", default: "channels_last")
    guard format == "channels_last" else {
      throw failure("data_format", "'\(format)' is not supported; kerasvis runs channels_last models")
    }
  }

  /// Rows/columns per side for ZeroPadding2D and Cropping2D: `n`, `[h, w]` or `[[top, bottom], [left, right]]`.
  func edges(_ key: String) throws -> Edges2D {
    guard let value = config[key], !value.isNull else { throw failure(key, "missing") }
    func check(_ edges: Edges2D) throws -> Edges2D {
      guard [edges.top, edges.bottom, edges.left, edges.right].allSatisfy({ $0 >= 0 && $0 <= 1 << 20 }) else {
        throw failure(key, "values must be non-negative, found \(value.jsonText)")
      }
      return edges
    }
    if let single = value.int { return try check(Edges2D(top: single, bottom: single, left: single, right: single)) }
    if let list = value.array, list.count == 2 {
      if let rows = list[0].int, let columns = list[1].int {
        return try check(Edges2D(top: rows, bottom: rows, left: columns, right: columns))
      }
      if let rows = list[0].array?.compactMap(\.int), let columns = list[1].array?.compactMap(\.int),
        rows.count == 2, columns.count == 2
      {
        return try check(Edges2D(top: rows[0], bottom: rows[1], left: columns[0], right: columns[1]))
      }
    }
    throw failure(key, "expected n, [rows, columns] or [[top, bottom], [left, right]], found \(value.jsonText)")
  }

  /// Axes given as an int or list, normalized against `rank` (negative values count from the end).
  func axes(_ key: String, rank: Int, default fallback: [Int]) throws -> [Int] {
    let raw = try intList(key, default: fallback)
    return try raw.map { axis in
      let normalized = axis < 0 ? axis + rank : axis
      guard (1..<max(rank, 2)).contains(normalized) else {
        throw failure(key, "axis \(axis) is out of range for an input of rank \(rank)")
      }
      return normalized
    }
  }
}

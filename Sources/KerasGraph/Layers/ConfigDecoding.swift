/// Decoding helpers for Keras's config conventions, shared by every layer kind: an integer or a tuple
/// (`kernel_size: 3` or `[3, 3]`), axes as an int or a list, nested number lists, paddings, activations.
/// Every failure is a `LayerConfigError` naming the field.
extension KeyedDecodingContainer {
  /// The field's snake_case name, for messages.
  func fieldName(_ key: Key) -> String { snakeCased(key.stringValue) }

  func failure(_ key: Key, _ detail: String) -> LayerConfigError {
    LayerConfigError(field: fieldName(key), detail: detail)
  }

  /// The raw value of the field, nil when missing or null.
  func value(_ key: Key) throws -> JSONValue? {
    guard contains(key), try !decodeNil(forKey: key) else { return nil }
    return try decode(JSONValue.self, forKey: key)
  }

  /// An integer (a one-element list is accepted, as Keras writes some).
  func int(_ key: Key, default fallback: Int? = nil) throws -> Int {
    guard let value = try value(key) else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    guard let number = value.int ?? (value.array?.count == 1 ? value[0]?.int : nil) else {
      throw failure(key, "expected an integer, found \(value.jsonText)")
    }
    return number
  }

  /// An integer in `1...limit`.
  func positiveInt(_ key: Key, default fallback: Int? = nil, limit: Int = 1 << 24) throws -> Int {
    let number = try int(key, default: fallback)
    guard number > 0, number <= limit else { throw failure(key, "expected 1...\(limit), found \(number)") }
    return number
  }

  /// A number as a Float.
  func float(_ key: Key, default fallback: Float? = nil) throws -> Float {
    guard let value = try value(key) else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    if case .number(let number) = value { return number.float }
    if let text = value.string, ["NaN", "Infinity", "-Infinity"].contains(text) { return JSONNumber(text: text).float }
    throw failure(key, "expected a number, found \(value.jsonText)")
  }

  /// A number, or nil when missing or null.
  func optionalFloat(_ key: Key) throws -> Float? {
    guard try value(key) != nil else { return nil }
    return try float(key)
  }

  func bool(_ key: Key, default fallback: Bool) throws -> Bool {
    guard let value = try value(key) else { return fallback }
    guard let flag = value.bool else { throw failure(key, "expected true or false, found \(value.jsonText)") }
    return flag
  }

  func string(_ key: Key, default fallback: String? = nil) throws -> String {
    guard let value = try value(key) else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    guard let text = value.string else { throw failure(key, "expected a string, found \(value.jsonText)") }
    return text
  }

  /// An integer or a list of `count` integers (`kernel_size`, `strides`, ...), each at least `minimum`.
  func tuple(_ key: Key, count: Int = 2, default fallback: [Int]? = nil, minimum: Int = 1) throws -> [Int] {
    guard let value = try value(key) else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    let values: [Int]
    if let single = value.int {
      values = Array(repeating: single, count: count)
    } else if let list = value.array, list.count == count, list.allSatisfy({ $0.int != nil }) {
      values = list.compactMap(\.int)
    } else {
      throw failure(key, "expected an integer or a list of \(count) integers, found \(value.jsonText)")
    }
    guard values.allSatisfy({ $0 >= minimum && $0 <= 1 << 20 }) else {
      throw failure(key, "values must be at least \(minimum), found \(values)")
    }
    return values
  }

  /// A list of integers, or a single integer as a one-element list.
  func intList(_ key: Key, default fallback: [Int]? = nil) throws -> [Int] {
    guard let value = try value(key) else {
      if let fallback { return fallback }
      throw failure(key, "missing")
    }
    if let single = value.int { return [single] }
    guard let list = value.array, list.allSatisfy({ $0.int != nil }) else {
      throw failure(key, "expected a list of integers, found \(value.jsonText)")
    }
    return list.compactMap(\.int)
  }

  /// A number or an arbitrarily nested list of numbers, flattened (Normalization's `mean`, Rescaling's `scale`).
  func floatList(_ key: Key) throws -> [Float]? {
    guard let value = try value(key) else { return nil }
    var result: [Float] = []
    func collect(_ value: JSONValue, depth: Int) throws {
      guard depth < 8 else { throw failure(key, "nested too deeply") }
      switch value {
      case .number(let number): result.append(number.float)
      case .string(let text) where ["NaN", "Infinity", "-Infinity"].contains(text):
        result.append(JSONNumber(text: text).float)
      case .array(let list): for element in list { try collect(element, depth: depth + 1) }
      default: throw failure(key, "expected numbers, found \(value.jsonText)")
      }
    }
    try collect(value, depth: 0)
    return result
  }

  /// Axes as an int or a list, each checked against the first input's rank (kept as written: negative values
  /// count from the end).
  func axes(_ key: Key, default fallback: [Int], context: LayerDecodingContext?) throws -> [Int] {
    let raw = try intList(key, default: fallback)
    if let rank = context?.inputRank, rank > 0 {
      for axis in raw {
        do { _ = try normalizedAxis(axis, rank: rank) } catch { throw failure(key, "\(error)") }
      }
    }
    return raw
  }

  /// `valid` or `same` (any letter case), and `causal` where `allowsCausal` (Conv1D).
  func padding(_ key: Key, allowsCausal: Bool = false) throws -> Padding {
    let text = try string(key, default: "valid").lowercased()
    guard let padding = Padding(rawValue: text), allowsCausal || padding != .causal else {
      throw failure(
        key, "'\(text)' is not supported (expected 'valid'\(allowsCausal ? ", 'same' or 'causal'" : " or 'same'"))")
    }
    return padding
  }

  /// A Keras activation (a name, null, or Keras 3's serialized object); kerasvis's own names in native files.
  func activation(_ key: Key, context: LayerDecodingContext?) throws -> ActivationFunction {
    let value = try value(key)
    let function: ActivationFunction?
    if context?.source == .native, let name = value?.string {
      function = ActivationFunction(rawValue: name)
    } else {
      var major = 3
      if case .keras(let version)? = context?.source { major = version }
      function = ActivationFunction(keras: value, kerasMajorVersion: major)
    }
    guard let function else {
      let known = ActivationFunction.allCases.filter { $0 != .hardSigmoidKeras2 }.map(\.rawValue)
      throw failure(key, "unknown activation \(value?.jsonText ?? "null"); known: \(known.joined(separator: ", "))")
    }
    return function
  }

  /// Rejects `data_format: channels_first`: kerasvis computes in channels-last layout, as Keras saves by default.
  func requireChannelsLast(_ key: Key) throws {
    let format = try string(key, default: "channels_last")
    guard format == "channels_last" else {
      throw failure(key, "'\(format)' is not supported; kerasvis runs channels_last models")
    }
  }
}

/// Padding mode of convolutions and pooling, with TensorFlow's meaning (`same` puts the odd pixel after; Conv1D's
/// `causal` pads `(k - 1) * dilation` zeros before the sequence only, so that output `t` reads inputs up to `t`).
public enum Padding: String, Sendable, Codable {
  case valid
  case same
  case causal
}

extension ActivationFunction: Codable {
  /// Decodes kerasvis's own name (as the native format writes it).
  public init(from decoder: any Decoder) throws {
    let name = try decoder.singleValueContainer().decode(String.self)
    guard let function = ActivationFunction(rawValue: name) else {
      throw LayerConfigError(field: "activation", detail: "unknown activation '\(name)'")
    }
    self = function
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }
}

import Foundation

/// A parsed JSON value, as found in Keras model configs (`model_config`, `config.json`, `model.to_json()`).
public enum JSONValue: Sendable, Equatable, Hashable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// Parses JSON text as Python's `json` module writes it (`NaN`, `Infinity` and `-Infinity` included), with
  /// objects nested at most 512 deep.
  /// - Throws: `JSONParseError` with the byte offset where the text stops being JSON.
  public static func parse(_ data: Data) throws -> JSONValue {
    var parser = JSONParser(bytes: [UInt8](data))
    return try parser.parseDocument()
  }

  /// The member `key` of an object, or nil for other values and missing keys.
  public subscript(key: String) -> JSONValue? {
    if case .object(let members) = self { return members[key] }
    return nil
  }

  /// The element at `index` of an array, or nil.
  public subscript(index: Int) -> JSONValue? {
    if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
    return nil
  }

  /// The string value, or nil.
  public var string: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The numeric value, or nil.
  public var number: Double? {
    if case .number(let value) = self { return value }
    return nil
  }

  /// The value as an integer if it is a number with no fractional part.
  public var int: Int? {
    guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
    return Int(value)
  }

  /// The boolean value, or nil.
  public var bool: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  /// The elements of an array, or nil.
  public var array: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }

  /// The members of an object, or nil.
  public var object: [String: JSONValue]? {
    if case .object(let value) = self { return value }
    return nil
  }

  /// Whether the value is JSON `null`.
  public var isNull: Bool { self == .null }

  /// Compact JSON text with sorted keys (non-finite numbers are written as `null`).
  public var jsonText: String {
    switch self {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .number(let value):
      guard value.isFinite else { return "null" }
      if value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
      return String(value)
    case .string(let value): return JSONValue.quoted(value)
    case .array(let values): return "[" + values.map(\.jsonText).joined(separator: ", ") + "]"
    case .object(let members):
      let body = members.keys.sorted().map { JSONValue.quoted($0) + ": " + members[$0]!.jsonText }
      return "{" + body.joined(separator: ", ") + "}"
    }
  }

  private static func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}

extension JSONValue: Codable {
  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let value): try container.encode(value)
    case .number(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .array(let value): try container.encode(value)
    case .object(let value): try container.encode(value)
    }
  }
}

import Foundation

/// A parsed JSON value: Keras model configs (`model_config`, `config.json`, `model.to_json()`), call arguments, and
/// the native format's graph description. Numbers keep their text, so an Int or a Float reads back exactly, and
/// object members keep their order, so a config written back reads as it was.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  /// A number, with its text.
  case number(JSONNumber)
  case string(String)
  case array([JSONValue])
  /// Members in file order.
  case object(JSONObject)

  // MARK: Parsing

  /// Parses JSON text as Python's `json` module writes it (`NaN`, `Infinity` and `-Infinity` included, as Keras
  /// configs may hold them), nested at most 512 deep.
  /// - Throws: `JSONParseError` with the byte offset where the text stops being JSON.
  public static func parse(_ data: Data) throws -> JSONValue {
    try data.withUnsafeBytes { raw in
      try JSONParser.parse(raw.bindMemory(to: UInt8.self), allowsNonFiniteLiterals: true)
    }
  }

  /// Parses strict JSON (RFC 8259: no `NaN` literals) from bytes, as the native format's header is read.
  /// - Throws: `JSONParseError`.
  public static func parseStrict(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
    try JSONParser.parse(bytes, allowsNonFiniteLiterals: false)
  }

  /// Parses strict JSON text.
  /// - Throws: `JSONParseError`.
  public static func parseStrict(_ text: String) throws(JSONParseError) -> JSONValue {
    var copy = text
    let result = copy.withUTF8 { buffer in Result { () throws(JSONParseError) in try parseStrict(buffer) } }
    return try result.get()
  }

  // MARK: Building

  /// An integer.
  public static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }

  /// A Float32 (shortest text that reads back as the same Float); non-finite values become the strings `NaN`,
  /// `Infinity` and `-Infinity`, since strict JSON has no literals for them.
  public static func float(_ value: Float) -> JSONValue {
    if value.isNaN { return .string("NaN") }
    if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
    return .number(JSONNumber(value))
  }

  /// A Double (shortest text that reads back as the same Double); non-finite values as for `float(_:)`.
  public static func double(_ value: Double) -> JSONValue {
    if value.isNaN { return .string("NaN") }
    if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
    return .number(JSONNumber(value))
  }

  /// A list of integers.
  public static func ints(_ values: [Int]) -> JSONValue { .array(values.map(int)) }

  /// A list of Float32 values.
  public static func floats(_ values: [Float]) -> JSONValue { .array(values.map(float)) }

  // MARK: Reading

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
    if case .number(let value) = self { return value.double }
    return nil
  }

  /// The value as an integer if it is a number with no fractional part.
  public var int: Int? {
    guard case .number(let value) = self else { return nil }
    return value.int
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
  public var object: JSONObject? {
    if case .object(let value) = self { return value }
    return nil
  }

  /// Whether the value is JSON `null`.
  public var isNull: Bool { self == .null }

  /// A short description of the value's kind, for error messages (`a list`, `the number 3`).
  public var kind: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .number(let number): return "the number \(number.text)"
    case .string: return "a string"
    case .array: return "a list"
    case .object: return "an object"
    }
  }

  // MARK: Writing

  /// Readable JSON text for messages: `, ` and `: ` separators, members in order.
  public var jsonText: String { render(spaced: true) }

  /// Compact JSON text (no spaces), members in order; non-finite numbers become `null`.
  public var compactText: String { render(spaced: false) }

  private func render(spaced: Bool) -> String {
    var output: [UInt8] = []
    write(to: &output, spaced: spaced)
    return String(decoding: output, as: UTF8.self)
  }

  /// Appends the JSON text to `output`.
  public func write(to output: inout [UInt8], spaced: Bool = false) {
    switch self {
    case .null: output += "null".utf8
    case .bool(let flag): output += (flag ? "true" : "false").utf8
    case .number(let number): output += (number.double.isFinite ? number.text : "null").utf8
    case .string(let text): JSONValue.writeString(text, to: &output)
    case .array(let elements):
      output.append(UInt8(ascii: "["))
      for (position, element) in elements.enumerated() {
        if position > 0 { output += (spaced ? ", " : ",").utf8 }
        element.write(to: &output, spaced: spaced)
      }
      output.append(UInt8(ascii: "]"))
    case .object(let object):
      output.append(UInt8(ascii: "{"))
      for (position, member) in object.members.enumerated() {
        if position > 0 { output += (spaced ? ", " : ",").utf8 }
        JSONValue.writeString(member.key, to: &output)
        output += (spaced ? ": " : ":").utf8
        member.value.write(to: &output, spaced: spaced)
      }
      output.append(UInt8(ascii: "}"))
    }
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  /// Writes `text` as a JSON string literal, escaping quotes, backslashes and control characters.
  static func writeString(_ text: String, to output: inout [UInt8]) {
    output.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "\""): output += "\\\"".utf8
      case UInt8(ascii: "\\"): output += "\\\\".utf8
      case UInt8(ascii: "\n"): output += "\\n".utf8
      case UInt8(ascii: "\r"): output += "\\r".utf8
      case UInt8(ascii: "\t"): output += "\\t".utf8
      case 0..<0x20:
        output += "\\u00".utf8
        output.append(hexDigits[Int(byte >> 4)])
        output.append(hexDigits[Int(byte & 0xF)])
      default: output.append(byte)
      }
    }
    output.append(UInt8(ascii: "\""))
  }
}

/// A JSON number as its text (JSON's number grammar, or Python's `NaN`, `Infinity`, `-Infinity`). Two numbers are
/// equal when their values are (`1` equals `1.0`).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral
{
  /// The number's text.
  public let text: String

  /// A number from its text (not checked; the parser only makes valid ones).
  public init(text: String) {
    self.text = text
  }

  /// An integer.
  public init(_ value: Int) {
    text = String(value)
  }

  /// A Float32 with the shortest text that reads back as the same Float.
  public init(_ value: Float) {
    text = value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : value.description
  }

  /// A Double with the shortest text that reads back as the same Double.
  public init(_ value: Double) {
    text = value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : value.description
  }

  public init(integerLiteral value: Int) {
    self.init(value)
  }

  public init(floatLiteral value: Double) {
    self.init(value)
  }

  /// The value (`nan` for `NaN`, infinities for `Infinity`).
  public var double: Double {
    switch text {
    case "NaN": return .nan
    case "Infinity": return .infinity
    case "-Infinity": return -.infinity
    default: return Double(text) ?? .nan
    }
  }

  /// The value as a Float32, read from the text (so a Float written by `init(_: Float)` reads back exactly).
  public var float: Float { Float(text) ?? Float(double) }

  /// The value if it is an integer (no fractional part, magnitude below 9e15).
  public var int: Int? {
    if let exact = Int(text) { return exact }
    let value = double
    guard value.rounded() == value, abs(value) < 9.0e15 else { return nil }
    return Int(value)
  }

  public var description: String { text }

  public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
    lhs.text == rhs.text || lhs.double == rhs.double || (lhs.double.isNaN && rhs.double.isNaN)
  }

  public func hash(into hasher: inout Hasher) {
    let value = double
    hasher.combine(value.isNaN ? Double.nan.bitPattern : (value == 0 ? 0 : value.bitPattern))
  }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Hashable {
  public var key: String
  public var value: JSONValue

  public init(key: String, value: JSONValue) {
    self.key = key
    self.value = value
  }
}

/// The members of a JSON object, in order. Equality ignores the order, as JSON's does.
public struct JSONObject: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
  /// The members in order.
  public private(set) var members: [JSONMember]

  /// An object with `members` (keys must be distinct).
  public init(_ members: [JSONMember] = []) {
    self.members = members
  }

  /// Members in the literal's order.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    members = elements.map { JSONMember(key: $0.0, value: $0.1) }
  }

  /// The value of member `key`, or nil; setting nil removes the member, setting a new key appends it.
  public subscript(key: String) -> JSONValue? {
    get { members.first { $0.key == key }?.value }
    set {
      if let position = members.firstIndex(where: { $0.key == key }) {
        if let newValue { members[position].value = newValue } else { members.remove(at: position) }
      } else if let newValue {
        members.append(JSONMember(key: key, value: newValue))
      }
    }
  }

  /// The member names in order.
  public var keys: [String] { members.map(\.key) }

  /// The number of members.
  public var count: Int { members.count }

  /// Whether the object has no member.
  public var isEmpty: Bool { members.isEmpty }

  /// Adds a member at the end.
  public mutating func append(_ key: String, _ value: JSONValue) {
    members.append(JSONMember(key: key, value: value))
  }

  /// The members of `lhs` followed by those of `rhs`.
  public static func + (lhs: JSONObject, rhs: JSONObject) -> JSONObject {
    JSONObject(lhs.members + rhs.members)
  }

  public func makeIterator() -> IndexingIterator<[JSONMember]> { members.makeIterator() }

  public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
    guard lhs.members.count == rhs.members.count else { return false }
    return lhs.members.allSatisfy { member in rhs[member.key] == member.value }
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(members.count)
    for key in keys.sorted() { hasher.combine(key) }
  }
}

extension JSONValue: Codable {
  /// Decodes any JSON value (`JSONValueDecoder` hands the value over as it is).
  public init(from decoder: any Decoder) throws {
    if let container = try? decoder.container(keyedBy: AnyKey.self) {
      var object = JSONObject()
      for key in container.allKeys { object.append(key.stringValue, try container.decode(JSONValue.self, forKey: key)) }
      self = .object(object)
      return
    }
    if var container = try? decoder.unkeyedContainer() {
      var elements: [JSONValue] = []
      while !container.isAtEnd { elements.append(try container.decode(JSONValue.self)) }
      self = .array(elements)
      return
    }
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let flag = try? container.decode(Bool.self) {
      self = .bool(flag)
    } else if let number = try? container.decode(Double.self) {
      self = .double(number)
    } else {
      self = .string(try container.decode(String.self))
    }
  }

  /// Encodes the value (`JSONValueEncoder` stores it as it is).
  public func encode(to encoder: any Encoder) throws {
    switch self {
    case .null:
      var container = encoder.singleValueContainer()
      try container.encodeNil()
    case .bool(let flag):
      var container = encoder.singleValueContainer()
      try container.encode(flag)
    case .number(let number):
      var container = encoder.singleValueContainer()
      if let exact = number.int { try container.encode(exact) } else { try container.encode(number.double) }
    case .string(let text):
      var container = encoder.singleValueContainer()
      try container.encode(text)
    case .array(let elements):
      var container = encoder.unkeyedContainer()
      for element in elements { try container.encode(element) }
    case .object(let object):
      var container = encoder.container(keyedBy: AnyKey.self)
      for member in object.members { try container.encode(member.value, forKey: AnyKey(stringValue: member.key)) }
    }
  }
}

/// A coding key for any member name.
private struct AnyKey: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}

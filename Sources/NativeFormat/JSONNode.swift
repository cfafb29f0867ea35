import KerasGraph

/// A JSON value as the native format reads and writes it: numbers keep their text (so that a Float or an Int is
/// read back exactly, without a detour through Double) and object members keep their order.
enum JSONNode {
  case null
  case bool(Bool)
  /// The number's text, which follows JSON's number grammar.
  case number(String)
  case string(String)
  case array([JSONNode])
  /// Members in file order.
  case object(JSONObject)

  // MARK: Building

  /// An integer.
  static func int(_ value: Int) -> JSONNode { .number(String(value)) }

  /// A Float32, written with the shortest text that reads back as the same Float; non-finite values become the
  /// strings `NaN`, `Infinity` and `-Infinity` (JSON has no literals for them).
  static func float(_ value: Float) -> JSONNode {
    if value.isNaN { return .string("NaN") }
    if value.isInfinite { return .string(value < 0 ? "-Infinity" : "Infinity") }
    return .number(value.description)
  }

  /// A list of integers.
  static func ints(_ values: [Int]) -> JSONNode { .array(values.map(int)) }

  /// A list of Float32 values.
  static func floats(_ values: [Float]) -> JSONNode { .array(values.map(float)) }

  /// A `JSONValue` (a Keras config or call arguments). Non-finite numbers, which JSON cannot hold, become null.
  init(_ value: JSONValue) {
    switch value {
    case .null: self = .null
    case .bool(let flag): self = .bool(flag)
    case .number(let number):
      if !number.isFinite {
        self = .null
      } else if number.rounded() == number, abs(number) < 1e15 {
        self = .number(String(Int(number)))
      } else {
        self = .number(number.description)
      }
    case .string(let text): self = .string(text)
    case .array(let elements): self = .array(elements.map(JSONNode.init))
    case .object(let members):
      self = .object(
        JSONObject(members.keys.sorted().map { JSONMember(key: $0, value: JSONNode(members[$0] ?? .null)) }))
    }
  }

  // MARK: Reading

  /// The member `key` of an object.
  subscript(key: String) -> JSONNode? {
    guard case .object(let object) = self else { return nil }
    return object.members.first { $0.key == key }?.value
  }

  /// The value as a `JSONValue` (numbers become Double, the type `JSONValue` holds).
  var jsonValue: JSONValue {
    switch self {
    case .null: return .null
    case .bool(let flag): return .bool(flag)
    case .number(let text): return .number(Double(text) ?? .nan)
    case .string(let text): return .string(text)
    case .array(let elements): return .array(elements.map(\.jsonValue))
    case .object(let object):
      var dictionary: [String: JSONValue] = [:]
      dictionary.reserveCapacity(object.members.count)
      for member in object.members { dictionary[member.key] = member.value.jsonValue }
      return .object(dictionary)
    }
  }

  /// A short description of the value's kind, for error messages.
  var kind: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .number(let text): return "the number \(text)"
    case .string: return "a string"
    case .array: return "a list"
    case .object: return "an object"
    }
  }

  // MARK: Writing

  /// Compact JSON text (no spaces), members in their order.
  var text: String {
    var output: [UInt8] = []
    write(to: &output)
    return String(decoding: output, as: UTF8.self)
  }

  /// Appends the compact JSON text to `output`.
  func write(to output: inout [UInt8]) {
    switch self {
    case .null: output += "null".utf8
    case .bool(let flag): output += (flag ? "true" : "false").utf8
    case .number(let text): output += text.utf8
    case .string(let text): JSONNode.writeString(text, to: &output)
    case .array(let elements):
      output.append(UInt8(ascii: "["))
      for (position, element) in elements.enumerated() {
        if position > 0 { output.append(UInt8(ascii: ",")) }
        element.write(to: &output)
      }
      output.append(UInt8(ascii: "]"))
    case .object(let object):
      output.append(UInt8(ascii: "{"))
      for (position, member) in object.members.enumerated() {
        if position > 0 { output.append(UInt8(ascii: ",")) }
        JSONNode.writeString(member.key, to: &output)
        output.append(UInt8(ascii: ":"))
        member.value.write(to: &output)
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

/// One member of a JSON object.
struct JSONMember {
  var key: String
  var value: JSONNode
}

/// The members of a JSON object in order. (A struct rather than a list of tuples: Swift 6.3 reports a circular
/// reference for an enum whose payload is a list of tuples holding the enum.)
struct JSONObject: ExpressibleByDictionaryLiteral {
  var members: [JSONMember]

  init(_ members: [JSONMember] = []) {
    self.members = members
  }

  /// Members in the literal's order.
  init(dictionaryLiteral elements: (String, JSONNode)...) {
    members = elements.map { JSONMember(key: $0.0, value: $0.1) }
  }

  /// Adds a member at the end.
  mutating func append(_ key: String, _ value: JSONNode) {
    members.append(JSONMember(key: key, value: value))
  }

  /// The members of `self` followed by those of `other`.
  static func + (lhs: JSONObject, rhs: JSONObject) -> JSONObject {
    JSONObject(lhs.members + rhs.members)
  }
}

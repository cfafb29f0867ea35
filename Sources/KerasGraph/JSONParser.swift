import Foundation

/// Why a text is not JSON, with the byte offset.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
  /// The byte offset of the problem.
  public var offset: Int
  /// What is wrong there.
  public var detail: String

  public var description: String { "\(detail) at byte \(offset)" }
}

/// A recursive-descent JSON parser for untrusted config text: strict JSON plus Python's `NaN`/`Infinity`, bounded
/// nesting, invalid UTF-8 and lone surrogates refused.
struct JSONParser {
  let bytes: [UInt8]
  var position = 0
  static let maxDepth = 512

  init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  mutating func parseDocument() throws -> JSONValue {
    // A UTF-8 byte order mark is allowed before the value.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    let value = try parseValue(depth: 0)
    skipWhitespace()
    guard position == bytes.count else { throw fail("unexpected text after the JSON value") }
    return value
  }

  private func fail(_ detail: String) -> JSONParseError {
    JSONParseError(offset: position, detail: detail)
  }

  private mutating func skipWhitespace() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
  }

  private mutating func consume(_ word: String) -> Bool {
    let utf8 = Array(word.utf8)
    guard position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
      return false
    }
    position += utf8.count
    return true
  }

  private mutating func parseValue(depth: Int) throws -> JSONValue {
    guard depth < JSONParser.maxDepth else { throw fail("JSON nested more than \(JSONParser.maxDepth) deep") }
    skipWhitespace()
    guard position < bytes.count else { throw fail("unexpected end of text") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"):
      if consume("true") { return .bool(true) }
    case UInt8(ascii: "f"):
      if consume("false") { return .bool(false) }
    case UInt8(ascii: "n"):
      if consume("null") { return .null }
    case UInt8(ascii: "N"):
      if consume("NaN") { return .number(.nan) }
    case UInt8(ascii: "I"):
      if consume("Infinity") { return .number(.infinity) }
    case UInt8(ascii: "-"):
      if consume("-Infinity") { return .number(-.infinity) }
      return .number(try parseNumber())
    case UInt8(ascii: "0")...UInt8(ascii: "9"):
      return .number(try parseNumber())
    default: break
    }
    throw fail("unexpected character")
  }

  private mutating func parseObject(depth: Int) throws -> JSONValue {
    position += 1
    var members: [String: JSONValue] = [:]
    skipWhitespace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
      let key = try parseString()
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
      position += 1
      members[key] = try parseValue(depth: depth + 1)
      skipWhitespace()
      guard position < bytes.count else { throw fail("unexpected end of text in an object") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
      } else if bytes[position] == UInt8(ascii: "}") {
        position += 1
        return .object(members)
      } else {
        throw fail("expected ',' or '}'")
      }
    }
  }

  private mutating func parseArray(depth: Int) throws -> JSONValue {
    position += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
      position += 1
      return .array(elements)
    }
    while true {
      elements.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard position < bytes.count else { throw fail("unexpected end of text in an array") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
      } else if bytes[position] == UInt8(ascii: "]") {
        position += 1
        return .array(elements)
      } else {
        throw fail("expected ',' or ']'")
      }
    }
  }

  private mutating func parseHex4() throws -> UInt32 {
    guard position + 4 <= bytes.count else { throw fail("truncated \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[position]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: throw fail("invalid \\u escape")
      }
      value = value * 16 + digit
      position += 1
    }
    return value
  }

  private mutating func parseString() throws -> String {
    position += 1
    var utf8: [UInt8] = []
    while true {
      guard position < bytes.count else { throw fail("unterminated string") }
      let byte = bytes[position]
      position += 1
      switch byte {
      case UInt8(ascii: "\""):
        guard let text = String(validating: utf8, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
        return text
      case UInt8(ascii: "\\"):
        guard position < bytes.count else { throw fail("unterminated escape") }
        let escape = bytes[position]
        position += 1
        switch escape {
        case UInt8(ascii: "\""): utf8.append(0x22)
        case UInt8(ascii: "\\"): utf8.append(0x5C)
        case UInt8(ascii: "/"): utf8.append(0x2F)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
          var scalar = try parseHex4()
          if (0xD800..<0xDC00).contains(scalar) {
            guard consume("\\u") else { throw fail("a high surrogate without its low surrogate") }
            let low = try parseHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid low surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          } else if (0xDC00..<0xE000).contains(scalar) {
            throw fail("a lone low surrogate")
          }
          guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid code point") }
          utf8.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
          throw fail("invalid escape")
        }
      case 0x00..<0x20:
        throw fail("a control character in a string")
      default:
        utf8.append(byte)
      }
    }
  }

  private mutating func parseNumber() throws -> Double {
    let start = position
    if bytes[position] == UInt8(ascii: "-") { position += 1 }
    func digits() -> Int {
      let first = position
      while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
      return position - first
    }
    guard digits() > 0 else { throw fail("invalid number") }
    if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
      position += 1
      guard digits() > 0 else { throw fail("invalid number") }
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
      position += 1
      if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
        position += 1
      }
      guard digits() > 0 else { throw fail("invalid number") }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    guard let value = Double(text) else { throw fail("invalid number") }
    return value
  }
}

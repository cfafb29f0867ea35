/// Why a text is not JSON, with the byte offset of the problem.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
  /// The byte offset of the problem.
  public var offset: Int
  /// What is wrong there.
  public var detail: String

  public init(offset: Int, detail: String) {
    self.offset = offset
    self.detail = detail
  }

  public var description: String { "\(detail) at byte \(offset)" }
}

/// The one JSON parser of the package, for untrusted text (Keras configs, `model.to_json()` files, native-file
/// headers): strict JSON (RFC 8259) over UTF-8 bytes that never traps, plus Python's `NaN`, `Infinity` and
/// `-Infinity` where `allowsNonFiniteLiterals`. Nesting is bounded (`maximumDepth`), invalid UTF-8, lone
/// surrogates and duplicate member names are refused, numbers keep their text and object members their order.
struct JSONParser {
  /// The deepest nesting of lists and objects accepted.
  static let maximumDepth = 512

  private let bytes: UnsafeBufferPointer<UInt8>
  private let allowsNonFiniteLiterals: Bool
  private var position = 0

  private init(bytes: UnsafeBufferPointer<UInt8>, allowsNonFiniteLiterals: Bool) {
    self.bytes = bytes
    self.allowsNonFiniteLiterals = allowsNonFiniteLiterals
  }

  /// Parses one JSON value that fills `bytes` (surrounding whitespace and a UTF-8 byte order mark allowed).
  static func parse(_ bytes: UnsafeBufferPointer<UInt8>, allowsNonFiniteLiterals: Bool) throws(JSONParseError)
    -> JSONValue
  {
    var parser = JSONParser(bytes: bytes, allowsNonFiniteLiterals: allowsNonFiniteLiterals)
    if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { parser.position = 3 }
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
    return value
  }

  private func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
    JSONParseError(offset: offset ?? position, detail: message)
  }

  private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

  private mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  private mutating func expect(_ literal: StaticString, value: JSONValue) throws(JSONParseError) -> JSONValue {
    let count = literal.utf8CodeUnitCount
    guard bytes.count - position >= count else { throw error("unexpected end of the text") }
    let start = literal.utf8Start
    for offset in 0..<count where bytes[position + offset] != start[offset] {
      throw error("unexpected character")
    }
    position += count
    return value
  }

  private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
    guard let byte = current else { throw error("unexpected end of the text") }
    switch byte {
    case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
    case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): return try expect("true", value: .bool(true))
    case UInt8(ascii: "f"): return try expect("false", value: .bool(false))
    case UInt8(ascii: "n"): return try expect("null", value: .null)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      if allowsNonFiniteLiterals, current == UInt8(ascii: "-"), position + 1 < bytes.count,
        bytes[position + 1] == UInt8(ascii: "I")
      {
        position += 1
        return try expect("Infinity", value: .number(JSONNumber(text: "-Infinity")))
      }
      return try parseNumber()
    case UInt8(ascii: "N") where allowsNonFiniteLiterals:
      return try expect("NaN", value: .number(JSONNumber(text: "NaN")))
    case UInt8(ascii: "I") where allowsNonFiniteLiterals:
      return try expect("Infinity", value: .number(JSONNumber(text: "Infinity")))
    default: throw error("unexpected character '\(printable(byte))'")
    }
  }

  private func printable(_ byte: UInt8) -> String {
    (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
  }

  private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
    guard depth <= JSONParser.maximumDepth else { throw error("nested more than \(JSONParser.maximumDepth) levels") }
    position += 1
    var object = JSONObject()
    // Duplicate names: a linear scan for small objects, a set once an object grows (the header's tensor list).
    var keys = Set<String>()
    skipWhitespace()
    if current == UInt8(ascii: "}") {
      position += 1
      return .object(object)
    }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
      let keyOffset = position
      let key = try parseString()
      let duplicate: Bool
      if object.members.count < 16 {
        duplicate = object.members.contains { $0.key == key }
      } else {
        if keys.isEmpty { keys = Set(object.members.map(\.key)) }
        duplicate = !keys.insert(key).inserted
      }
      guard !duplicate else { throw error("duplicate member name '\(key)'", at: keyOffset) }
      skipWhitespace()
      guard current == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
      position += 1
      skipWhitespace()
      object.append(key, try parseValue(depth: depth))
      skipWhitespace()
      switch current {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "}"):
        position += 1
        return .object(object)
      default: throw error("expected ',' or '}' in an object")
      }
    }
  }

  private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
    guard depth <= JSONParser.maximumDepth else { throw error("nested more than \(JSONParser.maximumDepth) levels") }
    position += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if current == UInt8(ascii: "]") {
      position += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try parseValue(depth: depth))
      skipWhitespace()
      switch current {
      case UInt8(ascii: ","): position += 1
      case UInt8(ascii: "]"):
        position += 1
        return .array(elements)
      default: throw error("expected ',' or ']' in a list")
      }
    }
  }

  private mutating func digits() -> Int {
    let start = position
    while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
    return position - start
  }

  private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
    let start = position
    if current == UInt8(ascii: "-") { position += 1 }
    if current == UInt8(ascii: "0") {
      position += 1
    } else if digits() == 0 {
      throw error("expected a digit")
    }
    if current == UInt8(ascii: ".") {
      position += 1
      guard digits() > 0 else { throw error("expected a digit after '.'") }
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      position += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
      guard digits() > 0 else { throw error("expected a digit in the exponent") }
    }
    guard position - start <= 64 else { throw error("a number of more than 64 characters", at: start) }
    return .number(
      JSONNumber(text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)))
  }

  private mutating func hexQuad() throws(JSONParseError) -> UInt32 {
    guard bytes.count - position >= 4 else { throw error("unexpected end of the text in a \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[position]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw error("invalid hexadecimal digit in a \\u escape")
      }
      value = value << 4 | UInt32(digit)
      position += 1
    }
    return value
  }

  /// Parses a string literal at `position` (which holds the opening quote). Raw bytes must be valid UTF-8.
  private mutating func parseString() throws(JSONParseError) -> String {
    position += 1
    let start = position
    // Fast path: no escapes.
    var ascii = true
    while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
      guard byte >= 0x20 else { throw error("a control character in a string") }
      if byte >= 0x80 { ascii = false }
      position += 1
    }
    guard let stop = current else { throw error("unterminated string", at: start - 1) }
    if stop == UInt8(ascii: "\"") {
      let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
      let text = ascii ? String(decoding: slice, as: UTF8.self) : try decodeUTF8(start..<position)
      position += 1
      return text
    }
    var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
    while true {
      // Copy the run up to the next quote or backslash at once.
      let runStart = position
      while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
        guard byte >= 0x20 else { throw error("a control character in a string") }
        if byte >= 0x80 { ascii = false }
        position += 1
      }
      if position > runStart { scalars += UnsafeBufferPointer(rebasing: bytes[runStart..<position]) }
      guard let byte = current else { throw error("unterminated string", at: start - 1) }
      position += 1
      if byte == UInt8(ascii: "\"") {
        return ascii ? String(decoding: scalars, as: UTF8.self) : try validUTF8(scalars, at: start)
      }
      guard let escaped = current else { throw error("unterminated string", at: start - 1) }
      position += 1
      switch escaped {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
      case UInt8(ascii: "b"): scalars.append(0x08)
      case UInt8(ascii: "f"): scalars.append(0x0C)
      case UInt8(ascii: "n"): scalars.append(0x0A)
      case UInt8(ascii: "r"): scalars.append(0x0D)
      case UInt8(ascii: "t"): scalars.append(0x09)
      case UInt8(ascii: "u"):
        var code = try hexQuad()
        if (0xD800..<0xDC00).contains(code) {
          guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"),
            bytes[position + 1] == UInt8(ascii: "u")
          else { throw error("a high surrogate without its low surrogate") }
          position += 2
          let low = try hexQuad()
          guard (0xDC00..<0xE000).contains(low) else { throw error("an invalid low surrogate") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(code) {
          throw error("a low surrogate without its high surrogate")
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("an invalid \\u escape") }
        // Valid UTF-8 by construction; it does not clear `ascii` since the raw bytes stay checked.
        scalars += Array(String(Character(scalar)).utf8)
      default:
        throw error("invalid escape '\\\(printable(escaped))'")
      }
    }
  }

  private func decodeUTF8(_ range: Range<Int>) throws(JSONParseError) -> String {
    let slice = UnsafeBufferPointer(rebasing: bytes[range])
    let text = String(decoding: slice, as: UTF8.self)
    // Decoding replaces invalid sequences, so the text differs from the bytes exactly when they are not UTF-8.
    guard text.utf8.count == slice.count, text.utf8.elementsEqual(slice) else {
      throw error("a string that is not valid UTF-8", at: range.lowerBound)
    }
    return text
  }

  private func validUTF8(_ scalars: [UInt8], at offset: Int) throws(JSONParseError) -> String {
    let text = String(decoding: scalars, as: UTF8.self)
    guard text.utf8.elementsEqual(scalars) else { throw error("a string that is not valid UTF-8", at: offset) }
    return text
  }
}

/// Decodes `Decodable` values from a `JSONValue`, reading Swift property names as snake_case keys
/// (`kernelSize` reads `kernel_size`), as Keras writes its configs. Used for every layer kind's config, from Keras
/// files and from native files alike.
public struct JSONValueDecoder {
  /// Values the decoded types may read (`LayerDecodingContext.userInfoKey`).
  public var userInfo: [CodingUserInfoKey: Any] = [:]

  public init() {}

  /// Decodes a `T` from `value`.
  /// - Throws: `DecodingError` whose coding path names the field at fault.
  public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
    try T(from: ValueDecoder(value: value, codingPath: [], userInfo: userInfo))
  }
}

/// `kernelSize` -> `kernel_size`; keys that are already snake_case (or explicit raw values) pass through.
func snakeCased(_ key: String) -> String {
  var result = ""
  result.reserveCapacity(key.count + 4)
  for character in key {
    if character.isUppercase {
      if !result.isEmpty { result.append("_") }
      result += character.lowercased()
    } else {
      result.append(character)
    }
  }
  return result
}

private struct ValueDecoder: Decoder {
  let value: JSONValue
  let codingPath: [any CodingKey]
  let userInfo: [CodingUserInfoKey: Any]

  init(value: JSONValue, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
    self.value = value
    self.codingPath = codingPath
    self.userInfo = userInfo
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard case .object(let object) = value else {
      throw DecodingError.typeMismatch(
        [String: JSONValue].self,
        .init(codingPath: codingPath, debugDescription: "expected an object, found \(value.kind)"))
    }
    return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath, userInfo: userInfo))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    guard case .array(let elements) = value else {
      throw DecodingError.typeMismatch(
        [JSONValue].self, .init(codingPath: codingPath, debugDescription: "expected a list, found \(value.kind)"))
    }
    return UnkeyedContainer(elements: elements, codingPath: codingPath, userInfo: userInfo)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    SingleContainer(value: value, codingPath: codingPath, userInfo: userInfo)
  }
}

/// Reads scalars out of one JSON value, with errors that say what was found.
private func decodeScalar<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
  func mismatch(_ expected: String) -> DecodingError {
    .typeMismatch(T.self, .init(codingPath: path, debugDescription: "expected \(expected), found \(value.kind)"))
  }
  switch type {
  case is Bool.Type:
    guard let flag = value.bool else { throw mismatch("true or false") }
    return flag as! T
  case is String.Type:
    guard let text = value.string else { throw mismatch("a string") }
    return text as! T
  case is Int.Type:
    guard let number = value.int else { throw mismatch("an integer") }
    return number as! T
  case is Double.Type:
    if case .number(let number) = value { return number.double as! T }
    throw mismatch("a number")
  case is Float.Type:
    if case .number(let number) = value { return number.float as! T }
    if let text = value.string, ["NaN", "Infinity", "-Infinity"].contains(text) {
      return JSONNumber(text: text).float as! T
    }
    throw mismatch("a number")
  case is JSONValue.Type:
    return value as! T
  default:
    return try T(from: ValueDecoder(value: value, codingPath: path, userInfo: [:]))
  }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let object: JSONObject
  let codingPath: [any CodingKey]
  let userInfo: [CodingUserInfoKey: Any]

  var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

  private func lookup(_ key: Key) -> JSONValue? {
    object[key.stringValue] ?? object[snakeCased(key.stringValue)]
  }

  func contains(_ key: Key) -> Bool { lookup(key) != nil }

  private func required(_ key: Key) throws -> JSONValue {
    guard let value = lookup(key) else {
      throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
    }
    return value
  }

  func decodeNil(forKey key: Key) throws -> Bool { lookup(key)?.isNull ?? true }

  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
    let value = try required(key)
    let path = codingPath + [key]
    if T.self == JSONValue.self { return value as! T }
    switch type {
    case is Bool.Type, is String.Type, is Int.Type, is Double.Type, is Float.Type:
      return try decodeScalar(type, value, path)
    default:
      return try T(from: ValueDecoder(value: value, codingPath: path, userInfo: userInfo))
    }
  }

  func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
    guard let value = lookup(key), !value.isNull else { return nil }
    _ = value
    return try decode(type, forKey: key)
  }

  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    try ValueDecoder(value: try required(key), codingPath: codingPath + [key], userInfo: userInfo)
      .container(keyedBy: type)
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    try ValueDecoder(value: try required(key), codingPath: codingPath + [key], userInfo: userInfo).unkeyedContainer()
  }

  func superDecoder() throws -> any Decoder {
    ValueDecoder(value: .object(object), codingPath: codingPath, userInfo: userInfo)
  }

  func superDecoder(forKey key: Key) throws -> any Decoder {
    ValueDecoder(value: lookup(key) ?? .null, codingPath: codingPath + [key], userInfo: userInfo)
  }
}

private struct IndexKey: CodingKey {
  var stringValue: String
  var intValue: Int?
  init(stringValue: String) {
    self.stringValue = stringValue
    intValue = Int(stringValue)
  }
  init(intValue: Int) {
    stringValue = String(intValue)
    self.intValue = intValue
  }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
  let elements: [JSONValue]
  let codingPath: [any CodingKey]
  let userInfo: [CodingUserInfoKey: Any]
  var currentIndex = 0

  init(elements: [JSONValue], codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
    self.elements = elements
    self.codingPath = codingPath
    self.userInfo = userInfo
  }

  var count: Int? { elements.count }
  var isAtEnd: Bool { currentIndex >= elements.count }

  private mutating func next() throws -> (JSONValue, [any CodingKey]) {
    guard !isAtEnd else {
      throw DecodingError.valueNotFound(
        JSONValue.self, .init(codingPath: codingPath, debugDescription: "the list has only \(elements.count) elements"))
    }
    defer { currentIndex += 1 }
    return (elements[currentIndex], codingPath + [IndexKey(intValue: currentIndex)])
  }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd, elements[currentIndex].isNull else { return false }
    currentIndex += 1
    return true
  }

  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
    let (value, path) = try next()
    switch type {
    case is Bool.Type, is String.Type, is Int.Type, is Double.Type, is Float.Type, is JSONValue.Type:
      return try decodeScalar(type, value, path)
    default:
      return try T(from: ValueDecoder(value: value, codingPath: path, userInfo: userInfo))
    }
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    let (value, path) = try next()
    return try ValueDecoder(value: value, codingPath: path, userInfo: userInfo).container(keyedBy: type)
  }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
    let (value, path) = try next()
    return try ValueDecoder(value: value, codingPath: path, userInfo: userInfo).unkeyedContainer()
  }

  mutating func superDecoder() throws -> any Decoder {
    let (value, path) = try next()
    return ValueDecoder(value: value, codingPath: path, userInfo: userInfo)
  }
}

private struct SingleContainer: SingleValueDecodingContainer {
  let value: JSONValue
  let codingPath: [any CodingKey]
  let userInfo: [CodingUserInfoKey: Any]

  func decodeNil() -> Bool { value.isNull }

  func decode<T: Decodable>(_ type: T.Type) throws -> T {
    switch type {
    case is Bool.Type, is String.Type, is Int.Type, is Double.Type, is Float.Type, is JSONValue.Type:
      return try decodeScalar(type, value, codingPath)
    default:
      return try T(from: ValueDecoder(value: value, codingPath: codingPath, userInfo: userInfo))
    }
  }
}

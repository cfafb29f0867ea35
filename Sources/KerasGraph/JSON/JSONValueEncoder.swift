/// Encodes `Encodable` values into a `JSONValue`, writing Swift property names as snake_case keys
/// (`kernelSize` writes `kernel_size`) in declaration order. The native format stores every layer kind's config
/// this way, and `JSONValueDecoder` reads it back.
public struct JSONValueEncoder {
  public init() {}

  /// Encodes `value`.
  /// - Throws: `EncodingError` when the value has nothing to encode.
  public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
    let root = EncodedNode()
    try value.encode(to: ValueEncoder(node: root, codingPath: []))
    guard let result = root.value else {
      throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "nothing was encoded"))
    }
    return result
  }
}

/// A value under construction: a scalar, or an object or list whose members are filled in later.
private final class EncodedNode {
  enum Content {
    case empty
    case scalar(JSONValue)
    case object([(String, EncodedNode)])
    case array([EncodedNode])
  }
  var content: Content = .empty

  var value: JSONValue? {
    switch content {
    case .empty: return nil
    case .scalar(let value): return value
    case .object(let members):
      return .object(JSONObject(members.compactMap { key, node in node.value.map { JSONMember(key: key, value: $0) } }))
    case .array(let elements): return .array(elements.map { $0.value ?? .null })
    }
  }

  func addMember(_ key: String) -> EncodedNode {
    let node = EncodedNode()
    if case .object(var members) = content {
      members.removeAll { $0.0 == key }
      members.append((key, node))
      content = .object(members)
    } else {
      content = .object([(key, node)])
    }
    return node
  }

  func addElement() -> EncodedNode {
    let node = EncodedNode()
    if case .array(var elements) = content {
      elements.append(node)
      content = .array(elements)
    } else {
      content = .array([node])
    }
    return node
  }
}

private func scalar<T: Encodable>(_ value: T) -> JSONValue? {
  switch value {
  case let flag as Bool: return .bool(flag)
  case let text as String: return .string(text)
  case let number as Int: return .int(number)
  case let number as Float: return .float(number)
  case let number as Double: return .double(number)
  case let json as JSONValue: return json
  default: return nil
  }
}

private struct ValueEncoder: Encoder {
  let node: EncodedNode
  let codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    if case .object = node.content {} else { node.content = .object([]) }
    return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    if case .array = node.content {} else { node.content = .array([]) }
    return UnkeyedContainer(node: node, codingPath: codingPath)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    SingleContainer(node: node, codingPath: codingPath)
  }
}

private func encodeValue<T: Encodable>(_ value: T, into node: EncodedNode, path: [any CodingKey]) throws {
  if let json = scalar(value) {
    node.content = .scalar(json)
  } else {
    try value.encode(to: ValueEncoder(node: node, codingPath: path))
  }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let node: EncodedNode
  let codingPath: [any CodingKey]

  mutating func encodeNil(forKey key: Key) throws {
    node.addMember(snakeCased(key.stringValue)).content = .scalar(.null)
  }

  mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
    try encodeValue(value, into: node.addMember(snakeCased(key.stringValue)), path: codingPath + [key])
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
    -> KeyedEncodingContainer<NestedKey>
  {
    ValueEncoder(node: node.addMember(snakeCased(key.stringValue)), codingPath: codingPath + [key])
      .container(keyedBy: keyType)
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    ValueEncoder(node: node.addMember(snakeCased(key.stringValue)), codingPath: codingPath + [key]).unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder { ValueEncoder(node: node, codingPath: codingPath) }

  mutating func superEncoder(forKey key: Key) -> any Encoder {
    ValueEncoder(node: node.addMember(snakeCased(key.stringValue)), codingPath: codingPath + [key])
  }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
  let node: EncodedNode
  let codingPath: [any CodingKey]
  var count: Int {
    if case .array(let elements) = node.content { return elements.count }
    return 0
  }

  mutating func encodeNil() throws { node.addElement().content = .scalar(.null) }

  mutating func encode<T: Encodable>(_ value: T) throws {
    try encodeValue(value, into: node.addElement(), path: codingPath)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
    -> KeyedEncodingContainer<NestedKey>
  {
    ValueEncoder(node: node.addElement(), codingPath: codingPath).container(keyedBy: keyType)
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    ValueEncoder(node: node.addElement(), codingPath: codingPath).unkeyedContainer()
  }

  mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.addElement(), codingPath: codingPath) }
}

private struct SingleContainer: SingleValueEncodingContainer {
  let node: EncodedNode
  let codingPath: [any CodingKey]

  mutating func encodeNil() throws { node.content = .scalar(.null) }

  mutating func encode<T: Encodable>(_ value: T) throws {
    try encodeValue(value, into: node, path: codingPath)
  }
}

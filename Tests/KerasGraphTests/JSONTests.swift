import Foundation
import KerasGraph
import Testing

@Suite("The one JSON stack: parser, value, writer, Codable coder")
struct JSONTests {
  @Test("numbers keep their text and members their order; 1 equals 1.0")
  func textAndOrder() throws {
    let value = try JSONValue.parseStrict(#"{"b": 0.1, "a": 1, "c": [1.0, -2e3]}"#)
    #expect(value.object?.keys == ["b", "a", "c"])
    #expect(value.compactText == #"{"b":0.1,"a":1,"c":[1.0,-2e3]}"#)
    #expect(value["a"] == .int(1))
    #expect(value["c"]?[0] == .int(1))
    #expect(value["b"]?.number == 0.1)
    // A Float written by the value's builder reads back as the same Float, through its text.
    let float: Float = 0.1
    guard case .number(let number) = JSONValue.float(float) else { throw JSONParseError(offset: 0, detail: "") }
    #expect(number.float == float)
  }

  @Test("Keras configs may hold Python's NaN and Infinity; strict JSON may not")
  func nonFinite() throws {
    let text = #"{"x": NaN, "y": -Infinity, "z": Infinity}"#
    let keras = try JSONValue.parse(Data(text.utf8))
    #expect(keras["x"]?.number?.isNaN == true)
    #expect(keras["y"]?.number == -.infinity)
    #expect(throws: JSONParseError.self) { try JSONValue.parseStrict(text) }
    // The writer never writes a literal strict JSON lacks.
    #expect(!keras.compactText.contains("NaN"))
  }

  @Test("malformed text is refused with the byte offset: duplicates, bad UTF-8, lone surrogates, deep nesting")
  func refused() throws {
    for text in [#"{"a": 1, "a": 2}"#, #"["\ud800"]"#, "[1,]", "{\"a\" 1}", String(repeating: "[", count: 600)] {
      #expect(throws: JSONParseError.self, "\(text.prefix(20))") { try JSONValue.parseStrict(text) }
    }
    let invalidUTF8 = Data([0x22, 0xC3, 0x28, 0x22])
    #expect(throws: JSONParseError.self) { try JSONValue.parse(invalidUTF8) }
  }

  @Test("Codable values round-trip through JSONValue with snake_case keys")
  func codable() throws {
    struct Sample: Codable, Equatable {
      var kernelSize: [Int]
      var useBias: Bool
      var epsilon: Float
      var name: String?
    }
    let sample = Sample(kernelSize: [3, 3], useBias: true, epsilon: 1e-3, name: nil)
    let encoded = try JSONValueEncoder().encode(sample)
    #expect(encoded.object?.keys == ["kernel_size", "use_bias", "epsilon"])
    #expect(try JSONValueDecoder().decode(Sample.self, from: encoded) == sample)
    #expect(throws: DecodingError.self) {
      try JSONValueDecoder().decode(Sample.self, from: try JSONValue.parseStrict(#"{"kernel_size": 3}"#))
    }
  }
}

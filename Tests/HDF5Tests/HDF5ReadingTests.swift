import Foundation
import HDF5
import TestSupport
import Testing

private func expected() throws -> [String: Any] {
  let data = try Data(contentsOf: FixtureFolder.hdf5.url("kinds.expected.json"))
  return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

private func kindsFile() throws -> File {
  try File(path: fixturePath("kinds.h5", in: .hdf5))
}

@Suite("HDF5 attributes")
struct HDF5AttributeTests {
  @Test("variable- and fixed-length strings, scalars and arrays")
  func strings() throws {
    let root = try kindsFile().root
    let reference = try expected()
    #expect(try root.stringAttribute("vlen_string") == reference["vlen_string"] as? String)
    #expect(try root.stringAttribute("fixed_string") == reference["fixed_string"] as? String)
    #expect(try root.attribute("fixed_string_array").stringArray == reference["fixed_string_array"] as? [String])
    #expect(try root.attribute("vlen_string_array").stringArray == reference["vlen_string_array"] as? [String])
    guard case .strings(_, let isScalar) = try root.attribute("vlen_string") else {
      Issue.record("vlen_string is not a string attribute")
      return
    }
    #expect(isScalar)
  }

  @Test("numeric attributes")
  func numbers() throws {
    let root = try kindsFile().root
    #expect(try root.attribute("int_scalar") == .integers([42], shape: []))
    #expect(try root.attribute("float_array") == .floats([0.5, 1.5, -2.0], shape: [3]))
  }

  @Test("attributes split into name0, name1, ... are joined in order")
  func splitAttributes() throws {
    let root = try kindsFile().root
    #expect(!root.hasAttribute("split_names"))
    #expect(root.hasAttribute("split_names0") && root.hasAttribute("split_names1"))
    let names = try root.chunkedStringArrayAttribute("split_names")
    #expect(names == (try expected()["split_names"] as? [String]))
    #expect(names.count == 400)
  }

  @Test("listing attributes and members, missing objects")
  func listing() throws {
    let file = try kindsFile()
    let root = try file.root
    #expect(try root.attributeNames().contains("vlen_string"))
    #expect(
      try file.group("group").memberNames() == ["float16", "float32", "float64", "inner", "int64", "scalar", "strings"])
    #expect(root.memberKind("group") == .group)
    #expect(root.memberKind("group/float32") == .dataset)
    #expect(root.memberKind("group/nothing/deeper") == nil)
    #expect(throws: HDF5Error.missingObject(file: file.path, path: "/nothing")) { try root.group("nothing") }
    #expect(throws: HDF5Error.self) { try root.attribute("no_such_attribute") }
    #expect(try file.group("group/inner").stringAttribute("note") == "inner group")
  }
}

@Suite("HDF5 datasets")
struct HDF5DatasetTests {
  @Test(
    "float32, float16, float64 and int64 datasets read as Float32",
    arguments: ["float32", "float16", "float64", "int64"])
  func numericDatasets(name: String) throws {
    let dataset = try kindsFile().group("group").dataset(name)
    let reference = try #require(try expected()[name] as? [String: Any])
    #expect(dataset.shape == reference["shape"] as? [Int])
    let values = try dataset.readFloats()
    let expectedValues = try #require(reference["values"] as? [Double]).map(Float.init)
    // The fixture stores exactly these values (float16/float64 converted by numpy), so conversion is exact.
    #expect(values == expectedValues)
  }

  @Test("element types and scalars")
  func types() throws {
    let group = try kindsFile().group("group")
    #expect(try group.dataset("float16").elementType == .float(bits: 16))
    #expect(try group.dataset("float64").elementType == .float(bits: 64))
    #expect(try group.dataset("int64").elementType == .integer(bits: 64, signed: true))
    let scalar = try group.dataset("scalar")
    #expect(scalar.shape == [] && scalar.elementCount == 1)
    #expect(try scalar.readFloats() == [3.25])
  }

  @Test("a string dataset is refused with a clear error")
  func strings() throws {
    let dataset = try kindsFile().group("group").dataset("strings")
    #expect(throws: HDF5Error.self) { try dataset.readFloats() }
  }

  @Test("the element limit refuses oversized datasets before allocating")
  func limit() throws {
    let dataset = try kindsFile().group("group").dataset("float32")
    #expect(throws: HDF5Error.tooLarge(file: dataset.file.path, path: dataset.path, elements: 24, limit: 10)) {
      try dataset.readFloats(maxElements: 10)
    }
  }
}

@Suite("HDF5 files")
struct HDF5FileTests {
  private func temporaryFile(_ bytes: [UInt8]) throws -> String {
    let path = temporaryPath(".h5")
    try write(bytes, to: path)
    return path
  }

  @Test("missing file, non-HDF5 file, truncated file")
  func badFiles() throws {
    #expect(throws: HDF5Error.fileNotFound(file: "/no/such/file.h5")) { try File(path: "/no/such/file.h5") }
    let text = try temporaryFile(Array("this is not HDF5".utf8))
    defer { try? FileManager.default.removeItem(atPath: text) }
    #expect(throws: HDF5Error.notHDF5(file: text)) { try File(path: text) }
    let original = try Data(contentsOf: FixtureFolder.hdf5.url("kinds.h5"))
    let truncated = try temporaryFile(Array(original.prefix(original.count / 3)))
    defer { try? FileManager.default.removeItem(atPath: truncated) }
    #expect(throws: HDF5Error.self) {
      let file = try File(path: truncated)
      _ = try file.group("group").dataset("float32").readFloats()
      _ = try file.root.chunkedStringArrayAttribute("split_names")
    }
  }

  @Test("an in-memory image reads like the file")
  func memoryImage() throws {
    let bytes = try Data(contentsOf: FixtureFolder.hdf5.url("kinds.h5"))
    let file = try File(image: bytes, name: "memory:kinds.h5")
    #expect(try file.group("group").dataset("float32").readFloats().count == 24)
    #expect(throws: HDF5Error.notHDF5(file: "junk")) { try File(image: Data([1, 2, 3]), name: "junk") }
  }

  @Test("error messages name the file and object")
  func messages() {
    let error = HDF5Error.missingObject(file: "m.h5", path: "/model_weights/conv")
    #expect(error.description.contains("m.h5") && error.description.contains("/model_weights/conv"))
  }
}

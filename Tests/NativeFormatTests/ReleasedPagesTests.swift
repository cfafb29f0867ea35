import Foundation
import KerasGraph
import KerasReaders
import KerasRuntime
import NativeFormat
import TestSupport
import Testing

@Suite("A native file's weight pages are given back after a plan is built")
struct ReleasedPagesTests {
  /// The resident kilobytes of the mapping holding `address` (`Rss:` of its `/proc/self/smaps` entry), or nil where
  /// that file does not exist (not Linux).
  private func residentKilobytes(ofMappingHolding address: UnsafeRawPointer) -> Int? {
    // /proc files report a size of 0: read to the end rather than by size.
    guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps"),
      let data = try? handle.readToEnd(), let text = String(data: data, encoding: .utf8)
    else { return nil }
    let target = UInt(bitPattern: address)
    var inside = false
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
        let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
        inside = bounds.count == 2 && bounds[0] <= target && target < bounds[1]
      } else if inside, fields.first == "Rss:", fields.count > 1 {
        return Int(fields[1])
      }
    }
    return nil
  }

  @Test("plans built after the release read the weights again and give the .h5's outputs")
  func rebuildAfterRelease() throws {
    let scratch = try ScratchFolder("released")
    defer { scratch.cleanUp() }
    let original = try KerasModelFile.load(path: fixturePath("inception_v3_narrow.h5"))
    let path = scratch.path("model.safetensors")
    try NativeModelFile.write(original, to: path)
    let native = try NativeModelFile.load(path: path)
    #expect(native.layers.flatMap(\.weights).contains { $0.values.releasableStorage != nil })
    let input = try fixtureArray("inception_v3_narrow.input.npy")
    let reference = try CompiledModel(graph: original).predict([input])[0]
    // Touch every weight page, then build a plan: the build gives the pages back.
    let weights = native.layers.flatMap(\.weights)
    var checksum: Float = 0
    for weight in weights { checksum += weight.values.buffer.reduce(0, +) }
    let largest = try #require(weights.max { $0.elementCount < $1.elementCount })
    let address = UnsafeRawPointer(largest.values.baseAddress)
    let touched = residentKilobytes(ofMappingHolding: address)
    let model = CompiledModel(graph: native)
    let first = try model.predict([input])[0]
    if let touched, let released = residentKilobytes(ofMappingHolding: address) {
      // The narrow model's file is about 1 MB; after the build none of it needs to stay resident.
      #expect(touched > 256 && released < touched / 4, "resident KiB of the mapping: \(touched) -> \(released)")
    }
    expectAllClose(first, reference, rtol: 0, atol: 0, "the native model's output (the same primitives)")
    // A plan for another batch size reads the (released) weights again.
    let batch = try Tensor.concatenatingBatches([input, input])
    let second = try model.predict([batch])[0]
    expectAllClose(try second.sample(0), try reference.sample(0), rtol: 1e-5, atol: 1e-6, "after the release")
    var again: Float = 0
    for weight in weights { again += weight.values.buffer.reduce(0, +) }
    #expect(again == checksum, "the weights read back from the file are the same")
  }
}

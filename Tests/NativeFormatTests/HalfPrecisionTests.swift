import Foundation
import KerasVis
import TestSupport
import Testing

@testable import NativeFormat

@Suite("float16 and bfloat16 storage")
struct HalfPrecisionTests {
  #if !(os(macOS) && arch(x86_64))
    @Test("binary16 to Float32 is exact for all 65536 bit patterns (checked against Swift's Float16)")
    func halfToFloat() {
      for bits in UInt16.min...UInt16.max {
        let expected = Float(Float16(bitPattern: bits))
        let actual = HalfPrecision.float(halfBits: bits)
        if expected.isNaN {
          #expect(actual.isNaN)
        } else {
          #expect(actual.bitPattern == expected.bitPattern, "bits \(String(bits, radix: 16))")
        }
      }
    }

    @Test("Float32 to binary16 rounds as Swift's Float16 does (ties to even, subnormals, overflow)")
    func floatToHalf() {
      var values: [Float] = [
        0, -0, 1, -1, 65504, 65519.996, 65520, 1e10, -1e10, .infinity, -.infinity, 0x1p-24, 0x1p-25, 0x1.8p-25,
        0x1p-26, 0x1.ffcp-15, 0x1p-14, 0x1.002p0, 0x1.006p0, 0x1.001p0, .leastNonzeroMagnitude,
        .greatestFiniteMagnitude,
      ]
      // Every binary16 value and the midpoints around it, then seeded random bit patterns.
      for bits in UInt16.min...UInt16.max {
        let value = Float(Float16(bitPattern: bits))
        guard value.isFinite else { continue }
        values += [value, value.nextUp, value.nextDown]
        values.append(Float(bitPattern: value.bitPattern &+ 0x1000))
      }
      var generator = SeededGenerator(state: 42)
      for _ in 0..<200_000 {
        values.append(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next() >> 32)))
      }
      var mismatches = 0
      for value in values {
        let expected = Float16(value)
        let actual = HalfPrecision.halfBits(value)
        let same = expected.isNaN ? Float16(bitPattern: actual).isNaN : actual == expected.bitPattern
        if !same {
          mismatches += 1
          if mismatches < 5 {
            Issue.record("\(value): \(String(actual, radix: 16)) vs \(String(expected.bitPattern, radix: 16))")
          }
        }
      }
      #expect(mismatches == 0)
    }
  #endif

  @Test("bfloat16 rounds to nearest even and converts back exactly")
  func bfloat16() {
    #expect(HalfPrecision.bfloat16Bits(1) == 0x3F80)
    #expect(HalfPrecision.float(bfloat16Bits: 0x3F80) == 1)
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to the even mantissa (1); just above rounds up.
    #expect(HalfPrecision.bfloat16Bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)
    #expect(HalfPrecision.bfloat16Bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
    #expect(HalfPrecision.bfloat16Bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
    #expect(HalfPrecision.float(bfloat16Bits: HalfPrecision.bfloat16Bits(.nan)).isNaN)
    #expect(HalfPrecision.float(bfloat16Bits: HalfPrecision.bfloat16Bits(-.infinity)) == -.infinity)
  }

  #if !(os(macOS) && arch(x86_64))
    @Test("--dtype float16: every weight is the nearest binary16 of the original", arguments: fixtureModels)
    func float16Weights(fixture: FixtureModel) throws {
      let scratch = try ScratchFolder()
      defer { scratch.cleanUp() }
      let original = try fixture.load()
      let path = scratch.path("half.safetensors")
      try NativeModelFile.write(original, to: path, options: NativeWriteOptions(dtype: .float16))
      #expect(try NativeModelFile.header(path: path).tensors.allSatisfy { $0.dtype == .float16 })
      let loaded = try NativeModelFile.load(path: path)
      let pairs = zip(allWeights(original), allWeights(loaded))
      #expect(allWeights(original).count == allWeights(loaded).count)
      for ((name, a), (_, b)) in pairs {
        #expect(a.shape == b.shape)
        let rounded = a.values.array.map { Float(Float16($0)) }
        #expect(rounded.elementsEqual(b.values.array) { $0.bitPattern == $1.bitPattern }, "\(fixture.file): \(name)")
      }
    }
  #endif

  // binary16 keeps 11 significant bits (relative rounding error <= 2^-11 ~ 4.9e-4 per weight), bfloat16 keeps 8
  // (<= 2^-8 ~ 3.9e-3). Measured on these fixtures, the largest |a - b| / (1 + |b|) between the outputs of the
  // converted model and of the .h5 is 6.3e-4 for float16 and 6.5e-3 for bfloat16 (nested_mobilenet.h5); the bounds
  // are about three times that: 2e-3 and 2e-2. A wrong conversion (byte order, truncation, a swapped exponent)
  // moves outputs by O(1).
  @Test("--dtype float16 and bfloat16: predictions stay close to the .h5's", arguments: fixtureModels)
  func halfPrecisionPredictions(fixture: FixtureModel) throws {
    let scratch = try ScratchFolder()
    defer { scratch.cleanUp() }
    let original = try fixture.load()
    let inputs = try fixture.outputs.map(fixtureInputs) ?? seededInputs(for: original)
    let expected = try CompiledModel(graph: original).predict(inputs)
    for (dtype, tolerance) in [(NativeDType.float16, Float(2e-3)), (.bfloat16, 2e-2)] {
      let path = scratch.path("\(dtype.rawValue).safetensors")
      try NativeModelFile.write(original, to: path, options: NativeWriteOptions(dtype: dtype))
      let actual = try CompiledModel(graph: try NativeModelFile.load(path: path)).predict(inputs)
      for (a, b) in zip(actual, expected) {
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
        #expect(worst <= tolerance, "\(fixture.file) \(dtype.rawValue): largest |a - b| / (1 + |b|) is \(worst)")
      }
    }
  }
}

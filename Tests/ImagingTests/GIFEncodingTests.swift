import Foundation
import Testing

@testable import Imaging

/// A GIF LZW decoder written from the GIF89a specification, to check the encoder's output round-trips.
private func lzwDecode(_ bytes: [UInt8], minimumCodeSize: Int) -> [UInt8] {
  let clear = 1 << minimumCodeSize, end = clear + 1
  var table: [[UInt8]] = [], width = minimumCodeSize + 1, output: [UInt8] = []
  var previous: [UInt8]?, bitPosition = 0
  func reset() {
    table = (0..<clear).map { [UInt8($0)] } + [[], []]
    width = minimumCodeSize + 1
    previous = nil
  }
  reset()
  while bitPosition + width <= bytes.count * 8 {
    var code = 0
    for bit in 0..<width where bytes[(bitPosition + bit) / 8] & (1 << ((bitPosition + bit) % 8)) != 0 {
      code |= 1 << bit
    }
    bitPosition += width
    if code == clear {
      reset()
      continue
    }
    if code == end { break }
    let entry: [UInt8]
    if code < table.count {
      entry = table[code]
      if let previous, table.count < 4096 { table.append(previous + [entry[0]]) }
    } else if let previous {
      entry = previous + [previous[0]]
      table.append(entry)
    } else {
      return output
    }
    output += entry
    previous = entry
    if table.count == (1 << width) && width < 12 { width += 1 }
  }
  return output
}

@Suite("GIF encoding")
struct GIFEncodingTests {
  @Test func lzwRoundTrips() {
    var state: UInt64 = 42
    // Long and repetitive enough to fill the 4096-entry table and clear it.
    let symbols = (0..<60_000).map { i -> UInt8 in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return i % 3 == 0 ? UInt8(state >> 56) : UInt8(i % 7)
    }
    #expect(lzwDecode(GIFEncoder.lzw(symbols, minimumCodeSize: 8), minimumCodeSize: 8) == symbols)
    #expect(lzwDecode(GIFEncoder.lzw([5], minimumCodeSize: 8), minimumCodeSize: 8) == [5])
  }

  @Test func headerFramesAndPalette() throws {
    let frames = try (0..<3).map { n in
      try Image(width: 5, height: 4, format: .rgb, pixels: (0..<60).map { UInt8(($0 * 17 + n * 40) % 256) })
    }
    let data = [UInt8](try GIFEncoder.data(frames: frames, delay: 7))
    #expect(Array(data.prefix(6)) == Array("GIF89a".utf8))
    #expect(data[6] == 5 && data[8] == 4 && data[10] == 0xF7)
    #expect(data.last == 0x3B)
    // Frames: one image descriptor (0x2C) after each graphic control extension (0x21 0xF9).
    let controls = (0..<(data.count - 1)).filter { data[$0] == 0x21 && data[$0 + 1] == 0xF9 }
    #expect(controls.count == 3)
    #expect(controls.allSatisfy { data[$0 + 8] == 0x2C })
    // The palette entry chosen for a colour is the nearest cube colour (green levels are 255 * g / 6: 127 for 3).
    let index = Int(GIFEncoder.index(255, 128, 0))
    #expect(Array(GIFEncoder.palette[(index * 3)..<(index * 3 + 3)]) == [255, 127, 0])
    #expect(throws: ImagingError.self) { try GIFEncoder.data(frames: []) }
  }
}

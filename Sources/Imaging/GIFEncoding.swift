import Foundation

/// An animated GIF89a (the GIF89a specification, CompuServe 1990) of equally sized frames, quantized to a fixed
/// 6x7x6 RGB colour cube (252 colours: 6 levels of red and blue, 7 of green), LZW-compressed, looping forever
/// (the NETSCAPE2.0 application extension).
public enum GIFEncoder {
  /// The palette: index `(r * 7 + g) * 6 + b` is `(r * 255 / 5, g * 255 / 6, b * 255 / 5)`; 4 black entries pad it to 256.
  static let palette: [UInt8] = {
    var colours: [UInt8] = []
    for r in 0..<6 {
      for g in 0..<7 {
        for b in 0..<6 { colours += [UInt8(r * 255 / 5), UInt8(g * 255 / 6), UInt8(b * 255 / 5)] }
      }
    }
    return colours + [UInt8](repeating: 0, count: (256 - 252) * 3)
  }()

  /// The palette index nearest to a colour (per channel).
  static func index(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
    func level(_ v: UInt8, _ levels: Int) -> Int { (Int(v) * (levels - 1) + 127) / 255 }
    return UInt8((level(r, 6) * 7 + level(g, 7)) * 6 + level(b, 6))
  }

  /// The GIF file of `frames` (all one size; gray frames are drawn as gray RGB), `delay` hundredths of a second each.
  /// - Throws: ``ImagingError/invalidArgument(_:)`` without frames or with frames of different sizes.
  public static func data(frames: [Image], delay: Int = 10) throws -> Data {
    guard let first = frames.first else { throw ImagingError.invalidArgument("a GIF needs at least one frame") }
    guard frames.allSatisfy({ $0.width == first.width && $0.height == first.height }),
      first.width <= 0xFFFF, first.height <= 0xFFFF
    else { throw ImagingError.invalidArgument("GIF frames must have one size, at most 65535 pixels a side") }
    var out = Data("GIF89a".utf8)
    func word(_ v: Int) { out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    word(first.width)
    word(first.height)
    out += [0xF7, 0, 0]  // global colour table of 256 entries, 8 bits per primary
    out += palette
    out += [0x21, 0xFF, 11] + Array("NETSCAPE2.0".utf8) + [3, 1, 0, 0, 0]
    for frame in frames {
      out += [0x21, 0xF9, 4, 0]  // graphic control extension: no disposal, no transparency
      word(delay)
      out += [0, 0]
      out += [0x2C]
      word(0)
      word(0)
      word(frame.width)
      word(frame.height)
      out += [0]
      let channels = frame.channels, pixels = frame.pixels
      let indices = (0..<(frame.width * frame.height)).map { p -> UInt8 in
        let base = p * channels
        return channels >= 3
          ? index(pixels[base], pixels[base + 1], pixels[base + 2])
          : index(pixels[base], pixels[base], pixels[base])
      }
      out += [8]
      let compressed = lzw(indices, minimumCodeSize: 8)
      for start in stride(from: 0, to: compressed.count, by: 255) {
        let chunk = compressed[start..<min(start + 255, compressed.count)]
        out += [UInt8(chunk.count)] + chunk
      }
      out += [0]
    }
    out += [0x3B]
    return out
  }

  /// Writes ``data(frames:delay:)`` to `path`.
  public static func write(frames: [Image], delay: Int = 10, toFile path: String) throws {
    do {
      try data(frames: frames, delay: delay).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch let error as ImagingError {
      throw error
    } catch {
      throw ImagingError.unwritableFile(path: path, reason: error.localizedDescription)
    }
  }

  /// GIF's variable-width LZW: codes from `minimumCodeSize + 1` to 12 bits, least significant bit first, a clear
  /// code first and whenever the table is full, an end code last.
  static func lzw(_ symbols: [UInt8], minimumCodeSize: Int) -> [UInt8] {
    let clear = 1 << minimumCodeSize, end = clear + 1
    var table: [Int: Int] = [:]  // (prefix code << 8 | symbol) -> code
    var next = end + 1, width = minimumCodeSize + 1
    var bytes: [UInt8] = [], buffer = 0, bits = 0
    func emit(_ code: Int) {
      buffer |= code << bits
      bits += width
      while bits >= 8 {
        bytes.append(UInt8(buffer & 0xFF))
        buffer >>= 8
        bits -= 8
      }
    }
    emit(clear)
    var prefix: Int?
    for symbol in symbols {
      guard let current = prefix else {
        prefix = Int(symbol)
        continue
      }
      let key = current << 8 | Int(symbol)
      if let code = table[key] {
        prefix = code
        continue
      }
      emit(current)
      if next < 4096 {
        table[key] = next
        next += 1
        // The decoder widens once the next code it will add no longer fits.
        if next > (1 << width) && width < 12 { width += 1 }
      } else {
        emit(clear)
        table.removeAll(keepingCapacity: true)
        next = end + 1
        width = minimumCodeSize + 1
      }
      prefix = Int(symbol)
    }
    if let prefix { emit(prefix) }
    emit(end)
    if bits > 0 { bytes.append(UInt8(buffer & 0xFF)) }
    return bytes
  }
}

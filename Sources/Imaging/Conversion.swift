/// The `color_mode` argument of Keras's `load_img`.
public enum ColorMode: String, Sendable, Equatable, CaseIterable {
  /// One channel. 8-bit and 16-bit grayscale images are kept as they are; everything else becomes Pillow `L`.
  case grayscale
  /// Three channels (Pillow `RGB`); alpha is dropped, gray is replicated.
  case rgb
  /// Four channels (Pillow `RGBA`); a tRNS colour or palette alpha becomes the alpha channel.
  case rgba
}

/// Pillow's ITU-R 601-2 luma in 16.16 fixed point: `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`.
///
/// This is what Pillow's `convert("L")` computes (its documentation states `R*299/1000 + G*587/1000 + B*114/1000`,
/// which differs from the fixed-point result for some colours).
@inline(__always)
func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
  let red: Int = Int(r) * 19595
  let green: Int = Int(g) * 38470
  let blue: Int = Int(b) * 7471
  return UInt8((red + green + blue + 0x8000) >> 16)
}

/// Pillow's `I;16` to 8-bit rule: values above 255 become 255 (clipping, not scaling).
@inline(__always)
func clipGray16(_ v: UInt16) -> UInt8 {
  v > 255 ? 255 : UInt8(v)
}

extension DecodedImage {
  /// The image converted as Pillow's `Image.convert` does for `"L"` (``PixelFormat/gray``), `"LA"`, `"RGB"` or
  /// `"RGBA"`, including Pillow's transparency rules:
  ///
  /// - RGB to L uses Pillow's fixed-point luma (see `luma`); RGBA to RGB drops alpha without compositing.
  /// - A palette image's tRNS alpha appears in RGBA and LA only.
  /// - A gray or RGB image's tRNS colour becomes alpha 0 in RGBA (compared on the low byte of the tRNS value,
  ///   as Pillow does).
  /// - 16-bit grayscale (`I;16`) is clipped to 255, not scaled.
  public func converted(to target: PixelFormat) -> Image {
    let count = width * height
    var out = [UInt8](repeating: 0, count: count * target.channels)
    func put(_ i: Int, _ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8) {
      switch target {
      case .gray: out[i] = luma(r, g, b)
      case .grayAlpha:
        out[2 * i] = luma(r, g, b)
        out[2 * i + 1] = a
      case .rgb:
        out[3 * i] = r
        out[3 * i + 1] = g
        out[3 * i + 2] = b
      case .rgba:
        out[4 * i] = r
        out[4 * i + 1] = g
        out[4 * i + 2] = b
        out[4 * i + 3] = a
      }
    }
    // Pillow's tRNS-colour-to-alpha compares the converted pixel with the low bytes of the tRNS values.
    let key = transparentColor.map {
      (UInt8(truncatingIfNeeded: $0.0), UInt8(truncatingIfNeeded: $0.1), UInt8(truncatingIfNeeded: $0.2))
    }
    let keyed = key != nil && (target == .rgba || target == .grayAlpha)
    switch mode {
    case .bilevel, .gray:
      for i in 0..<count {
        let v = samples8[i]
        if target == .gray {
          out[i] = v
        } else {
          let a: UInt8 = keyed && key?.0 == v ? 0 : 255
          put(i, v, v, v, a)
        }
      }
    case .gray16:
      for i in 0..<count {
        let v = clipGray16(samples16[i])
        if target == .gray {
          out[i] = v
        } else {
          let a: UInt8 = keyed && key.map { $0 == (v, v, v) } == true ? 0 : 255
          put(i, v, v, v, a)
        }
      }
    case .grayAlpha:
      for i in 0..<count {
        let v = samples8[2 * i]
        if target == .gray {
          out[i] = v
        } else if target == .grayAlpha {
          out[2 * i] = v
          out[2 * i + 1] = samples8[2 * i + 1]
        } else {
          put(i, v, v, v, samples8[2 * i + 1])
        }
      }
    case .rgb:
      for i in 0..<count {
        let r = samples8[3 * i], g = samples8[3 * i + 1], b = samples8[3 * i + 2]
        var a: UInt8 = 255
        if keyed, let key, key == (r, g, b) { a = 0 }
        put(i, r, g, b, a)
      }
    case .rgba:
      for i in 0..<count {
        put(i, samples8[4 * i], samples8[4 * i + 1], samples8[4 * i + 2], samples8[4 * i + 3])
      }
    case .palette:
      for i in 0..<count {
        let p = Int(samples8[i]) * 4
        let alpha = target == .rgba || target == .grayAlpha ? paletteRGBA[p + 3] : 255
        put(i, paletteRGBA[p], paletteRGBA[p + 1], paletteRGBA[p + 2], alpha)
      }
    }
    return Image(unchecked: width, height: height, format: target, pixels: out)
  }

  /// The image in its natural 8-bit format: gray, gray + alpha, RGB or RGBA as stored; palette images become RGB,
  /// or RGBA when they carry tRNS alpha; 16-bit gray is clipped to 8 bits as Pillow does.
  public var image: Image {
    switch mode {
    case .bilevel, .gray, .gray16: return converted(to: .gray)
    case .grayAlpha: return converted(to: .grayAlpha)
    case .rgb: return converted(to: .rgb)
    case .rgba: return converted(to: .rgba)
    case .palette: return converted(to: hasTransparency ? .rgba : .rgb)
    }
  }
}

extension Image {
  /// The image converted as Pillow's `Image.convert` does between `L`, `LA`, `RGB` and `RGBA`:
  /// luma in Pillow's fixed point, alpha dropped without compositing, gray replicated, alpha 255 added.
  public func converted(to target: PixelFormat) -> Image {
    if target == format { return self }
    let count = width * height
    let n = channels
    var out = [UInt8](repeating: 0, count: count * target.channels)
    for i in 0..<count {
      let base = i * n
      let r: UInt8, g: UInt8, b: UInt8, a: UInt8
      switch format {
      case .gray: (r, g, b, a) = (pixels[base], pixels[base], pixels[base], 255)
      case .grayAlpha: (r, g, b, a) = (pixels[base], pixels[base], pixels[base], pixels[base + 1])
      case .rgb: (r, g, b, a) = (pixels[base], pixels[base + 1], pixels[base + 2], 255)
      case .rgba: (r, g, b, a) = (pixels[base], pixels[base + 1], pixels[base + 2], pixels[base + 3])
      }
      switch target {
      case .gray:
        out[i] = format == .grayAlpha ? r : luma(r, g, b)
      case .grayAlpha:
        out[2 * i] = format == .gray ? r : luma(r, g, b)
        out[2 * i + 1] = a
      case .rgb:
        out[3 * i] = r
        out[3 * i + 1] = g
        out[3 * i + 2] = b
      case .rgba:
        out[4 * i] = r
        out[4 * i + 1] = g
        out[4 * i + 2] = b
        out[4 * i + 3] = a
      }
    }
    return Image(unchecked: width, height: height, format: target, pixels: out)
  }

  /// Pillow's premultiplication (`RGBA` to `RGBa`, `LA` to `La`): `c * a / 255` rounded as Pillow's MULDIV255.
  func premultiplied() -> Image {
    guard format == .rgba || format == .grayAlpha else { return self }
    var out = pixels
    let n = channels
    for i in stride(from: 0, to: out.count, by: n) {
      let a = Int(out[i + n - 1])
      for c in 0..<(n - 1) {
        let t = Int(out[i + c]) * a + 128
        out[i + c] = UInt8(((t >> 8) + t) >> 8)
      }
    }
    return Image(unchecked: width, height: height, format: format, pixels: out)
  }

  /// Pillow's unpremultiplication (`RGBa` to `RGBA`): unchanged where alpha is 0 or 255, else
  /// `min(255, 255 * c / a)` in integer division.
  func unpremultiplied() -> Image {
    guard format == .rgba || format == .grayAlpha else { return self }
    var out = pixels
    let n = channels
    for i in stride(from: 0, to: out.count, by: n) {
      let a = Int(out[i + n - 1])
      if a == 0 || a == 255 { continue }
      for c in 0..<(n - 1) {
        out[i + c] = UInt8(min(255, 255 * Int(out[i + c]) / a))
      }
    }
    return Image(unchecked: width, height: height, format: format, pixels: out)
  }
}

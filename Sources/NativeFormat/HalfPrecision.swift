/// Conversions between Float32 and the 16-bit formats of the native file, written out so that they behave the
/// same on every platform (Swift's `Float16` is missing on Intel Macs).
enum HalfPrecision {
  /// The IEEE 754 binary16 bits nearest to `value` (ties to even; overflow gives infinity; NaN stays NaN).
  static func halfBits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x7F_FFFF
    if exponent == 0xFF {
      return sign | (mantissa == 0 ? 0x7C00 : 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13))
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 0x1F { return sign | 0x7C00 }
    if halfExponent <= 0 {
      // A binary16 subnormal (or zero): the value in units of 2^-24, rounded to nearest, ties to even.
      guard halfExponent >= -10 else { return sign }
      let full = mantissa | 0x80_0000
      let shift = UInt32(14 - halfExponent)
      var result = full >> shift
      let remainder = full & ((1 << shift) - 1)
      let halfway: UInt32 = 1 << (shift - 1)
      if remainder > halfway || (remainder == halfway && result & 1 == 1) { result += 1 }
      return sign | UInt16(truncatingIfNeeded: result)
    }
    var result = UInt32(halfExponent) << 10 | mantissa >> 13
    let remainder = mantissa & 0x1FFF
    if remainder > 0x1000 || (remainder == 0x1000 && result & 1 == 1) { result += 1 }
    return sign | UInt16(truncatingIfNeeded: result)
  }

  /// The Float32 value of binary16 `bits` (exact).
  static func float(halfBits bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
      let magnitude = Float(mantissa) * 0x1p-24
      return sign == 0 ? magnitude : -magnitude
    case 0x1F:
      return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
    default:
      return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }
  }

  /// The bfloat16 bits nearest to `value` (ties to even; NaN stays NaN).
  static func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
    let remainder = bits & 0xFFFF
    var upper = bits >> 16
    if remainder > 0x8000 || (remainder == 0x8000 && upper & 1 == 1) { upper += 1 }
    return UInt16(truncatingIfNeeded: upper)
  }

  /// The Float32 value of bfloat16 `bits` (exact).
  static func float(bfloat16Bits bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
  }
}

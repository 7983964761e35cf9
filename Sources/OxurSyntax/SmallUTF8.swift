// Swift small strings (up to 15 UTF-8 bytes inside the String value) read and made as two words.

/// The standard library keeps a String of up to 15 UTF-8 bytes in the String value itself, no
/// heap object: bytes 0–7 in the first word, bytes 8–14 in the low seven bytes of the second, and
/// in the second word's top byte the flags (immortal, ASCII, small) and the count. Making one from
/// bytes through the public initialisers costs 60–150 instructions (a closure, UTF-8 validation,
/// a byte loop); `str` of `"k" 123` and hashing a short key are mostly that. Here the two words are
/// assembled and read directly.
///
/// The layout is part of the standard library's stable ABI (inlinable code compiled into clients
/// depends on it), but nothing here takes that on trust: `isLayoutVerified` checks it once against
/// strings made by the public API, and every caller takes the public API when it is false.
public enum SmallUTF8 {
  @inlinable public static var capacity: Int { 15 }

  /// Flag bits of the second word of a small String (`_StringObject.Nibbles` in the stdlib).
  @inlinable static var smallFlag: UInt64 { 0x2000_0000_0000_0000 }
  @inlinable static var asciiFlag: UInt64 { 0x4000_0000_0000_0000 }
  @inlinable static var immortalFlag: UInt64 { 0x8000_0000_0000_0000 }
  /// The payload bytes of the second word: everything below the flags-and-count byte.
  @inlinable public static var payloadMask: UInt64 { 0x00FF_FFFF_FFFF_FFFF }

  /// True when this process's String has the layout described above (checked once, on first use).
  public static let isLayoutVerified: Bool = verifyLayout()

  /// `text`'s bytes as (first word, second word without flags), its byte count and whether it is
  /// all ASCII, when `text` is a small string; nil when it is stored out of line. Only meaningful
  /// when `isLayoutVerified`.
  @inlinable @inline(__always) public static func words(_ text: String) -> (
    low: UInt64, high: UInt64, count: Int, isASCII: Bool
  )? {
    #if _pointerBitWidth(_64) && _endian(little)
      let raw = unsafeBitCast(text, to: (UInt64, UInt64).self)
      guard raw.1 & smallFlag != 0 else { return nil }
      return (raw.0, raw.1 & payloadMask, Int(truncatingIfNeeded: (raw.1 &>> 56) & 0x0F), raw.1 & asciiFlag != 0)
    #else
      return nil
    #endif
  }

  /// The last byte of a small string read by `words` (its count must be 1–15; 0 otherwise).
  @inlinable @inline(__always) public static func lastByte(low: UInt64, high: UInt64, count: Int) -> UInt8 {
    guard count > 0 && count <= 15 else { return 0 }
    let word =
      count > 8
      ? high >> (8 &* UInt64(truncatingIfNeeded: count &- 9)) : low >> (8 &* UInt64(truncatingIfNeeded: count &- 1))
    return UInt8(truncatingIfNeeded: word)
  }

  /// The small String of `count` (at most 15) bytes held in `low` and `high` (bytes past `count`
  /// zero, `high`'s top byte zero). The bytes must be valid UTF-8 — concatenations of the bytes
  /// of valid strings and ASCII digits are — and `isASCII` must say truly whether all are below
  /// 0x80. Callers check `isLayoutVerified` first.
  @inlinable @inline(__always) public static func string(low: UInt64, high: UInt64, count: Int, isASCII: Bool) -> String
  {
    #if _pointerBitWidth(_64) && _endian(little)
      let flags = immortalFlag | smallFlag | (isASCII ? asciiFlag : 0)
      let second = (high & payloadMask) | flags | (UInt64(truncatingIfNeeded: count & 0x0F) &<< 56)
      return unsafeBitCast((low, second), to: String.self)
    #else
      return ""
    #endif
  }

  /// Compares the bits of strings made by the public API with the expected layout, then checks
  /// that strings made from words read back equal to them. Only bit patterns are read until the
  /// layout has matched, so a different layout is detected without making a bad String.
  private static func verifyLayout() -> Bool {
    #if _pointerBitWidth(_64) && _endian(little)
      guard MemoryLayout<String>.size == 16 else { return false }
      let samples: [([UInt8], UInt64, UInt64)] = [
        ([], 0, 0xE000_0000_0000_0000),
        ([0x61, 0x62, 0x63], 0x63_6261, 0xE300_0000_0000_0000),
        (Array("abcdefghijklmno".utf8), 0x6867_6665_6463_6261, 0xEF6F_6E6D_6C6B_6A69),
        ([0xC3, 0xA9], 0xA9C3, 0xA200_0000_0000_0000),
      ]
      for (bytes, low, high) in samples {
        let made = String(decoding: bytes, as: UTF8.self)
        let raw = unsafeBitCast(made, to: (UInt64, UInt64).self)
        guard raw.0 == low, raw.1 == high else { return false }
      }
      // Out-of-line strings must not look small.
      let large = String(decoding: Array(repeating: 0x61, count: 40), as: UTF8.self)
      guard words(large) == nil else { return false }
      for (bytes, _, _) in samples {
        guard let read = words(String(decoding: bytes, as: UTF8.self)), read.count == bytes.count else { return false }
        let made = string(low: read.low, high: read.high, count: read.count, isASCII: read.isASCII)
        guard made == String(decoding: bytes, as: UTF8.self), Array(made.utf8) == bytes else { return false }
      }
      return true
    #else
      return false
    #endif
  }
}

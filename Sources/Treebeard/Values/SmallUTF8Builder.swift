// A small Swift string assembled piece by piece in two words (`str`, `join`, decimal text).

import OxurSyntax

/// A small string under construction: bytes appended at the end, at most 15 in all.
struct SmallUTF8Builder {
  private(set) var low: UInt64 = 0
  private(set) var high: UInt64 = 0
  private(set) var count = 0
  private(set) var isASCII = true

  /// Appends `pieceCount` bytes held as `SmallUTF8.words` holds them (bytes past the count zero);
  /// false, with nothing changed, when the result would pass 15 bytes.
  @inline(__always) mutating func append(low pieceLow: UInt64, high pieceHigh: UInt64, count pieceCount: Int) -> Bool {
    let total = count &+ pieceCount
    guard pieceCount >= 0, total <= SmallUTF8.capacity else { return false }
    if count == 0 {
      low = pieceLow
      high = pieceHigh
    } else if count < 8 {
      let shift = UInt64(truncatingIfNeeded: count &* 8)
      low |= pieceLow &<< shift
      high |= (pieceLow &>> (64 &- shift)) | (pieceHigh &<< shift)
    } else {
      // At most 7 bytes fit after the eighth, so the piece is all in its first word.
      high |= pieceLow &<< UInt64(truncatingIfNeeded: (count &- 8) &* 8)
    }
    count = total
    return true
  }

  /// Appends a string; false, with nothing changed, when it is not small or would not fit.
  @inline(__always) mutating func append(_ text: String) -> Bool {
    guard let piece = SmallUTF8.words(text), append(low: piece.low, high: piece.high, count: piece.count) else {
      return false
    }
    isASCII = isASCII && piece.isASCII
    return true
  }

  /// Appends the decimal digits of `value` (with `-` when negative); false, with nothing
  /// changed, when they would not fit.
  @inline(__always) mutating func append(_ value: Int) -> Bool {
    guard let digits = DecimalText.words(value) else { return false }
    return append(low: digits.low, high: digits.high, count: digits.count)
  }

  /// The string built so far. Callers check `SmallUTF8.isLayoutVerifiedHere` first.
  @inline(__always) func string() -> String {
    SmallUTF8.string(low: low, high: high, count: count, isASCII: isASCII)
  }
}

extension SmallUTF8 {
  /// `isLayoutVerified` as a global of this module: reading another module's lazily made global
  /// is a call (about 20 instructions), and `str`, hashing and fingerprints read it per string.
  static let isLayoutVerifiedHere = SmallUTF8.isLayoutVerified
}

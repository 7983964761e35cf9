// Equality and order of Oxur strings: by their Unicode scalars (UTF-8 bytes), the way they hash.

import OxurSyntax

/// Swift's `String ==` and `<` treat canonically equivalent strings as equal: `"\u{e9}"` and
/// `"e\u{301}"` compare equal though their bytes, their `count` and their `stableHash` differ.
/// Map and set keys file strings by the hash of their bytes, so with Swift's equality a set held
/// two `=` strings, `(= #{a} #{b})` was false while `(= a b)` was true, and `(get {a 1} b)` was
/// nil. Oxur strings are sequences of scalars: equal when their bytes are, ordered by them.
enum TextIdentity {
  /// True when `a` and `b` hold the same UTF-8 bytes.
  @inline(__always) static func equal(_ a: String, _ b: String) -> Bool {
    // Two small strings are equal exactly when their words are (bytes past the count are zero).
    if SmallUTF8.isLayoutVerifiedHere, let x = SmallUTF8.words(a), let y = SmallUTF8.words(b) {
      return x.low == y.low && x.high == y.high && x.count == y.count
    }
    return equalOutOfLine(a, b)
  }

  @inline(never) private static func equalOutOfLine(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    let compared = a.utf8.withContiguousStorageIfAvailable { left in
      b.utf8.withContiguousStorageIfAvailable { right in left.elementsEqual(right) }
    }
    if let compared, let result = compared { return result }
    return a.utf8.elementsEqual(b.utf8)
  }

  /// -1, 0 or 1 as `a` sorts before, with or after `b`: by bytes, which is by scalars.
  static func compare(_ a: String, _ b: String) -> Int {
    if equal(a, b) { return 0 }
    return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
  }
}

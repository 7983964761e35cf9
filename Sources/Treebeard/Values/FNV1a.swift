// FNV-1a (64-bit): the one stable hash behind string keys, names and content hashes.

import OxurSyntax

/// Stable across runs and processes (unlike Swift's seeded `Hasher`), so map iteration order
/// and content hashes are reproducible (definition fingerprints are `SyntaxHash`). Not collision-resistant: inputs chosen to
/// collide only make tables slower.
enum FNV1a {
  static var offsetBasis: UInt64 { 0xcbf2_9ce4_8422_2325 }

  /// `hash` with one more byte (given in the low 8 bits of `byte`) mixed in.
  @inline(__always) static func adding(_ byte: UInt64, to hash: UInt64) -> UInt64 {
    (hash ^ byte) &* 0x0000_0100_0000_01b3
  }

  /// `hash` with the `count` bytes of a small string's two words mixed in, in order
  /// (`SmallUTF8.words`): the bytes without lending the string's UTF-8 through a closure.
  @inline(__always) static func adding(low: UInt64, high: UInt64, count: Int, to hash: UInt64) -> UInt64 {
    var hash = hash
    var word = low
    var index = 0
    while index < count {
      if index == 8 { word = high }
      hash = adding(word & 0xFF, to: hash)
      word &>>= 8
      index &+= 1
    }
    return hash
  }
}

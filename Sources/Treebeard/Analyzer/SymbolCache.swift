// The symbols one analysis interned, found again by a short name's two words without the intern table.

import OxurSyntax

/// A direct-mapped cache in front of `Symbol.intern` for one analyzer (one thread, one load).
/// The names of a load are interned again and again (`+`, `defn`, each definition's own name at
/// its definition and at its uses), and each `Symbol.intern` hashes the name and takes the
/// process-wide intern table's lock. A short name (a small string, nearly every name) is
/// compared here by its bytes and count; others, and a miss, go to the table.
struct SymbolCache {
  private struct Slot {
    let low: UInt64
    let high: UInt64
    let count: Int
    /// Interned symbols live for ever, so a slot holds one without counting references.
    unowned(unsafe) let symbol: Symbol
  }

  private static let size = 64
  private var slots: [Slot?] = Array(repeating: nil, count: SymbolCache.size)

  /// `Symbol.intern(name)`.
  mutating func symbol(_ name: String) -> Symbol {
    guard SmallUTF8.isLayoutVerifiedHere, let words = SmallUTF8.words(name) else { return Symbol.intern(name) }
    let index = Int(truncatingIfNeeded: SyntaxHash.mix(words.low, words.high ^ UInt64(words.count)) & 63)
    if let slot = slots[index], slot.low == words.low, slot.high == words.high, slot.count == words.count {
      return slot.symbol
    }
    let symbol = Symbol.intern(name)
    slots[index] = Slot(low: words.low, high: words.high, count: words.count, symbol: symbol)
    return symbol
  }
}

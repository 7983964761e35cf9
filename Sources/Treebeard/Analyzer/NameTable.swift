// Name-keyed tables for the analyzer's hot look-ups, hashed with FNV-1a instead of SipHash.

import OxurSyntax

/// A fixed table from names to `Element`, looked up by `String`. The analyzer asks the special
/// forms' and core macros' tables several times per definition; SipHash of each name was a
/// tenth of a reload in which every definition changed.
struct NameTable<Element> {
  private let entries: [NameKey: Element]
  /// One bit per (length, last byte) of the names in the table, 256 in all. Nearly every
  /// look-up misses (a call head such as `+` asked as a special form and as a core macro, four
  /// or five times a definition): a short name whose bit is clear is answered without hashing it.
  private let possible: (UInt64, UInt64, UInt64, UInt64)

  init(_ table: [String: Element]) {
    var entries: [NameKey: Element] = [:]
    entries.reserveCapacity(table.count)
    var possible: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    for (name, element) in table {
      entries[NameKey(name)] = element
      let bit = NameTable.bit(count: name.utf8.count, last: name.utf8.last ?? 0)
      switch bit >> 6 {
      case 0: possible.0 |= 1 &<< UInt64(bit & 63)
      case 1: possible.1 |= 1 &<< UInt64(bit & 63)
      case 2: possible.2 |= 1 &<< UInt64(bit & 63)
      default: possible.3 |= 1 &<< UInt64(bit & 63)
      }
    }
    self.entries = entries
    self.possible = possible
  }

  @inline(__always) private static func bit(count: Int, last: UInt8) -> Int { (Int(last) &* 7 &+ count) & 255 }

  subscript(name: String) -> Element? {
    if SmallUTF8.isLayoutVerifiedHere, let words = SmallUTF8.words(name) {
      guard words.count > 0 else { return entries[NameKey(name)] }
      let last = SmallUTF8.lastByte(low: words.low, high: words.high, count: words.count)
      let bit = NameTable.bit(count: words.count, last: last)
      let word: UInt64
      switch bit >> 6 {
      case 0: word = possible.0
      case 1: word = possible.1
      case 2: word = possible.2
      default: word = possible.3
      }
      if word & (1 &<< UInt64(bit & 63)) == 0 { return nil }
    }
    return entries[NameKey(name)]
  }
}

extension NameTable: Sendable where Element: Sendable {}

/// A set of names with the same cheap hash (the module's own names, `set!` targets, the forms
/// that define a name).
struct NameSet: ExpressibleByArrayLiteral {
  private var members: Set<NameKey> = []

  init() {}
  init(arrayLiteral names: String...) { for name in names { insert(name) } }
  init<Names: Sequence>(_ names: Names) where Names.Element == String { for name in names { insert(name) } }

  var isEmpty: Bool { members.isEmpty }
  var count: Int { members.count }
  /// The names, in no particular order.
  var names: [String] { members.map(\.text) }

  func contains(_ name: String) -> Bool { !members.isEmpty && members.contains(NameKey(name)) }

  /// `contains(symbol.name)`; for an unqualified symbol (whose name is all of it) hashed from
  /// the hash the symbol keeps.
  func contains(_ symbol: Symbol) -> Bool {
    !members.isEmpty && members.contains(symbol.module == nil ? symbol.nameKey : NameKey(symbol.name))
  }

  @discardableResult
  mutating func insert(_ name: String) -> Bool { members.insert(NameKey(name)).inserted }

  mutating func reserveCapacity(_ count: Int) { members.reserveCapacity(count) }
}

extension NameSet: Sendable {}

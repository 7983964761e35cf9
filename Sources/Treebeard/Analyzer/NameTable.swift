// Name-keyed tables for the analyzer's hot look-ups, hashed with FNV-1a instead of SipHash.

/// A fixed table from names to `Element`, looked up by `String`. The analyzer asks the special
/// forms' and core macros' tables several times per definition; SipHash of each name was a
/// tenth of a reload in which every definition changed.
struct NameTable<Element> {
  private let entries: [NameKey: Element]

  init(_ table: [String: Element]) {
    var entries: [NameKey: Element] = [:]
    entries.reserveCapacity(table.count)
    for (name, element) in table { entries[NameKey(name)] = element }
    self.entries = entries
  }

  subscript(name: String) -> Element? { entries[NameKey(name)] }
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

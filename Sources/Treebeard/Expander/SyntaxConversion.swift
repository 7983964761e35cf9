// Syntax ↔ Value: quoted code becomes data, and a macro's returned data becomes code again.

import Foundation
import OxurSyntax

enum SyntaxConversion {
  /// The data a `quote` denotes, or a macro receives.
  static func value(_ syntax: Syntax) -> Value {
    switch syntax.kind {
    case .nil: return .nil
    case .bool(let b): return .bool(b)
    case .int(let i): return .int(i)
    case .float(let d): return .float(d)
    case .string(let s): return .string(s)
    case .char(let c): return .char(c)
    case .keyword(let k): return .keyword(k)
    case .symbol(let module, let name): return .symbol(Symbol.intern(name, module: module))
    case .list(let items):
      // A runtime value a macro spliced into code is itself when quoted: `(quote ~(atom 1))`
      // gave the holder form instead.
      if let embedded = EmbeddedValues.value(of: items) { return embedded }
      return .list(ListNode.from(items.map(value)))
    case .vector(let items): return .vector(PersistentVector.from(items.map(value)))
    case .map(let items):
      var map = PersistentMap.empty.storage
      var index = 0
      while index + 1 < items.count {
        map[value(items[index])] = value(items[index + 1])
        index += 2
      }
      return .map(PersistentMap(map))
    case .set(let items): return .set(PersistentSet(.init(items.map(value))))
    }
  }

  /// Most forms one macro expansion (or `macroexpand` input) may produce. A value can share
  /// structure (`(~x ~x)` nests one object twice), and code cannot: a few doublings would need
  /// more memory than the machine has.
  static let maximumForms = 1_000_000
  /// Most forms a chain of ever larger expansions of one macro call may produce in total, so a
  /// macro that grows its call a little each step fails before the 10,000-step limit.
  static let maximumChainForms = 10_000_000

  /// Code from data; spans come from `origin` (the macro call) since data carries none.
  static func syntax(_ value: Value, origin: Span) throws -> Syntax {
    var forms = 0
    let result = try syntax(value, origin: origin, depth: 0, forms: &forms)
    try noteExpansion(forms: forms, origin: origin)
    return result
  }

  /// Expansions of one call carry its span, so consecutive conversions with the same origin and
  /// growing sizes are one runaway chain; anything else starts a new chain.
  private static func noteExpansion(forms: Int, origin: Span) throws {
    let state = HostThreadState.current
    if state.expansionOrigin == origin && forms > state.expansionLastForms {
      state.expansionChainForms &+= forms
    } else {
      state.expansionOrigin = origin
      state.expansionChainForms = forms
    }
    state.expansionLastForms = forms
    if state.expansionChainForms > maximumChainForms {
      state.expansionOrigin = nil
      throw OxurError(
        "expand",
        "macro expansion keeps growing (more than \(maximumChainForms) forms over successive expansions)",
        span: origin)
    }
  }

  private static func syntax(_ value: Value, origin: Span, depth: Int, forms: inout Int) throws -> Syntax {
    guard depth < 10_000 else { throw OxurError("expand", "macro expansion nested too deeply", span: origin) }
    forms += 1
    guard forms <= maximumForms else {
      throw OxurError("expand", "macro expansion too large (more than \(maximumForms) forms)", span: origin)
    }
    func convert(_ item: Value) throws -> Syntax { try syntax(item, origin: origin, depth: depth + 1, forms: &forms) }
    switch value {
    case .nil: return Syntax(.nil, origin)
    case .bool(let b): return Syntax(.bool(b), origin)
    case .int(let i): return Syntax(.int(i), origin)
    case .float(let d): return Syntax(.float(d), origin)
    case .string(let s): return Syntax(.string(s.value), origin)
    case .char(let c): return Syntax(.char(c), origin)
    case .keyword(let k): return Syntax(.keyword(k.name), origin)
    case .symbol(let s): return Syntax(.symbol(module: s.module, name: s.name), origin)
    case .list(let node):
      var items: [Syntax] = []
      var cursor = node
      while let current = cursor {
        items.append(try convert(current.first))
        cursor = current.rest
      }
      return Syntax(.list(items), origin)
    case .vector(let v):
      var items: [Syntax] = []
      try v.forEachElement { items.append(try convert($0)) }
      return Syntax(.vector(items), origin)
    case .map(let m):
      var items: [Syntax] = []
      for (key, item) in m.storage {
        items.append(try convert(key))
        items.append(try convert(item))
      }
      return Syntax(.map(items), origin)
    case .set(let s):
      var items: [Syntax] = []
      for item in s.storage { items.append(try convert(item)) }
      return Syntax(.set(items), origin)
    default:
      // Functions and other runtime values embed as constants via a quoted holder.
      return Syntax.list(
        [Syntax.symbol(EmbeddedValues.marker, origin), Syntax(.int(EmbeddedValues.store(value)), origin)], origin)
    }
  }
}

/// Runtime values a macro spliced into code (a function object, a struct): kept by index.
enum EmbeddedValues {
  /// The head of the holder form `(marker index)`. Not a name the reader can produce (it has
  /// a space), so source cannot fetch values other expansions embedded: `(%embedded 0)` could.
  static let marker = "%embedded value"

  /// The value a holder form `items` stands for; nil for any other list.
  static func value(of items: [Syntax]) -> Value? {
    guard items.count == 2, case .symbol(nil, marker) = items[0].kind, case .int(let index) = items[1].kind else {
      return nil
    }
    return fetch(index)
  }

  nonisolated(unsafe) private static var values: [Value] = []
  private static let lock = NSLock()
  static func store(_ value: Value) -> Int {
    lock.lock()
    defer { lock.unlock() }
    values.append(value)
    return values.count - 1
  }
  static func fetch(_ index: Int) -> Value? {
    lock.lock()
    defer { lock.unlock() }
    return index >= 0 && index < values.count ? values[index] : nil
  }
}

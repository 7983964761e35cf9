// Quasiquote to construction code: `~x` inserts, `~@xs` splices, `name#` is an auto-gensym.

import OxurSyntax
import Synchronization

struct Quasiquote {
  private var gensyms: [String: String] = [:]

  static func expand(_ form: Syntax) throws -> Syntax {
    var expander = Quasiquote()
    return try expander.build(form, depth: 0)
  }

  private mutating func build(_ form: Syntax, depth: Int) throws -> Syntax {
    guard depth < Reader.maximumNesting * 2 else {
      throw OxurError("expand", "quasiquote nested too deeply", span: form.span)
    }
    let span = form.span
    func quoted(_ item: Syntax) -> Syntax { .list([.symbol("quote", span), item], span) }
    switch form.kind {
    case .symbol(nil, let name) where name.count > 1 && name.hasSuffix("#"):
      let generated = gensyms[name] ?? Gensym.next(String(name.dropLast()) + "__") + "__auto__"
      gensyms[name] = generated
      return quoted(Syntax.symbol(generated, span))
    case .symbol:
      return quoted(form)
    case .list(let items):
      if let head = items.first?.symbolName, items.count == 2 {
        if head == "unquote" { return items[1] }
        if head == "unquote-splicing" {
          throw OxurError("expand", "~@ used outside a list or vector", span: span)
        }
      }
      return .list([CoreMacros.prelude("%concat-list", span)] + (try parts(items, depth: depth)), span)
    case .vector(let items):
      return .list([CoreMacros.prelude("%concat-vector", span)] + (try parts(items, depth: depth)), span)
    case .map(let items):
      return .list([CoreMacros.prelude("hash-map", span)] + (try items.map { try build($0, depth: depth + 1) }), span)
    case .set(let items):
      return .list([CoreMacros.prelude("hash-set", span)] + (try items.map { try build($0, depth: depth + 1) }), span)
    default:
      return form
    }
  }

  /// Each element becomes a sequence to concatenate: `(list x)` or the spliced expression.
  private mutating func parts(_ items: [Syntax], depth: Int) throws -> [Syntax] {
    try items.map { item in
      if case .list(let inner) = item.kind, inner.count == 2, inner.first?.symbolName == "unquote-splicing" {
        return inner[1]
      }
      return .list([CoreMacros.prelude("list", item.span), try build(item, depth: depth + 1)], item.span)
    }
  }
}

/// Fresh symbol names for `gensym` and auto-gensyms.
enum Gensym {
  private static let counter = Atomic<Int>(0)
  static func next(_ prefix: String = "G__") -> String {
    let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
    return "\(prefix)\(number)"
  }
}

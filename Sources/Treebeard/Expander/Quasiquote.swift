// Quasiquote to construction code: `~x` inserts, `~@xs` splices, `name#` is an auto-gensym; nesting counts levels.

import OxurSyntax
import Synchronization

struct Quasiquote {
  private var gensyms: [String: String] = [:]

  static func expand(_ form: Syntax) throws -> Syntax {
    var expander = Quasiquote()
    return try expander.build(form, depth: 0, level: 1)
  }

  /// `level` counts the quasiquotes around `form` less the unquotes: only at level 1 does `~x`
  /// insert x (and `name#` make a symbol). A quasiquote inside one raises it and an unquote
  /// lowers it, each rebuilt as data, so a macro can write a macro: every `~` was taken at
  /// the outermost level, and `` `(a `(b ~c)) `` looked up c.
  private mutating func build(_ form: Syntax, depth: Int, level: Int) throws -> Syntax {
    guard depth < Reader.maximumNesting * 2 else {
      throw OxurError("expand", "quasiquote nested too deeply", span: form.span)
    }
    let span = form.span
    func quoted(_ item: Syntax) -> Syntax { .list([.symbol("quote", span), item], span) }
    switch form.kind {
    case .symbol(nil, let name) where name.count > 1 && name.hasSuffix("#") && level == 1:
      let generated = gensyms[name] ?? Gensym.next(String(name.dropLast()) + "__") + "__auto__"
      gensyms[name] = generated
      return quoted(Syntax.symbol(generated, span))
    case .symbol:
      return quoted(form)
    case .list(let items):
      if let head = items.first?.symbolName, items.count == 2 {
        switch head {
        case "unquote" where level == 1: return items[1]
        case "unquote-splicing" where level == 1:
          throw OxurError("expand", "~@ used outside a list or vector", span: span)
        case "unquote", "unquote-splicing":
          return try rebuilt(head, items[1], depth: depth, level: level - 1, span: span)
        case "quasiquote":
          return try rebuilt(head, items[1], depth: depth, level: level + 1, span: span)
        default: break
        }
      }
      return .list([CoreMacros.prelude("%concat-list", span)] + (try parts(items, depth: depth, level: level)), span)
    case .vector(let items):
      return .list(
        [CoreMacros.prelude("%concat-vector", span)] + (try parts(items, depth: depth, level: level)), span)
    case .map(let items):
      return .list(
        [CoreMacros.prelude("hash-map", span)] + (try items.map { try build($0, depth: depth + 1, level: level) }),
        span)
    case .set(let items):
      return .list(
        [CoreMacros.prelude("hash-set", span)] + (try items.map { try build($0, depth: depth + 1, level: level) }),
        span)
    default:
      return form
    }
  }

  /// `(head x)` as data, with x built at `level`: a nested quasiquote or unquote.
  private mutating func rebuilt(_ head: String, _ inner: Syntax, depth: Int, level: Int, span: Span) throws -> Syntax {
    .list(
      [
        CoreMacros.prelude("list", span), .list([.symbol("quote", span), .symbol(head, span)], span),
        try build(inner, depth: depth + 1, level: level),
      ], span)
  }

  /// Each element becomes a sequence to concatenate: `(list x)` or the spliced expression.
  /// At level 2, `~~@xs` (and `~@~@xs`) is one `~x` (or `~@x`) per element of xs, spliced in
  /// as Common Lisp's `,,@` is: it was "~@ used outside a list or vector".
  private mutating func parts(_ items: [Syntax], depth: Int, level: Int) throws -> [Syntax] {
    try items.map { item in
      if level == 1, case .list(let inner) = item.kind, inner.count == 2,
        inner.first?.symbolName == "unquote-splicing"
      {
        return inner[1]
      }
      if level == 2, case .list(let outer) = item.kind, outer.count == 2,
        let head = outer.first?.symbolName, head == "unquote" || head == "unquote-splicing",
        case .list(let inner) = outer[1].kind, inner.count == 2, inner.first?.symbolName == "unquote-splicing"
      {
        let span = item.span
        let element = Syntax.symbol(Gensym.next("element__"), span)
        let each = Syntax.list(
          [
            .symbol("fn", span), Syntax(.vector([element]), span),
            .list(
              [CoreMacros.prelude("list", span), .list([.symbol("quote", span), .symbol(head, span)], span), element],
              span),
          ], span)
        return .list([CoreMacros.prelude("map", span), each, inner[1]], span)
      }
      return .list([CoreMacros.prelude("list", item.span), try build(item, depth: depth + 1, level: level)], item.span)
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

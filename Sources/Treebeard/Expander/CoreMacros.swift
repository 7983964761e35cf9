// The core macros, written in Swift so their expansions keep the caller's spans.

import OxurSyntax

enum CoreMacros {
  typealias Expansion = @Sendable (_ form: Syntax, _ items: [Syntax]) throws -> Syntax

  /// The REPL's reporting and help forms: a module that defines a function of the same name
  /// (a `source`, a `dir`) calls its own; elsewhere the name is not evaluated.
  static let yieldingToDefinitions: NameSet = [
    "history", "reload-stats", "rollback", "deps", "unload", "doc", "source", "dir",
  ]

  /// `table` for the analyzer's look-ups (see `NameTable`).
  static let lookup = NameTable(table)

  static let table: [String: Expansion] = [
    "when": when, "unless": unless, "cond": cond, "and": and, "or": or, "->": threadFirst,
    "->>": threadLast, "defn": defn, "define": define, "while": whileLoop, "doseq": doseq,
    "for": forComprehension, "if-let": ifLet, "when-let": whenLet, "dotimes": dotimes,
    "assert": assert, "time": time, "comment": comment, "if-not": ifNot, "when-not": unless,
    "defn-": defn, "in-module": inModule, "history": quotingModuleName, "reload-stats": quotingModuleName,
    "rollback": quotingModuleName, "deps": quotingModuleName, "unload": quotingModuleName,
    // A bare name is not evaluated: `(doc map)`, `(source calc:add)`, `(dir calc)`.
    "doc": quotingModuleName, "source": quotingModuleName, "dir": quotingModuleName,
  ]

  /// `(in-module calculator)`: the name is not evaluated.
  static func inModule(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    // `(in-module a:b)` made a module whose names `a:b:q` could not reach (read as `a:q`).
    guard items.count == 2, case .symbol(nil, _) = items[1].kind else {
      throw error("in-module takes one unqualified module name, as in (in-module app.util)", form)
    }
    return list([prelude("%in-module", form.span), list([sym("quote", form.span), items[1]], form.span)], form.span)
  }

  static func error(_ message: String, _ form: Syntax) -> OxurError {
    OxurError("syntax", message, span: form.span)
  }

  private static func sym(_ name: String, _ span: Span) -> Syntax { .symbol(name, span) }

  /// A prelude function named so that no local or module definition can shadow it: macro
  /// expansions must mean the same thing wherever they land.
  static func prelude(_ name: String, _ span: Span) -> Syntax {
    Syntax(.symbol(module: CoreMacros.preludeModule, name: name), span)
  }

  static let preludeModule = "%prelude"
  private static func list(_ items: [Syntax], _ span: Span) -> Syntax { .list(items, span) }
  private static func doBlock(_ body: ArraySlice<Syntax>, _ span: Span) -> Syntax {
    body.count == 1 ? body[body.startIndex] : list([sym("do", span)] + body, span)
  }

  static func when(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count >= 2 else { throw error("when needs a condition", form) }
    return list([sym("if", form.span), items[1], doBlock(items[2...], form.span), Syntax(.nil, form.span)], form.span)
  }

  static func unless(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count >= 2 else { throw error("unless needs a condition", form) }
    return list([sym("if", form.span), items[1], Syntax(.nil, form.span), doBlock(items[2...], form.span)], form.span)
  }

  static func ifNot(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count == 3 || items.count == 4 else {
      throw error("if-not takes a condition and one or two branches", form)
    }
    let otherwise = items.count == 4 ? items[3] : Syntax(.nil, form.span)
    return list([sym("if", form.span), items[1], otherwise, items[2]], form.span)
  }

  /// Clojure-style pairs; `:else` (any truthy constant) ends the chain.
  static func cond(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    let clauses = Array(items.dropFirst())
    guard clauses.count % 2 == 0 else {
      throw error("cond needs an even number of forms (test/expression pairs)", form)
    }
    var result = Syntax(.nil, form.span)
    var index = clauses.count - 2
    while index >= 0 {
      result = list([sym("if", clauses[index].span), clauses[index], clauses[index + 1], result], clauses[index].span)
      index -= 2
    }
    return result
  }

  static func and(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    let operands = items.dropFirst()
    guard let first = operands.first else { return Syntax(.bool(true), form.span) }
    if operands.count == 1 { return first }
    let temp = sym(Gensym.next("and__"), form.span)
    let rest = list([sym("and", form.span)] + operands.dropFirst(), form.span)
    return list(
      [
        sym("let", form.span), Syntax(.vector([temp, first]), form.span),
        list([sym("if", form.span), temp, rest, temp], form.span),
      ],
      form.span)
  }

  static func or(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    let operands = items.dropFirst()
    guard let first = operands.first else { return Syntax(.nil, form.span) }
    if operands.count == 1 { return first }
    let temp = sym(Gensym.next("or__"), form.span)
    let rest = list([sym("or", form.span)] + operands.dropFirst(), form.span)
    return list(
      [
        sym("let", form.span), Syntax(.vector([temp, first]), form.span),
        list([sym("if", form.span), temp, temp, rest], form.span),
      ],
      form.span)
  }

  private static func thread(_ form: Syntax, _ items: [Syntax], last: Bool) throws -> Syntax {
    guard items.count >= 2 else { throw error("\(last ? "->>" : "->") needs a value", form) }
    var value = items[1]
    for step in items.dropFirst(2) {
      if case .list(let parts) = step.kind, let head = parts.first {
        value = last ? list(parts + [value], step.span) : list([head, value] + parts.dropFirst(), step.span)
      } else {
        value = list([step, value], step.span)
      }
    }
    return value
  }

  static func threadFirst(_ form: Syntax, _ items: [Syntax]) throws -> Syntax { try thread(form, items, last: false) }
  static func threadLast(_ form: Syntax, _ items: [Syntax]) throws -> Syntax { try thread(form, items, last: true) }

  /// The parts of `(defn name "doc"? {attrs}? [params] body…)` (or with `([params] body…)`
  /// clauses): read once here for the expansion, the analyzer (which compiles `defn` without
  /// building its expansion) and the fingerprint (which hashes it as its expansion).
  struct DefnParts {
    let name: String
    let docstring: Syntax?
    /// Where the parameter vector (or the first clause) is in the form's items.
    let parametersStart: Int

    init(_ form: Syntax, _ items: [Syntax]) throws {
      guard items.count >= 3, let name = items[1].symbolName else {
        throw CoreMacros.error("defn needs a name and a parameter vector", form)
      }
      var start = 2
      var docstring: Syntax? = nil
      if case .string = items[start].kind, items.count - start > 1 {
        docstring = items[start]
        start += 1
      }
      if case .map = items[start].kind, items.count - start > 1 { start += 1 }
      guard items[start].vectorElements != nil || items[start].listElements != nil else {
        throw CoreMacros.error("defn \(name) needs a parameter vector", form)
      }
      self.name = name
      self.docstring = docstring
      self.parametersStart = start
    }
  }

  /// `(defn name "doc"? [params] -> T? body…)` or with arity clauses → `(def name (fn …))`.
  static func defn(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    let parts = try DefnParts(form, items)
    // Built in place: the slices and concatenations this was written with allocated five
    // arrays per definition.
    var functionItems: [Syntax] = []
    functionItems.reserveCapacity(items.count - parts.parametersStart + 1)
    functionItems.append(sym("fn", form.span))
    functionItems.append(contentsOf: items[parts.parametersStart...])
    // `(def name "doc" (fn …))`: def keeps the docstring for `(doc name)`.
    var definition: [Syntax] = []
    definition.reserveCapacity(4)
    definition.append(sym("def", form.span))
    definition.append(items[1])  // the unqualified symbol `name`, at its own span
    if let docstring = parts.docstring { definition.append(docstring) }
    definition.append(list(functionItems, form.span))
    return list(definition, form.span)
  }

  /// `(define (name params…) body…)`, Scheme's spelling; `(define name value)` is `def`.
  static func define(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count >= 2 else { throw error("define needs a name", form) }
    if case .list(let signature) = items[1].kind {
      guard let name = signature.first, name.symbolName != nil else { throw error("define needs (name params…)", form) }
      let params = Syntax(.vector(Array(signature.dropFirst())), items[1].span)
      return list([sym("defn", form.span), name, params] + items.dropFirst(2), form.span)
    }
    return list([sym("def", form.span)] + items.dropFirst(), form.span)
  }

  static func whileLoop(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count >= 2 else { throw error("while needs a condition", form) }
    let span = form.span
    let body = list([sym("do", span)] + items.dropFirst(2) + [list([sym("recur", span)], span)], span)
    return list(
      [
        sym("loop", span), Syntax(.vector([]), span),
        list([sym("if", span), items[1], body, Syntax(.nil, span)], span),
      ], span)
  }

  /// `(doseq [x coll …] body…)` → nested `%each` calls; returns nil.
  static func doseq(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count >= 2, let bindings = items[1].vectorElements, bindings.count >= 2, bindings.count % 2 == 0 else {
      throw error("doseq needs a binding vector [x coll]", form)
    }
    let span = form.span
    var body = list([sym("do", span)] + items.dropFirst(2) + [Syntax(.nil, span)], span)
    var index = bindings.count - 2
    while index >= 0 {
      let function = list([sym("fn", span), Syntax(.vector([bindings[index]]), span), body], span)
      body = list([prelude("%each", span), function, bindings[index + 1]], span)
      index -= 2
    }
    return body
  }

  /// `(for [x xs :when t y ys] e)` → a vector, built by `%for` (a reduce that flattens nesting).
  static func forComprehension(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count == 3, let bindings = items[1].vectorElements, !bindings.isEmpty else {
      throw error("for needs a binding vector and one body expression", form)
    }
    let span = form.span
    var groups: [(pattern: Syntax, collection: Syntax, filters: [(String, Syntax)])] = []
    var index = 0
    while index < bindings.count {
      let item = bindings[index]
      if case .keyword(let modifier) = item.kind {
        guard index + 1 < bindings.count, !groups.isEmpty, ["when", "while", "let"].contains(modifier) else {
          throw error("for: misplaced modifier :\(modifier)", item)
        }
        groups[groups.count - 1].filters.append((modifier, bindings[index + 1]))
      } else {
        guard index + 1 < bindings.count else { throw error("for: binding without a collection", item) }
        groups.append((item, bindings[index + 1], []))
      }
      index += 2
    }
    // Innermost: (conj acc e); each group wraps it in a reduce over its collection.
    let accumulator = sym(Gensym.next("acc__"), span)
    var inner = list([prelude("conj", span), accumulator, items[2]], span)
    for group in groups.reversed() {
      var step = inner
      var collection = group.collection
      var filters = group.filters
      // `:while` right after a binding stops that binding's iteration at the first false test.
      if let first = filters.first, first.0 == "while" {
        filters.removeFirst()
        let test = list([sym("fn", span), Syntax(.vector([group.pattern]), span), first.1], span)
        collection = list([prelude("take-while", span), test, collection], span)
      }
      for (modifier, expression) in filters.reversed() {
        switch modifier {
        case "let": step = list([sym("let", span), expression, step], span)
        default: step = list([sym("if", span), expression, step, accumulator], span)
        }
      }
      let function = list([sym("fn", span), Syntax(.vector([accumulator, group.pattern]), span), step], span)
      inner = list([prelude("reduce", span), function, accumulator, collection], span)
    }
    return list([sym("let", span), Syntax(.vector([accumulator, Syntax(.vector([]), span)]), span), inner], span)
  }

  static func ifLet(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count == 3 || items.count == 4, let binding = items[1].vectorElements, binding.count == 2 else {
      throw error("if-let needs [name value] and one or two branches", form)
    }
    let span = form.span
    let temp = sym(Gensym.next("iflet__"), span)
    let otherwise = items.count == 4 ? items[3] : Syntax(.nil, span)
    let then = list([sym("let", span), Syntax(.vector([binding[0], temp]), span), items[2]], span)
    return list(
      [
        sym("let", span), Syntax(.vector([temp, binding[1]]), span),
        list([sym("if", span), temp, then, otherwise], span),
      ],
      span)
  }

  static func whenLet(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count >= 2 else { throw error("when-let needs [name value]", form) }
    return try ifLet(form, [items[0], items[1], doBlock(items[2...], form.span)])
  }

  static func dotimes(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count >= 2, let binding = items[1].vectorElements, binding.count == 2 else {
      throw error("dotimes needs [name count]", form)
    }
    let span = form.span
    let limit = sym(Gensym.next("n__"), span)
    let body = list(
      [sym("do", span)] + items.dropFirst(2) + [
        list([sym("recur", span), list([prelude("inc", span), binding[0]], span)], span)
      ], span)
    return list(
      [
        sym("let", span), Syntax(.vector([limit, binding[1]]), span),
        list(
          [
            sym("loop", span), Syntax(.vector([binding[0], Syntax(.int(0), span)]), span),
            list(
              [sym("if", span), list([prelude("<", span), binding[0], limit], span), body, Syntax(.nil, span)], span),
          ], span),
      ], span)
  }

  static func assert(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count == 2 || items.count == 3 else {
      throw error("assert takes an expression and an optional message", form)
    }
    let message = items.count == 3 ? items[2] : Syntax(.nil, form.span)
    return list(
      [prelude("%assert", form.span), items[1], list([sym("quote", form.span), items[1]], form.span), message],
      form.span)
  }

  static func time(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard items.count == 2 else { throw error("time takes one expression", form) }
    return list(
      [
        prelude("%time", form.span), list([sym("fn", form.span), Syntax(.vector([]), form.span), items[1]], form.span),
      ],
      form.span)
  }

  static func comment(_ form: Syntax, _ items: [Syntax]) throws -> Syntax { Syntax(.nil, form.span) }
}

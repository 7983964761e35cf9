// Patterns of LANGUAGE.md §3, compiled to slot-binding matchers shared by match, let and fn.

import OxurSyntax

/// A compiled pattern. Bindings store straight into frame slots.
indirect enum Pattern {
  case wildcard
  case bind(slot: Int, boxed: Bool)
  case literal(Value)
  case sequence([Pattern], rest: Pattern?)
  case map([(key: Value, pattern: Pattern)])
  case variant(Variant, [Pattern])
  case structure(name: String, fields: [(key: Keyword, pattern: Pattern)])
  case alternatives([Pattern])

  func match(_ value: Value, _ fp: UnsafeMutablePointer<Value>) -> Bool {
    switch self {
    case .wildcard:
      return true
    case .bind(let slot, let boxed):
      fp[slot] = boxed ? .atom(Atom(value)) : value
      return true
    case .literal(let expected):
      return expected == value
    case .sequence(let patterns, let rest):
      // Elements are read in place and `& more` shares the matched value's storage (a vector's
      // trie, a list's nodes), so a recursion down a sequence with `[x & more]` is linear.
      switch value {
      case .vector(let vector):
        if rest == nil ? vector.count != patterns.count : vector.count < patterns.count { return false }
        for (index, pattern) in patterns.enumerated() {
          guard let element = vector.at(index), pattern.match(element, fp) else { return false }
        }
        return rest?.match(.vector(vector.dropping(patterns.count)), fp) ?? true
      case .list(let node):
        let count = node?.count ?? 0
        if rest == nil ? count != patterns.count : count < patterns.count { return false }
        var current = node
        for pattern in patterns {
          guard let here = current, pattern.match(here.first, fp) else { return false }
          current = here.rest
        }
        return rest?.match(.list(current), fp) ?? true
      case .nil where rest != nil && patterns.isEmpty:
        return rest?.match(.vector(PersistentVector.empty), fp) ?? true
      default:
        return false
      }
    case .map(let entries):
      for (key, pattern) in entries {
        let found: Value?
        switch value {
        case .map(let map): found = map.get(key)
        case .structInstance(let instance):
          if case .keyword(let keyword) = key { found = instance.field(keyword) } else { found = nil }
        default: return false
        }
        guard let found, pattern.match(found, fp) else { return false }
      }
      return true
    case .variant(let variant, let patterns):
      guard case .variant(let enumValue) = value, !enumValue.isConstructor, enumValue.variant.sameCase(as: variant),
        enumValue.payload.count == patterns.count
      else { return false }
      for (index, pattern) in patterns.enumerated() where !pattern.match(enumValue.payload[index], fp) { return false }
      return true
    case .structure(let name, let fields):
      guard case .structInstance(let instance) = value, instance.type.name == name else { return false }
      for (key, pattern) in fields {
        guard let found = instance.field(key), pattern.match(found, fp) else { return false }
      }
      return true
    case .alternatives(let options):
      for option in options where option.match(value, fp) { return true }
      return false
    }
  }
}

/// `(match subject (pattern :when guard body…) …)`.
final class MatchNode: Node {
  struct Clause {
    let pattern: Pattern
    let guardNode: Node?
    let body: Node
  }
  let subject: Node
  let clauses: [Clause]
  init(subject: Node, clauses: [Clause], span: Span) {
    self.subject = subject
    self.clauses = clauses
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let value = try subject.eval(m, fp)
    for clause in clauses where clause.pattern.match(value, fp) {
      if let guardNode = clause.guardNode, !(try guardNode.test(m, fp)) { continue }
      return try clause.body.eval(m, fp)
    }
    throw OxurError("no-match", "no match clause matched \(Printer.readable(value, limit: 80))", span: span)
  }
}

/// Destructures a value into a pattern's slots in `let` or a parameter list; failure is an error.
final class DestructureNode: Node {
  let pattern: Pattern
  let value: Node
  let patternText: String
  init(pattern: Pattern, value: Node, patternText: String, span: Span) {
    self.pattern = pattern
    self.value = value
    self.patternText = patternText
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let result = try value.eval(m, fp)
    guard pattern.match(result, fp) else {
      throw OxurError(
        "no-match", "value \(Printer.readable(result, limit: 80)) does not match pattern \(patternText)", span: span)
    }
    return .nil
  }
}

extension Analyzer {
  /// Compiles a pattern, declaring its variables in the current block. `bound` lets `or`
  /// alternatives share the variables of the first alternative.
  func compilePattern(_ form: Syntax, bound: inout [String: LocalVariable]) throws -> Pattern {
    var here: Set<String> = []
    return try compilePattern(form, bound: &bound, here: &here)
  }

  /// `here`: the names this alternative has bound so far. A name bound twice matched anything
  /// (the second binding won; `[a a]` matched `[1 2]`), as Rust refuses and Erlang's equality
  /// test would not: it is an error. `or` alternatives must bind the same names: one that
  /// failed part-way left its bindings (`(or [a 9] [b c])` gave a = 1), or left a name of an
  /// enclosing scope shadowed by nil.
  func compilePattern(
    _ form: Syntax, bound: inout [String: LocalVariable], here: inout Set<String>
  ) throws -> Pattern {
    switch form.kind {
    case .nil: return .literal(.nil)
    case .bool(let b): return .literal(.bool(b))
    case .int(let i): return .literal(.int(i))
    case .float(let d): return .literal(.float(d))
    case .string(let s): return .literal(.string(s))
    case .char(let c): return .literal(.char(c))
    case .keyword(let k): return .literal(.keyword(k))
    case .symbol(let module, let name):
      if module == nil && name == "_" { return .wildcard }
      if let variant = resolvePatternVariant(module: module, name: name), variant.arity == 0 {
        return .variant(variant, [])
      }
      // `x:Type` in a binding position binds x; the type is documentation. But `geo:Cirle` (a
      // typo, or a variant a reload removed) named a module or enum and was taken as a binding
      // of `geo` — a catch-all clause.
      if let module, namesModuleOrEnum(module) {
        throw OxurError("syntax", "unknown variant \(module):\(name) in a pattern", span: form.span)
      }
      let bindingName = module ?? name
      guard here.insert(bindingName).inserted else {
        throw OxurError("syntax", "\(bindingName) is bound more than once in this pattern", span: form.span)
      }
      if let existing = bound[bindingName] { return .bind(slot: existing.slot, boxed: existing.boxed) }
      let variable = function.declare(bindingName)
      bound[bindingName] = variable
      return .bind(slot: variable.slot, boxed: variable.boxed)
    case .vector(let items):
      var patterns: [Pattern] = []
      var rest: Pattern? = nil
      var index = 0
      while index < items.count {
        if items[index].symbolName == "&" {
          guard index + 2 == items.count else {
            throw OxurError("syntax", "& must be followed by exactly one pattern", span: items[index].span)
          }
          rest = try compilePattern(items[index + 1], bound: &bound, here: &here)
          break
        }
        // Skip `-> Type` return annotations and `:` separated annotations defensively.
        patterns.append(try compilePattern(items[index], bound: &bound, here: &here))
        index += 1
      }
      return .sequence(patterns, rest: rest)
    case .map(let items):
      var entries: [(key: Value, pattern: Pattern)] = []
      var index = 0
      while index + 1 < items.count {
        let key = items[index]
        let target = items[index + 1]
        if case .keyword("keys") = key.kind {
          guard let names = target.vectorElements else {
            throw OxurError("syntax", "{:keys …} needs a vector of names", span: target.span)
          }
          for name in names {
            guard let symbol = name.symbolName else {
              throw OxurError("syntax", "{:keys …} takes plain names", span: name.span)
            }
            entries.append((.keyword(symbol), try compilePattern(name, bound: &bound, here: &here)))
          }
        } else {
          entries.append((SyntaxConversion.value(key), try compilePattern(target, bound: &bound, here: &here)))
        }
        index += 2
      }
      return .map(entries)
    case .list(let items):
      guard let head = items.first else { return .sequence([], rest: nil) }
      if head.symbolName == "or" {
        var options: [Pattern] = []
        let before = here
        var first: (names: Set<String>, form: Syntax)? = nil
        for item in items.dropFirst() {
          var alternative = before
          options.append(try compilePattern(item, bound: &bound, here: &alternative))
          let names = alternative.subtracting(before)
          if let first, first.names != names {
            func listed(_ names: Set<String>) -> String {
              names.isEmpty ? "no name" : names.sorted().joined(separator: " ")
            }
            throw OxurError(
              "syntax",
              "the alternatives of (or …) must bind the same names: \(describe(first.form)) binds "
                + "\(listed(first.names)), \(describe(item)) binds \(listed(names))", span: item.span)
          }
          if first == nil { first = (names, item) }
        }
        here.formUnion(first?.names ?? [])
        return .alternatives(options)
      }
      if head.symbolName == "quote", items.count == 2 {
        return .literal(SyntaxConversion.value(items[1]))
      }
      if head.symbolName == "struct" {
        guard items.count >= 2, case .symbol(_, let name) = items[1].kind else {
          throw OxurError("syntax", "struct pattern needs a type name", span: form.span)
        }
        var fields: [(key: Keyword, pattern: Pattern)] = []
        var index = 2
        while index < items.count {
          if case .keyword(let field) = items[index].kind, index + 1 < items.count {
            fields.append((Keyword.intern(field), try compilePattern(items[index + 1], bound: &bound, here: &here)))
            index += 2
          } else if case .list(let pair) = items[index].kind, pair.count == 2, let field = pair[0].symbolName {
            fields.append((Keyword.intern(field), try compilePattern(pair[1], bound: &bound, here: &here)))
            index += 1
          } else {
            throw OxurError("syntax", "struct pattern fields are :name pattern pairs", span: items[index].span)
          }
        }
        return .structure(name: name, fields: fields)
      }
      if case .symbol(let module, let name) = head.kind, let variant = resolvePatternVariant(module: module, name: name)
      {
        guard items.count - 1 == variant.arity else {
          throw OxurError(
            "syntax", "pattern \(name) takes \(variant.arity) field(s), got \(items.count - 1)", span: form.span)
        }
        var patterns: [Pattern] = []
        for item in items.dropFirst() { patterns.append(try compilePattern(item, bound: &bound, here: &here)) }
        return .variant(variant, patterns)
      }
      throw OxurError(
        "syntax", "unknown pattern \(Printer.readable(SyntaxConversion.value(form), limit: 60))", span: form.span)
    case .set:
      throw OxurError("syntax", "sets cannot be used as patterns", span: form.span)
    }
  }
}

extension Analyzer {
  /// True when `prefix` in `prefix:Name` is this module, an alias, a loaded module or an enum
  /// of this module: then it is a qualified variant, not a typed binding.
  func namesModuleOrEnum(_ prefix: String) -> Bool {
    prefix == moduleName || version.aliases[prefix] != nil || version.enums[prefix] != nil
      || runtime.registry.existingEntry(prefix)?.current != nil
  }
}

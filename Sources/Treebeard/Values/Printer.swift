// Value to text: `readable` output reads back; `display` shows strings and chars raw (print/str).

public enum Printer {
  /// Collections nested deeper than this print as `…` instead of risking the host stack.
  static let maximumDepth = 500
  /// Output is cut off with `…` past this many UTF-8 bytes. Values can share structure so that
  /// their printed form is astronomically long (an atom holding `[a a]` where `a` is the atom
  /// itself; `[v v]` nested a hundred times), and printing cannot be interrupted.
  static let maximumLength = 1 << 26

  public static func readable(_ value: Value, limit: Int? = nil) -> String {
    var out = ""
    // A character is at most 4 bytes: stop early rather than print a huge value and cut it.
    let budget = limit.map { min(maximumLength, $0 * 4 + 16) } ?? maximumLength
    write(value, readably: true, into: &out, depth: 0, budget: budget)
    if let limit, out.count > limit { return String(out.prefix(limit)) + "…" }
    return out
  }

  public static func display(_ value: Value) -> String {
    switch value {
    case .string(let s): return s.value
    case .char(let c): return String(Character(c))
    default:
      var out = ""
      write(value, readably: true, into: &out, depth: 0)
      return out
    }
  }

  static func formatFloat(_ d: Double) -> String {
    if d.isNaN { return "##NaN" }
    if d.isInfinite { return d < 0 ? "##-Inf" : "##Inf" }
    return d.description
  }

  /// Combining marks and invisible scalars print as `\u{…}` so a char literal stays readable.
  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .control, .format, .lineSeparator, .paragraphSeparator,
      .spaceSeparator, .surrogate, .privateUse, .unassigned:
      return scalar != " "
    default:
      return false
    }
  }

  static let charNames: [Unicode.Scalar: String] = [
    "\n": "newline", " ": "space", "\t": "tab", "\r": "return", "\0": "nul", "\u{8}": "backspace",
    "\u{C}": "formfeed",
  ]

  static func escape(_ text: String, into out: inout String) {
    out.append("\"")
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out.append("\\\"")
      case "\\": out.append("\\\\")
      case "\n": out.append("\\n")
      case "\t": out.append("\\t")
      case "\r": out.append("\\r")
      case "\0": out.append("\\0")
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          out.append("\\u{\(String(scalar.value, radix: 16))}")
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out.append("\"")
  }

  private static func writeSequence<S: Sequence>(
    _ items: S, open: String, close: String, into out: inout String, depth: Int, budget: Int
  ) where S.Element == Value {
    out.append(open)
    var first = true
    for item in items {
      if !first && out.utf8.count < budget { out.append(" ") }
      first = false
      write(item, readably: true, into: &out, depth: depth + 1, budget: budget)
    }
    out.append(close)
  }

  static func write(_ value: Value, readably: Bool, into out: inout String, depth: Int, budget: Int = maximumLength) {
    // Also stop when the host stack runs low: values may be printed on small-stack threads.
    if depth > maximumDepth || (depth > 32 && StackGuard.isLow()) {
      out.append("…")
      return
    }
    if out.utf8.count >= budget {
      if !out.hasSuffix("…") { out.append("…") }
      return
    }
    switch value {
    case .nil: out.append("nil")
    case .bool(let b): out.append(b ? "true" : "false")
    case .int(let i): out.append(String(i))
    case .float(let d): out.append(formatFloat(d))
    case .char(let c):
      if !readably {
        out.unicodeScalars.append(c)
      } else if let name = charNames[c] {
        out.append("\\" + name)
      } else if c.value < 0x20 || c.value == 0x7F || Printer.needsEscape(c) {
        out.append("\\u{\(String(c.value, radix: 16))}")
      } else {
        out.append("\\")
        out.unicodeScalars.append(c)
      }
    case .string(let s):
      if readably { escape(s.value, into: &out) } else { out.append(s.value) }
    case .keyword(let k): out.append(":" + k.name)
    case .symbol(let s): out.append(s.qualifiedName)
    case .list(let node):
      var items: [Value] = []
      var cursor = node
      while let current = cursor {
        items.append(current.first)
        cursor = current.rest
      }
      writeSequence(items, open: "(", close: ")", into: &out, depth: depth, budget: budget)
    case .vector(let v):
      out.append("[")
      var first = true
      v.forEachElement { item in
        if !first && out.utf8.count < budget { out.append(" ") }
        first = false
        write(item, readably: true, into: &out, depth: depth + 1, budget: budget)
      }
      out.append("]")
    case .map(let m):
      out.append("{")
      var first = true
      for (key, item) in m.storage {
        if !first && out.utf8.count < budget { out.append(" ") }
        first = false
        write(key, readably: true, into: &out, depth: depth + 1, budget: budget)
        if out.utf8.count < budget { out.append(" ") }
        write(item, readably: true, into: &out, depth: depth + 1, budget: budget)
      }
      out.append("}")
    case .set(let s): writeSequence(s.storage, open: "#{", close: "}", into: &out, depth: depth, budget: budget)
    case .closure(let c):
      if c.lambda.name == nil {
        out.append("#<fn>")
      } else {
        out.append("#<fn \(c.lambda.displayName)/\(c.lambda.arityDescription)>")
      }
    case .builtin(let b): out.append("#<builtin \(b.name)>")
    case .functionReference(let r):
      out.append("#<fn \(r.displayName)/\(r.site.currentArityDescription() ?? "?")>")
    case .structInstance(let s):
      out.append("(struct \(s.type.qualifiedName)")
      for (field, item) in zip(s.type.fields, s.values) {
        out.append(" :\(field.name) ")
        write(item, readably: true, into: &out, depth: depth + 1, budget: budget)
      }
      out.append(")")
    case .variant(let v):
      if v.isConstructor {
        out.append("#<constructor \(v.variant.name)/\(v.variant.arity)>")
      } else if v.payload.isEmpty {
        out.append(v.variant.name)
      } else {
        writeSequence(
          [Value.symbol(v.variant.name)] + v.payload, open: "(", close: ")", into: &out, depth: depth, budget: budget)
      }
    case .atom(let a):
      out.append("(atom ")
      write(a.value, readably: true, into: &out, depth: depth + 1, budget: budget)
      out.append(")")
    case .opaque(let o): out.append("#<\(o.typeName)>")
    case .recurSignal, .tailCallSignal: out.append("#<internal>")
    }
  }
}

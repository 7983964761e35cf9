// Output builtins: print, println, pr, prn, flush, format.

enum OutputBuiltins {
  /// A printing builtin's `nil`, after throwing the `io` error of an output whose reader is
  /// gone: the program stops as Python's does with BrokenPipeError, instead of printing into
  /// nothing for ever.
  private static func written(_ m: Machine) throws -> Value {
    if let failure = m.output.failure { throw OxurError("io", failure) }
    return .nil
  }

  static func register(_ t: inout PreludeTable) {
    t.define("print", atLeast: 0) { m, a in
      m.output.write(try Printer.complete(a.all, readably: false, separator: " ", machine: m))
      return try written(m)
    }
    t.define("println", atLeast: 0) { m, a in
      m.output.write(try Printer.complete(a.all, readably: false, separator: " ", machine: m) + "\n")
      return try written(m)
    }
    t.define("pr", atLeast: 0) { m, a in
      m.output.write(try Printer.complete(a.all, readably: true, separator: " ", machine: m))
      return try written(m)
    }
    t.define("prn", atLeast: 0) { m, a in
      m.output.write(try Printer.complete(a.all, readably: true, separator: " ", machine: m) + "\n")
      return try written(m)
    }
    t.define("flush", 0...0) { m, _ in
      m.output.flush()
      return try written(m)
    }
    t.define("pr-str", atLeast: 0) { m, a in
      .string(try Printer.complete(a.all, readably: true, separator: " ", machine: m))
    }
    t.define("format", atLeast: 1) { m, a in
      .string(try format(try Check.string(a[0], "format"), a.dropping(1), machine: m))
    }
  }

  /// Rust-style `{}` (display) and `{:?}` (readable); `{{` and `}}` are literal braces.
  static func format(_ template: String, _ arguments: [Value], machine: Machine? = nil) throws -> String {
    var out = ""
    var next = 0
    var characters = template.makeIterator()
    var pending: Character? = nil
    func nextCharacter() -> Character? {
      if let p = pending {
        pending = nil
        return p
      }
      return characters.next()
    }
    while let c = nextCharacter() {
      if c == "{" {
        guard let d = nextCharacter() else { throw OxurError("format", "format string ends inside '{'") }
        if d == "{" {
          out.append("{")
          continue
        }
        var spec = ""
        var current: Character? = d
        while let ch = current, ch != "}" {
          spec.append(ch)
          current = nextCharacter()
        }
        guard current == "}" else { throw OxurError("format", "unclosed '{' in format string") }
        guard next < arguments.count else {
          throw OxurError("format", "format string needs more than \(arguments.count) argument(s)")
        }
        switch spec {
        case "": out += try Printer.complete(arguments[next], readably: false, machine: machine)
        case ":?": out += try Printer.complete(arguments[next], readably: true, machine: machine)
        default: throw OxurError("format", "unknown format spec {\(spec)}")
        }
        next += 1
      } else if c == "}" {
        // `}}` is a brace; a lone `}` is an error, as in Rust (it was printed as written).
        guard nextCharacter() == "}" else {
          throw OxurError("format", "unmatched '}' in format string (write }} for a brace)")
        }
        out.append("}")
      } else {
        out.append(c)
      }
    }
    if next < arguments.count {
      throw OxurError("format", "format string uses \(next) of \(arguments.count) argument(s)")
    }
    return out
  }
}

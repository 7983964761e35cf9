// String builtins: str, subs, split, join, case, trim, search, parsing.

import Foundation

enum StringBuiltins {
  static func register(_ t: inout PreludeTable) {
    t.define("str", atLeast: 0) { m, a in
      // `(str s)` is `s`: strings are immutable, so the same object serves.
      if a.count == 1, case .string = a[0] { return a[0] }
      if let short = TextAssembly.short(a) { return .string(short) }
      if let joined = TextAssembly.concatenated(a) { return .string(joined) }
      var out = ""
      var growth = MemoryGuard.Growth()
      for index in 0..<a.count {
        switch a[index] {
        case .nil: continue
        case .string(let s): out.append(s.value)
        case .int(let i): DecimalText.append(i, to: &out)
        default: out.append(try Printer.complete(a[index], readably: false, machine: m))
        }
        if out.utf8.count > Printer.maximumCompleteLength { throw PrintJob.tooLong() }
        try growth.check(out.utf8.count, for: "str's text")
      }
      return .string(out)
    }
    t.define("subs", 2...3) { _, a in
      let text = try Check.string(a[0], "subs")
      let scalars = Array(text.unicodeScalars)
      let start = try Check.int(a[1], "subs")
      let end = a.count == 3 ? try Check.int(a[2], "subs") : scalars.count
      guard start >= 0, end <= scalars.count, start <= end else {
        throw OxurError(
          "index-out-of-range", "subs range \(start)..\(end) out of range for string of length \(scalars.count)")
      }
      var view = String.UnicodeScalarView()
      view.append(contentsOf: scalars[start..<end])
      return .string(String(view))
    }
    t.define("split", 2...2) { _, a in
      let text = try Check.string(a[0], "split")
      let separator = try Check.string(a[1], "split")
      // The text's bytes, the pieces, their values and the vector: counted before any is made.
      let pieces =
        separator.isEmpty
        ? Collections.scalarCount(text) : TextMatching.occurrenceCount(of: separator, in: text.utf8) + 1
      try MemoryGuard.reserve(values: pieces, copies: 3, for: "split's pieces")
      try MemoryGuard.reserve(text.utf8.count, for: "split's text")
      return Collections.vector(TextMatching.split(text, by: separator, pieces: pieces).map { .string($0) })
    }
    t.define("join", 1...2) { m, a in
      let separator = a.count == 2 ? try Check.string(a[0], "join") : ""
      return .string(try TextAssembly.joined(a[a.count - 1], separator: separator, machine: m))
    }
    t.define("upper-case", 1...1) { _, a in .string(try Check.string(a[0], "upper-case").uppercased()) }
    t.define("lower-case", 1...1) { _, a in .string(try Check.string(a[0], "lower-case").lowercased()) }
    t.define("trim", 1...1) { _, a in
      .string(try Check.string(a[0], "trim").trimmingCharacters(in: .whitespacesAndNewlines))
    }
    t.define("starts-with?", 2...2) { _, a in
      .bool(TextMatching.hasPrefix(try Check.string(a[0], "starts-with?"), try Check.string(a[1], "starts-with?")))
    }
    t.define("ends-with?", 2...2) { _, a in
      .bool(TextMatching.hasSuffix(try Check.string(a[0], "ends-with?"), try Check.string(a[1], "ends-with?")))
    }
    t.define("includes?", 2...2) { _, a in
      let needle = try Check.string(a[1], "includes?")
      let haystack = try Check.string(a[0], "includes?")
      return .bool(TextMatching.contains(haystack, needle))
    }
    t.define("replace", 3...3) { _, a in
      .string(
        try TextMatching.replacing(
          try Check.string(a[0], "replace"), try Check.string(a[1], "replace"),
          with: try Check.string(a[2], "replace")))
    }
    t.define("parse-int", 1...1) { _, a in
      let text = try Check.string(a[0], "parse-int").trimmingCharacters(in: .whitespaces)
      if let value = Int(text) { return BuiltinEnums.okValue(.int(value)) }
      return BuiltinEnums.errValue(.string("invalid integer: \(Printer.readable(a[0]))"))
    }
    t.define("parse-float", 1...1) { _, a in
      let text = try Check.string(a[0], "parse-float").trimmingCharacters(in: .whitespaces)
      if !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
        let value = Double(text)
      {
        return BuiltinEnums.okValue(.float(value))
      }
      return BuiltinEnums.errValue(.string("invalid float: \(Printer.readable(a[0]))"))
    }
    t.define("char-code", 1...1) { _, a in
      guard case .char(let c) = a[0] else { throw Failure.type("a char", a[0], in: "char-code") }
      return .int(Int(c.value))
    }
    t.define("char", 1...1) { _, a in
      let code = try Check.int(a[0], "char")
      guard code >= 0, code <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(code)) else {
        throw OxurError("type", "\(code) is not a Unicode scalar value")
      }
      return .char(scalar)
    }
    t.define("keyword", 1...1) { _, a in
      if case .keyword = a[0] { return a[0] }
      // `:` alone does not read back as a keyword, so there is no empty keyword.
      let name = try Check.string(a[0], "keyword")
      guard !name.isEmpty else { throw OxurError("type", "a keyword name must not be empty") }
      return .keyword(name)
    }
    t.define("symbol", 1...1) { _, a in
      let name = try Check.string(a[0], "symbol")
      guard !name.isEmpty else { throw OxurError("type", "a symbol name must not be empty") }
      return .symbol(name)
    }
    t.define("name", 1...1) { _, a in
      switch a[0] {
      case .keyword(let k): return .string(k.name)
      case .symbol(let s): return .string(s.name)
      case .string: return a[0]
      default: throw Failure.type("a keyword, symbol or string", a[0], in: "name")
      }
    }
  }
}

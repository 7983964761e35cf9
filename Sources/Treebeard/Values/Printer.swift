// Value to text: `readable` output reads back; `display` shows strings and chars raw (print/str).

public enum Printer {
  /// Collections nested deeper than this print as `…` instead of risking the host stack.
  static let maximumDepth = 500
  /// Display output (the REPL, error messages) is cut off with `…` past this many UTF-8 bytes.
  /// Values can share structure so that their printed form is astronomically long (an atom
  /// holding `[a a]` where `a` is the atom itself; `[v v]` nested a hundred times).
  static let maximumLength = 1 << 26
  /// `str`, `pr-str`, `format`, `print` and `spit` produce all of the text or fail past this.
  static let maximumCompleteLength = 1 << 30

  public static func readable(_ value: Value, limit: Int? = nil) -> String {
    var out = ""
    // A character is at most 4 bytes: stop early rather than print a huge value and cut it.
    let budget = limit.map { min(maximumLength, $0 * 4 + 16) } ?? maximumLength
    write(value, readably: true, into: &out, depth: 0, job: PrintJob(budget: budget))
    if let limit, out.count > limit { return String(out.prefix(limit)) + "…" }
    return out
  }

  /// What the REPL shows for a result: at most `elementLimit` elements of each collection,
  /// then `… (N more)`, so a million-element vector does not flood the terminal. `println`
  /// and `pr-str` still write everything.
  /// Collections nested deeper than `levelLimit` print as `…` (`*print-level*`).
  public static func summary(
    _ value: Value, elementLimit: Int = Printer.replElementLimit, levelLimit: Int = .max
  ) -> String {
    var out = ""
    let job = PrintJob(budget: maximumLength, elementLimit: max(0, elementLimit), levelLimit: max(0, levelLimit))
    write(value, readably: true, into: &out, depth: 0, job: job)
    return out
  }

  /// `summary`, stopped by an interrupt of `machine`'s evaluation (a REPL showing a huge
  /// result under a large `*print-length*`, which Ctrl-C could not stop).
  static func summary(_ value: Value, elementLimit: Int, levelLimit: Int, machine: Machine) throws -> String {
    var out = ""
    let job = PrintJob(
      budget: maximumLength, machine: machine, elementLimit: max(0, elementLimit), levelLimit: max(0, levelLimit))
    write(value, readably: true, into: &out, depth: 0, job: job)
    if let failure = job.failure as? OxurError, failure.kind == "interrupted" { throw failure }
    return out
  }

  /// Elements of one collection the REPL prints before eliding the rest.
  public static let replElementLimit = 1_000

  public static func display(_ value: Value) -> String {
    switch value {
    case .string(let s): return s.value
    case .char(let c): return String(Character(c))
    default:
      var out = ""
      write(value, readably: true, into: &out, depth: 0, job: PrintJob(budget: maximumLength))
      return out
    }
  }

  /// The whole text of `value` for the builtins that make text a program keeps (`str`, `spit`,
  /// `println`…): never cut short, an Oxur error instead when it is too long or too deep, and
  /// stopped by an interrupt of `machine`'s evaluation.
  static func complete(_ value: Value, readably: Bool, machine: Machine?) throws -> String {
    if !readably {
      switch value {
      case .string(let s): return s.value
      case .char(let c): return String(Character(c))
      default: break
      }
    }
    // Scalars print without a job: nothing to nest, interrupt or cut.
    switch value {
    case .int(let i): return DecimalText.string(i)
    case .nil: return "nil"
    case .bool(let b): return b ? "true" : "false"
    default: break
    }
    var out = ""
    let job = PrintJob(budget: maximumCompleteLength, failing: true, machine: machine)
    write(value, readably: true, into: &out, depth: 0, job: job)
    if let failure = job.failure { throw failure }
    return out
  }

  /// `complete` for several values joined by `separator`, as `println` and `pr-str` print them.
  static func complete(_ values: [Value], readably: Bool, separator: String, machine: Machine?) throws -> String {
    var out = ""
    var growth = MemoryGuard.Growth()
    for (index, value) in values.enumerated() {
      if index > 0 { out.append(separator) }
      let piece = try complete(value, readably: readably, machine: machine)
      try growth.check(out.utf8.count + piece.utf8.count, for: "printed text")
      out.append(piece)
      if out.utf8.count > maximumCompleteLength { throw PrintJob.tooLong() }
    }
    return out
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
    _ items: S, open: String, close: String, into out: inout String, depth: Int, job: PrintJob
  ) where S.Element == Value {
    out.append(open)
    var index = 0
    for item in items {
      if job.stopped { return }
      if job.elides(index, total: items.underestimatedCount, into: &out) { break }
      if index > 0 { out.append(" ") }
      index += 1
      write(item, readably: true, into: &out, depth: depth + 1, job: job)
    }
    if !job.stopped { out.append(close) }
  }

  static func write(_ value: Value, readably: Bool, into out: inout String, depth: Int, job: PrintJob) {
    if job.stopped { return }
    // Also stop when the host stack runs low: values may be printed on small-stack threads.
    if depth > maximumDepth || (depth > 32 && StackGuard.isLow()) {
      job.tooDeep(&out)
      return
    }
    if out.utf8.count >= job.budget {
      job.tooLong(&out)
      return
    }
    guard job.allowsGrowth(to: out.utf8.count, &out) else { return }
    job.step()
    if depth >= job.levelLimit {
      switch value {
      case .list, .vector, .map, .set, .structInstance:
        out.append("…")
        return
      default: break
      }
    }
    switch value {
    case .nil: out.append("nil")
    case .bool(let b): out.append(b ? "true" : "false")
    case .int(let i): DecimalText.append(i, to: &out)
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
      guard job.allowsGrowth(to: out.utf8.count + s.value.utf8.count, &out) else { return }
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
      writeSequence(items, open: "(", close: ")", into: &out, depth: depth, job: job)
    case .vector(let v):
      out.append("[")
      var index = 0
      var elided = false
      v.forEachElement { item in
        if job.stopped || elided { return }
        if job.elides(index, total: v.count, into: &out) {
          elided = true
          return
        }
        if index > 0 { out.append(" ") }
        index += 1
        write(item, readably: true, into: &out, depth: depth + 1, job: job)
      }
      if !job.stopped { out.append("]") }
    case .map(let m):
      out.append("{")
      var index = 0
      for (key, item) in m.storage {
        if job.stopped { return }
        if job.elides(index, total: m.count, into: &out) { break }
        if index > 0 { out.append(" ") }
        index += 1
        write(key, readably: true, into: &out, depth: depth + 1, job: job)
        if job.stopped { return }
        out.append(" ")
        write(item, readably: true, into: &out, depth: depth + 1, job: job)
      }
      if !job.stopped { out.append("}") }
    case .set(let s): writeSequence(s.storage, open: "#{", close: "}", into: &out, depth: depth, job: job)
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
        if job.stopped { return }
        out.append(" :\(field.name) ")
        write(item, readably: true, into: &out, depth: depth + 1, job: job)
      }
      if !job.stopped { out.append(")") }
    case .variant(let v):
      if v.isConstructor {
        out.append("#<constructor \(v.variant.name)/\(v.variant.arity)>")
      } else if v.payload.isEmpty {
        out.append(v.variant.name)
      } else {
        writeSequence(
          [Value.symbol(v.variant.name)] + v.payload, open: "(", close: ")", into: &out, depth: depth, job: job)
      }
    case .atom(let a):
      out.append("(atom ")
      write(a.value, readably: true, into: &out, depth: depth + 1, job: job)
      if !job.stopped { out.append(")") }
    case .opaque(let o): out.append("#<\(o.typeName)\(o.label.map { " " + $0 } ?? "")>")
    case .recurSignal, .tailCallSignal: out.append("#<internal>")
    }
  }
}

/// One printing: where to stop, and whether stopping cuts the text (`…`) or fails.
final class PrintJob {
  let budget: Int
  /// Fail with `failure` rather than cut the text short.
  let failing: Bool
  let machine: Machine?
  /// Set once the text was cut: nothing more is written, not even closing brackets.
  private(set) var stopped = false
  private(set) var failure: Error?
  private var steps = 0

  /// Elements of each collection written before the rest is elided (`Int.max`: all).
  let elementLimit: Int

  /// Nesting depth past which collections print as `…` (`Int.max`: none).
  let levelLimit: Int

  init(budget: Int, failing: Bool = false, machine: Machine? = nil, elementLimit: Int = .max, levelLimit: Int = .max) {
    self.budget = budget
    self.failing = failing
    self.machine = machine
    self.elementLimit = elementLimit
    self.levelLimit = levelLimit
  }

  /// True (after writing ` … (N more)`) when element `index` of a collection of `total` is past
  /// the limit: the caller stops writing elements and closes the collection.
  func elides(_ index: Int, total: Int, into out: inout String) -> Bool {
    guard index >= elementLimit else { return false }
    out.append((index == 0 ? "… (" : " … (") + "\(total - index) more)")
    return true
  }

  static func tooLong() -> OxurError {
    OxurError("overflow", "printed text too long: more than \(Printer.maximumCompleteLength >> 20) MiB")
  }

  func tooLong(_ out: inout String) { stop(&out, failure: PrintJob.tooLong()) }

  /// Display text marks the elided part and goes on; complete text fails.
  func tooDeep(_ out: inout String) {
    guard failing else {
      out.append("…")
      return
    }
    stop(
      &out,
      failure: OxurError(
        "stack-overflow", "value nested too deeply to print (more than \(Printer.maximumDepth) levels)"))
  }

  /// How far the text has been checked against the memory limit (`MemoryGuard`).
  private var growth = MemoryGuard.Growth()

  /// Before the text grows to `count` bytes: false (the job stopped with `out-of-memory`)
  /// when the doubling of its buffer would not fit under the memory limit, where Swift's
  /// string growth traps (`(pr-str (vec (repeat 6 s)))` of a 64 MiB `s` under `ulimit -v`).
  @inline(__always) func allowsGrowth(to count: Int, _ out: inout String) -> Bool {
    do { try growth.check(count, for: "printed text") } catch {
      stop(&out, failure: error)
      return false
    }
    return true
  }

  /// Every few thousand values, lets an interrupt stop a long printing.
  @inline(__always) func step() {
    steps &+= 1
    guard steps & 0xFFF == 0, let machine else { return }
    do { try machine.checkInterrupt() } catch {
      stopped = true
      failure = error
    }
  }

  private func stop(_ out: inout String, failure: Error) {
    stopped = true
    if failing {
      self.failure = failure
    } else {
      out.append("…")
    }
  }
}

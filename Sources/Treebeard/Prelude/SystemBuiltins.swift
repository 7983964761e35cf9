// Builtins about the program itself: atoms, macros, types, assertions, time, files, exit.

import Foundation
import OxurSyntax

/// Thrown by `(exit n)`; not an OxurError, so `catch` cannot swallow it.
public struct ExitRequest: Error {
  public let code: Int32
  /// The `(exit …)` call, for hosts that refuse it (an nREPL session, an HTTP handler) and say where.
  public internal(set) var span: Span = .unknown
  /// Keeps the span's file (spans keep no text) until the host has reported it.
  private var file: SourceFile?
  /// Lines a refusal shows after its error: a load the exit stopped, and what that load kept.
  public internal(set) var consequences: [String] = []

  init(code: Int32) { self.code = code }

  /// The error a host reports instead where code may not end the program (a process, an nREPL
  /// session, an HTTP handler): at the `(exit …)` call, with what it stopped.
  public func refused(_ message: String) -> OxurError {
    let error = OxurError("exit", message, span: span)
    error.consequences = consequences
    return error
  }

  func located(_ place: Span) -> ExitRequest {
    var located = self
    if !located.span.isKnown { (located.span, located.file) = (place, place.file) }
    return located
  }
}

enum SystemBuiltins {
  static func register(_ t: inout PreludeTable) {
    t.define("atom", 1...1) { _, a in .atom(Atom(a[0])) }
    t.define("deref", 1...1) { _, a in try Check.atom(a[0], "deref").value }
    t.define("reset!", 2...2) { _, a in
      try Check.atom(a[0], "reset!").value = a[1]
      return a[1]
    }
    t.define("swap!", atLeast: 2) { m, a in
      let atom = try Check.atom(a[0], "swap!")
      // Compare-and-set, as Clojure's: the function may reach a safe point where another thread
      // swaps the same atom; then the update is computed again from the newer value.
      while true {
        let seen = atom.changes
        let updated = try m.call(a[1], [atom.value] + a.dropping(2))
        if atom.changes == seen {
          atom.value = updated
          return updated
        }
      }
    }
    t.define("gensym", 0...1) { _, a in
      let prefix = a.count == 1 ? Printer.display(a[0]) : "G__"
      return .symbol(Gensym.next(prefix))
    }
    t.define("macroexpand-1", 1...1) { m, a in try m.runtime.macroexpand(a[0], once: true, machine: m) }
    t.define("macroexpand", 1...1) { m, a in try m.runtime.macroexpand(a[0], once: false, machine: m) }
    t.define("type-of", 1...1) { _, a in .keyword(a[0].typeName) }
    t.define("%assert", 3...3) { _, a in
      if a[0].isTruthy { return .nil }
      let detail = a[2].isTruthy ? ": \(Printer.display(a[2]))" : ""
      throw OxurError("assertion", "assertion failed: \(Printer.readable(a[1]))\(detail)")
    }
    t.define("panic", 1...1) { _, a in throw OxurError("panic", Printer.display(a[0])) }
    t.define("now-ms", 0...0) { _, _ in .int(Int(Date().timeIntervalSince1970 * 1000)) }
    t.define("now-ns", 0...0) { _, _ in .int(Int(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds)) }
    t.define("%time", 1...1) { m, a in
      let start = DispatchTime.now().uptimeNanoseconds
      let result = try m.call(a[0], [])
      let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
      m.output.write("Elapsed: \(Milliseconds.tenths(elapsed)) ms\n")
      return result
    }
    // File I/O runs with the evaluator lock released (docs/processes.md §2): other processes
    // evaluate while a slow disk blocks this one.
    t.define("slurp", 1...1) { m, a in
      let path = try Check.path(a[0], "slurp")
      let read = try m.withEvaluatorReleased { FileContents.whole(path) { m.isInterruptRequested } }
      switch read {
      case .success(let data):
        guard let text = String(data: data, encoding: .utf8) else {
          throw OxurError("io", "cannot read file \(path): not UTF-8 text")
        }
        return .string(text)
      case .failure(.tooLarge):
        throw OxurError("io", "cannot read file \(path): more than \(FileContents.slurpLimit >> 20) MiB")
      case .failure(.interrupted):
        throw OxurError("interrupted", "interrupted")
      case .failure(.cannotRead(let why)):
        throw OxurError("io", "cannot read file \(path): \(why)")
      }
    }
    t.define("spit", 2...2) { m, a in
      let path = try Check.path(a[0], "spit")
      let text = try Printer.complete(a[1], readably: false, machine: m)
      let failure = try m.withEvaluatorReleased {
        FileReplacement.write(Data(text.utf8), to: path) { m.isInterruptRequested }
      }
      if let failure { throw OxurError("io", "cannot write file \(path): \(failure)") }
      return .nil
    }
    t.define("exit", 0...1) { m, a in
      let code = a.count == 1 ? try Check.int(a[0], "exit") : 0
      // The system keeps the low 8 bits: (exit 256) ended with 0, a failure reported as success.
      guard (0...255).contains(code) else {
        throw OxurError("argument", "exit status must be between 0 and 255, got \(code)")
      }
      m.output.flush()
      throw ExitRequest(code: Int32(code))
    }
    t.define("args", 0...0) { m, _ in Collections.vector(m.runtime.programArguments.map { .string($0) }) }
    t.define("%in-module", 1...1) { m, a in
      let name = try Check.moduleName(a[0], "in-module")
      // A hook switched the REPL's module for good, or made a module that was never loaded.
      try m.runtime.transaction?.refuseInHook("switch to module \(name)")
      let entry = m.runtime.registry.entry(name)
      if entry.current == nil {
        if let transaction = m.runtime.transaction {
          // Made by a file being loaded: it exists only if that load commits.
          transaction.stage(
            entry, ModuleVersion(name: name, number: 0, path: nil, contentHash: ""), reason: .loadedByTopLevel)
        } else {
          entry.current = ModuleVersion(name: name, number: 1, path: nil, contentHash: "")
          entry.highestVersion = 1
        }
      }
      m.currentModule = name
      return .void
    }
  }
}

extension Runtime {
  /// `macroexpand` / `macroexpand-1` on quoted code, with the macros of `module` (the module
  /// of the calling code; the REPL's current module when the builtin is called as a value).
  func macroexpand(_ value: Value, once: Bool, module: String? = nil, machine: Machine) throws -> Value {
    let entry = registry.entry(module ?? machine.currentModule)
    let analyzer = Analyzer(runtime: self, machine: machine, entry: entry)
    var form = try SyntaxConversion.syntax(value, origin: .unknown)
    var steps = 0
    while case .list(let items) = form.kind, case .symbol(let module, let name)? = items.first?.kind,
      let expanded = try analyzer.expandMacro(form, items, module: module, name: name)
    {
      form = expanded
      steps += 1
      if once || steps > 10_000 { break }
    }
    return SyntaxConversion.value(form)
  }
}

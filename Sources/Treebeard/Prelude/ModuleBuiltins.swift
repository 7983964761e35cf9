// The reload forms as builtins: load, reload, reload-all, modules, and the lines they print.

import Foundation

enum ModuleBuiltins {
  static func register(_ t: inout PreludeTable) {
    t.define("load", 1...1) { m, a in
      try reportLoad(m, path: try Check.string(a[0], "load"), mode: .load)
    }
    t.define("reload", 1...2) { m, a in
      let path = try Check.string(a[0], "reload")
      if a.count == 2 {
        guard case .keyword(let option) = a[1], option.name == "dry-run" || option.name == "force" else {
          throw OxurError(
            "argument", "reload takes a path and optionally :dry-run or :force, not \(Printer.readable(a[1]))")
        }
        // :force: instances of a changed struct keep their old layout instead of being migrated.
        if option.name == "force" { return try reportLoad(m, path: path, mode: .reload, force: true) }
        return try reportDryRun(m, path: path)
      }
      return try reportLoad(m, path: path, mode: .reload)
    }
    t.define("reload-all", 0...2) { m, a in
      // `(reload-all :quiet)`, `(reload-all "dir" :quiet)`: for programs that poll; prints
      // nothing and returns the names of the modules committed, or staged to commit with the
      // load it runs inside (a failure still reports).
      var arguments = a.all
      let quiet =
        arguments.last.map { if case .keyword(let k) = $0 { return k.name == "quiet" } else { return false } } ?? false
      if quiet { arguments.removeLast() }
      guard arguments.count <= 1 else {
        throw OxurError("argument", "reload-all takes an optional directory and :quiet")
      }
      let directory = try arguments.first.map { try Check.path($0, "reload-all") }
      let stagedBefore = m.runtime.transaction?.staged.count
      do {
        let (outcomes, warnings) = try m.runtime.reloadAll(directory: directory, announce: !quiet, machine: m)
        if quiet, let stagedBefore, let outer = m.runtime.transaction {
          // Inside another load the modules it staged commit with that load; it answered [].
          return Collections.vector(outer.staged.dropFirst(stagedBefore).map { .string($0.entry.name) })
        }
        if quiet { return Collections.vector(outcomes.map { .string($0.module) }) }
        for warning in warnings { m.reportProblem(warning + "\n") }
        // Inside another load it joined that transaction: the outer load reports what it took
        // ("Nothing to reload" was printed there even when it had staged modules).
        if m.runtime.transaction != nil { return .void }
        if outcomes.isEmpty {
          m.output.write("✓ Nothing to reload\n")
        } else {
          let reloaded = outcomes.filter(\.isReload)
          let loaded = outcomes.filter { !$0.isReload }
          let details = (reloaded + loaded).map {
            "\($0.module) v\($0.version)" + ReloadLines.migrations($0.migrations)
          }.joined(separator: ", ")
          let counts =
            loaded.isEmpty
            ? "Reloaded \(reloaded.count) module(s)"
            : reloaded.isEmpty
              ? "Loaded \(loaded.count) new module(s)"
              : "Reloaded \(reloaded.count) module(s), loaded \(loaded.count) new"
          m.output.write("✓ \(counts): \(details)\n")
        }
      } catch let failure as LoadFailure {
        try failed(m, failure)
        if quiet { return .nil }
      }
      return .void
    }
    // `(unload m)`: a module nothing imports leaves the registry; its calls fail as unloaded.
    t.define("unload", 1...1) { m, a in
      let name = try Check.moduleName(a[0], "unload")
      let version = try m.runtime.unload(module: name)
      m.output.write("✓ Unloaded module: \(name) (was version \(version))\n")
      return .void
    }
    ReloadReportBuiltins.register(&t)
    t.define("modules", 0...0) { m, _ in
      m.output.write(m.runtime.modulesTable() + "\n")
      return .void
    }
  }

  private static func reportLoad(_ m: Machine, path: String, mode: LoadMode, force: Bool = false) throws -> Value {
    let outcome: LoadOutcome
    do {
      outcome = try m.runtime.loadModule(path: path, mode: mode, force: force, announce: true, machine: m)
    } catch {
      try failed(m, error)
      return .void
    }
    // Inside another load this one joined its transaction: the outer load reports it.
    if m.runtime.transaction != nil { return .void }
    for warning in outcome.warnings { m.reportProblem(warning + "\n") }
    for line in outcome.reportLines { m.output.write(line + "\n") }
    return .void
  }

  /// `(reload "f.oxur" :dry-run)`: the plan, and nothing committed.
  private static func reportDryRun(_ m: Machine, path: String) throws -> Value {
    let outcome: LoadOutcome
    do {
      outcome = try m.runtime.loadModule(path: path, mode: .reload, dryRun: true, machine: m)
    } catch {
      try failed(m, error)
      return .void
    }
    for warning in outcome.warnings { m.reportProblem(warning + "\n") }
    let current = m.runtime.registry.existingEntry(outcome.module)?.current?.number
    m.output.write(ReloadLines.dryRun(outcome, current: current))
    return .void
  }

  /// A failed load: `(exit n)` in the module's top level ends the program; inside another load
  /// the error fails that load too (both commit or neither); otherwise the report is printed
  /// and the program goes on with the versions it had.
  private static func failed(_ m: Machine, _ failure: LoadFailure) throws {
    if var exit = failure.exit {
      // The program ends, or (in a process, a session) the exit is refused: then say so of the load.
      exit.consequences.append(failure.keptLine)
      throw exit
    }
    if let transaction = m.runtime.transaction {
      // Also a load that failed before it joined (a missing file, a name clash): the outer
      // load must not commit, even if its code catches this error.
      if transaction.nestedFailure == nil { transaction.nestedFailure = failure.error }
      throw failure.error
    }
    m.runtime.failedLoads += 1
    _ = failure.error.located(m.reportSite)
    // A Ctrl-C that stopped the load was meant for the evaluation that ran it: reporting it as
    // a failed load let the program go on as if nothing had been asked (`catch` cannot stop it).
    // Whoever reports the interrupt says what the load kept; printed here too, it showed twice.
    if failure.error.kind == "interrupted" {
      failure.error.consequences.append(failure.keptLine)
      throw failure.error
    }
    m.reportProblem(failure.report + "\n")
  }
}

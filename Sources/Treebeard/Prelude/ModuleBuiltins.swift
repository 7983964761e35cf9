// The reload forms as builtins: load, reload, reload-all, modules, and the lines they print.

import Foundation

enum ModuleBuiltins {
  static func register(_ t: inout PreludeTable) {
    t.define("load", 1...1) { m, a in
      try reportLoad(m, path: try Check.string(a[0], "load"), mode: .load)
    }
    t.define("reload", 1...1) { m, a in
      try reportLoad(m, path: try Check.string(a[0], "reload"), mode: .reload)
    }
    t.define("reload-all", 0...1) { m, a in
      let directory = a.count == 1 ? try Check.string(a[0], "reload-all") : nil
      do {
        let (outcomes, warnings) = try m.runtime.reloadAll(directory: directory, machine: m)
        for warning in warnings { m.runtime.reportProblem(warning + "\n") }
        if outcomes.isEmpty {
          m.runtime.output.write("✓ Nothing to reload\n")
        } else {
          let reloaded = outcomes.filter(\.isReload)
          let loaded = outcomes.filter { !$0.isReload }
          let details = (reloaded + loaded).map { "\($0.module) v\($0.version)" }.joined(separator: ", ")
          let counts =
            loaded.isEmpty
            ? "Reloaded \(reloaded.count) module(s)"
            : reloaded.isEmpty
              ? "Loaded \(loaded.count) new module(s)"
              : "Reloaded \(reloaded.count) module(s), loaded \(loaded.count) new"
          m.runtime.output.write("✓ \(counts): \(details)\n")
        }
      } catch let failure as LoadFailure {
        m.runtime.reportProblem(failure.report + "\n")
      }
      return .void
    }
    t.define("modules", 0...0) { m, _ in
      m.runtime.output.write(m.runtime.modulesTable() + "\n")
      return .void
    }
  }

  private static func reportLoad(_ m: Machine, path: String, mode: LoadMode) throws -> Value {
    do {
      let outcome = try m.runtime.loadModule(path: path, mode: mode, machine: m)
      let verb = outcome.isReload ? "Reloaded" : "Loaded"
      m.runtime.output.write("✓ \(verb) module: \(outcome.module) (version \(outcome.version))\n")
      for dependent in outcome.dependents {
        let reason = dependent.isReload ? "re-expanded: it uses macros of \(outcome.module)" : "imported"
        m.runtime.output.write("  ↳ \(dependent.module) (version \(dependent.version), \(reason))\n")
      }
    } catch {
      m.runtime.reportProblem(error.report + "\n")
    }
    return .void
  }
}

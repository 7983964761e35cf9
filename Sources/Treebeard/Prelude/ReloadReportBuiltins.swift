// The reporting builtins of hot reload: (history m), (reload-stats) and (deps m), over what loads recorded.

import Foundation

enum ReloadReportBuiltins {
  static func register(_ t: inout PreludeTable) {
    // `(history calculator)`: the `history` core macro quotes the bare name.
    t.define("history", 1...1) { m, a in
      m.output.write(try m.runtime.historyTable(module: try Check.moduleName(a[0], "history")) + "\n")
      return .void
    }
    // `(history-limit)`: versions each module keeps for rollback; `(history-limit n)` sets it.
    t.define("history-limit", 0...1) { m, a in
      guard a.count == 1 else { return .int(m.runtime.registry.historyLimit) }
      if m.runtime.transaction != nil { throw OxurError("load", "history-limit cannot change inside a load") }
      try m.runtime.setHistoryLimit(try Check.int(a[0], "history-limit"))
      return .void
    }
    // `(reload-stats)`: the recent records as maps, oldest first; `(reload-stats m)`: m's latest.
    t.define("reload-stats", 0...1) { m, a in
      let records = m.runtime.registry.records
      guard a.count == 1 else { return Collections.vector(records.map(\.value)) }
      let module = try Check.moduleName(a[0], "reload-stats")
      return records.last { $0.module == module }?.value ?? .nil
    }
    // `(deps calculator)`: both directions of the import graph, and the compile-time edges.
    t.define("deps", 1...1) { m, a in
      m.output.write(try m.runtime.dependencyLines(module: try Check.moduleName(a[0], "deps")) + "\n")
      return .void
    }
  }

}

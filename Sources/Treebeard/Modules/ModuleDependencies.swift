// `(deps m)` and `(unload m)`: a module's place in the import graph, and leaving it.

import Foundation

extension Runtime {
  /// `(deps m)`: what m imports, what imports it, and whose macros its code was expanded with
  /// (a reload of those re-expands m in the same transaction).
  func dependencyLines(module: String) throws -> String {
    guard let current = registry.existingEntry(module)?.current else {
      throw OxurError("load", "no module \(module) is loaded")
    }
    let importers = registry.loadedModules.filter { $0.current?.imports.contains(module) == true }.map(\.name)
    let macroUsers = registry.loadedModules.filter { $0.current?.macroSources[module] != nil }.map(\.name)
    let layoutUsers = registry.loadedModules.filter { $0.current?.layoutSources.contains(module) == true }.map(\.name)
    func list(_ names: [String]) -> String { names.isEmpty ? "-" : names.sorted().joined(separator: ", ") }
    var lines = [
      "\(module) (version \(current.number))",
      "  imports:         \(list(current.imports))",
      "  imported by:     \(list(importers))",
      "  uses macros of:  \(list(Array(current.macroSources.keys)))",
      "  macros used by:  \(list(macroUsers))",
    ]
    // Struct-layout edges only when there are some: most modules construct only their own.
    if !current.layoutSources.isEmpty || !layoutUsers.isEmpty {
      lines += [
        "  uses structs of: \(list(Array(current.layoutSources)))",
        "  structs used by: \(list(layoutUsers))",
      ]
    }
    return lines.joined(separator: "\n")
  }
}

extension Runtime {
  /// Removes `module` from the loaded modules when no loaded module imports it or uses its
  /// macros (refused, naming them, otherwise). The entry stays, as call sites point at it;
  /// their next call reports the module as not loaded. Returns the version it had.
  func unload(module: String) throws -> Int {
    if transaction != nil { throw OxurError("load", "unload cannot run inside a load") }
    guard module != "user" else { throw OxurError("load", "module user belongs to the REPL and cannot be unloaded") }
    guard let entry = registry.existingEntry(module), let current = entry.current else {
      throw OxurError("load", "no module \(module) is loaded")
    }
    // Each user with how it depends: "app imports it", "ui uses its macros", "db builds its structs".
    let users: [String] = registry.loadedModules.compactMap { other in
      guard other.name != module, let version = other.current else { return nil }
      var ways: [String] = []
      if version.imports.contains(module) { ways.append("imports it") }
      if version.macroSources[module] != nil { ways.append("uses its macros") }
      if version.layoutSources.contains(module) { ways.append("builds its structs") }
      return ways.isEmpty ? nil : "\(other.name) \(ways.joined(separator: " and "))"
    }
    guard users.isEmpty else {
      throw OxurError("load", "cannot unload \(module): \(users.sorted().joined(separator: "; "))")
    }
    entry.history.removeAll()
    entry.current = nil
    // Evaluations running now keep their module; the next one in it starts in `user`.
    if currentModule == module { currentModule = "user" }
    return current.number
  }
}

extension Runtime {
  /// Refuses a transaction whose staged versions would close an import cycle (`a → b → a`):
  /// load order, dependents and `(unload)` all rely on imports forming a DAG. Calls between
  /// modules need no import (a qualified name is late-bound), so a cycle is never required.
  func checkImportCycles(_ transaction: LoadTransaction) throws {
    guard let cycle = firstCycle(from: transaction, through: { _, version in version.imports }) else { return }
    // Reported at the cycle's first `(import …)`: the visit starts at a staged module, so
    // that is in the file being loaded (after an edit, the import the edit added).
    let closing = registry.existingEntry(cycle[0])?.current?.importSpans[cycle[1]] ?? .unknown
    throw OxurError(
      "load",
      "import cycle: \(cycle.joined(separator: " → ")); a module can call another by qualified name without importing it"
    ).located(closing)
  }

  /// Refuses a transaction whose staged versions would close a cycle of compile-time uses: a
  /// uses a macro of b or builds one of b's structs, and b one of a's. A module is compiled once
  /// per transaction, after the modules whose macros and layouts it uses, so one side of a
  /// cycle would keep the other's old expansion or be checked against its old layout (code
  /// that fails at its first call) while the reload said it was compiled again.
  func checkCompileTimeCycles(_ transaction: LoadTransaction) throws {
    // `user` (the REPL's code) is never compiled again, so a cycle through it is harmless;
    // refusing it blocked every reload of a file that a REPL definition had closed one with.
    let cycle = firstCycle(from: transaction) { module, version in
      module == "user" ? [] : version.macroSources.keys.sorted() + version.layoutSources.sorted()
    }
    guard let cycle else { return }
    let versions = cycle.map { registry.existingEntry($0)?.current }
    // How each module on the cycle uses the next: macros where it does, else structs.
    let usesMacros = zip(versions, cycle.dropFirst()).map { version, next in version?.macroSources[next] != nil }
    // At the first use on the cycle in a staged module: the edit that closed it. A use whose
    // place was not recorded (a macro's template naming another's macro) gives the next one's.
    let first = zip(versions, cycle.dropFirst()).lazy.compactMap { version, next in
      version.flatMap { $0.macroSources[next] ?? $0.layoutSpans[next] }
    }.first { $0.isKnown }
    if usesMacros.allSatisfy({ $0 }) {
      throw OxurError(
        "load",
        "macro cycle: \(cycle.joined(separator: " → ")) (each uses macros of the next); "
          + "a module can be expanded with another's macros only if that one does not use its own"
      ).located(first ?? .unknown)
    }
    let hops = zip(zip(cycle, cycle.dropFirst()), usesMacros).map { pair, macros in
      "\(pair.0) \(macros ? "uses macros" : "builds structs") of \(pair.1)"
    }
    throw OxurError(
      "load",
      "compile-time cycle: \(cycle.joined(separator: " → ")) (\(hops.joined(separator: ", "))); "
        + "a module can be compiled against another's macros and structs only if that one does not use its own"
    ).located(first ?? .unknown)
  }

  /// The first cycle `edges` close among the modules reachable from the staged ones, from
  /// where it starts back to it (`[a, b, a]`, so at least two names); nil when there is none.
  private func firstCycle(
    from transaction: LoadTransaction, through edges: (String, ModuleVersion) -> [String]
  ) -> [String]? {
    var finished: Set<String> = []
    var path: [String] = []
    func visit(_ module: String) -> [String]? {
      if let start = path.firstIndex(of: module) { return Array(path[start...]) + [module] }
      guard !finished.contains(module), let current = registry.existingEntry(module)?.current else { return nil }
      path.append(module)
      for next in edges(module, current) {
        if let cycle = visit(next) { return cycle }
      }
      path.removeLast()
      finished.insert(module)
      return nil
    }
    // The modules asked for first: a cycle is reported from the file the edit was made in, not
    // from a macro user staged along with it.
    let requested = transaction.staged.filter { $0.reason == .requested }
    for item in requested + transaction.staged.filter({ $0.reason != .requested }) {
      if let cycle = visit(item.entry.name) { return cycle }
    }
    return nil
  }
}

// Load, reload and reload-all as transactions over module files, and the (modules) table (DESIGN.md §3).

import Foundation
import OxurSyntax

extension Runtime {
  /// Loads or reloads one module file as a transaction.
  /// A dry run stages everything and checks it, then rolls back: the outcome is the plan.
  func loadModule(
    path rawPath: String, mode: LoadMode, dryRun: Bool = false, force: Bool = false, announce: Bool = false,
    prepared: ModuleSource? = nil, machine: Machine
  ) throws(LoadFailure) -> LoadOutcome {
    let started = Stopwatch()
    let path = absolutePath(rawPath)
    var name: String? = nil
    var kept: [(String, Int)] = []
    do {
      // The module this file was loaded as: a deleted, emptied or header-less file must not
      // replace it (ReloadGuard.swift).
      let loadedHere = moduleLoaded(from: path)
      let source: ModuleSource
      do {
        // Text given with the path (an editor's buffer, saved or not) needs no file on disk.
        if let loadedHere, prepared == nil, !FileManager.default.fileExists(atPath: path) {
          throw deletedFileError(path, name: loadedHere.name, version: loadedHere.version.number)
        }
        source = try prepared ?? readModuleSource(path)
        if let loadedHere { try refuseWipe(source, replacing: loadedHere.name, version: loadedHere.version) }
      } catch {
        if let loadedHere {
          name = loadedHere.name
          kept = [(loadedHere.name, loadedHere.version.number)]
        }
        throw error
      }
      let moduleName = moduleName(of: source)
      name = moduleName
      let existing = registry.existingEntry(moduleName)?.current
      if let existing, existing.number > 0, existing.path != nil { kept = [(moduleName, existing.number)] }
      if mode == .load, let existing, let existingPath = existing.path, existingPath != path {
        throw errorAtHeader(
          of: source,
          "module \(moduleName) is already loaded from \(displayName(existingPath)); \(displayName(path)) also claims it (use reload to replace it)"
        )
      }
      if moduleName == "user" {
        throw errorAtHeader(of: source, "\(displayName(path)) cannot be module user: that module belongs to the REPL")
      }
      let (sources, macroUsers, warnings) = try withMacroDependents([(source, moduleName)])
      let committed = try loadTransaction(
        sources: dependencyOrder(sources), macroUsers: macroUsers, dryRun: dryRun, force: force, announce: announce,
        started: started, machine: machine)
      let dependents = committed.filter { $0.name != moduleName }.map { $0.outcome() }
      guard let own = committed.first(where: { $0.name == moduleName }) else {
        // Joined an outer transaction: that one commits and reports.
        let version = registry.existingEntry(moduleName)?.current?.number ?? 0
        return LoadOutcome(
          module: moduleName, version: version, isReload: !kept.isEmpty, dependents: dependents, warnings: warnings)
      }
      var outcome = LoadOutcome(
        module: moduleName, version: own.version, isReload: !kept.isEmpty, dependents: dependents, warnings: warnings)
      outcome.changes = own.changes
      outcome.milliseconds = own.milliseconds
      outcome.breakageWarnings = committed.flatMap(\.warnings)
      outcome.isDryRun = dryRun
      outcome.checked = own.checked
      outcome.migrations = committed.flatMap(\.migrations)
      return outcome
    } catch let error as OxurError {
      throw LoadFailure(error: error, kept: kept, attempted: name, wasReload: mode == .reload)
    } catch let exit as ExitRequest {
      var failure = LoadFailure(
        error: OxurError("exit", "exit \(exit.code)"), kept: kept, attempted: name, wasReload: mode == .reload)
      failure.exit = exit
      throw failure
    } catch {
      throw LoadFailure(
        error: OxurError("load", "\(error)"), kept: kept, attempted: name, wasReload: mode == .reload)
    }
  }

  /// Reloads every loaded module whose file changed, and with `directory` also loads the
  /// `.oxur` files under it that are not loaded yet. All or nothing.
  func reloadAll(
    directory: String?, announce: Bool = false, prepared: [String: ModuleSource] = [:], machine: Machine
  ) throws(LoadFailure) -> (
    outcomes: [LoadOutcome], warnings: [String]
  ) {
    let started = Stopwatch()
    var warnings: [String] = []
    var sources: [(ModuleSource, String)] = []
    var kept: [(String, Int)] = []
    var loadedPaths: Set<String> = []
    do {
      for entry in registry.loadedModules {
        guard let current = entry.current, let path = current.path else { continue }
        loadedPaths.insert(path)
        // Inside a load: a module that load is staging is its to stage (a file changed since it
        // was read is not read into it twice).
        if transaction?.isStaging(entry.name) == true { continue }
        guard isModuleFile(path) else {
          warnings.append("⚠ \(displayName(path)) was deleted; keeping \(entry.name) version \(current.number)")
          continue
        }
        let source: ModuleSource
        do { source = try prepared[path] ?? readModuleSource(path) } catch {
          kept.append((entry.name, current.number))  // it could not be read: it stays
          throw error
        }
        let changed = source.contentHash != current.contentHash
        if changed {
          kept.append((entry.name, current.number))
          try refuseWipe(source, replacing: entry.name, version: current)
        }
        let declared = moduleName(of: source)
        if declared != entry.name {
          // The file was renamed to another module (loaded separately); this one keeps its code.
          warnings.append(
            "⚠ \(displayName(path)) now declares module \(declared); keeping \(entry.name) version \(current.number)")
          continue
        }
        if changed { sources.append((source, entry.name)) }
      }
      if let directory {
        let root = absolutePath(directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
          throw OxurError(
            "load", "reload-all: \(directory) is not a directory (no such directory: \(displayName(root)))")
        }
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        for file in files.sorted() where file.hasSuffix(".oxur") {
          let path = URL(fileURLWithPath: root).appendingPathComponent(file).standardizedFileURL.path
          if loadedPaths.contains(path) { continue }
          // Only files a module can be read from: an editor's lock (Emacs' `.#f.oxur`, a
          // dangling link), a directory or a FIFO named so failed the whole reload-all.
          guard FileContents.isRegularFile(path) else { continue }
          let source = try readModuleSource(path)
          let name = moduleName(of: source)
          if let other = registry.existingEntry(name)?.current?.path, other != path { continue }
          sources.append((source, name))
        }
      }
      let (withUsers, macroUsers, userWarnings) = try withMacroDependents(sources)
      warnings += userWarnings
      let ordered = dependencyOrder(withUsers)
      if ordered.isEmpty { return ([], warnings) }
      let committed = try loadTransaction(
        sources: ordered, macroUsers: macroUsers, announce: announce, started: started, machine: machine)
      return (committed.map { $0.outcome() }, warnings)
    } catch let error as OxurError {
      throw LoadFailure(error: error, kept: kept, attempted: nil, wasReload: true)
    } catch let exit as ExitRequest {
      var failure = LoadFailure(
        error: OxurError("exit", "exit \(exit.code)"), kept: kept, attempted: nil, wasReload: true)
      failure.exit = exit
      throw failure
    } catch {
      throw LoadFailure(error: OxurError("load", "\(error)"), kept: kept, attempted: nil, wasReload: true)
    }
  }

  /// Adds, transitively, every loaded module expanded with macros of a module being loaded:
  /// its code must be expanded again (DESIGN.md §3 step 2). A dependent is re-read like any
  /// load: a file that now declares another module is not read into this one (it keeps its
  /// code, with a warning), nor is a deleted one.
  func withMacroDependents(_ sources: [(ModuleSource, String)]) throws -> (
    sources: [(ModuleSource, String)], macroUsers: Set<String>, warnings: [String]
  ) {
    let (users, warnings) = try macroUsers(of: Set(sources.map(\.1)))
    return (sources + users, Set(users.map(\.1)), warnings)
  }

  /// The loaded modules expanded (transitively) with macros of `changing`, read from their files;
  /// with `fromCurrentText`, from the text their current version was loaded from (a rollback:
  /// re-reading the file took edits saved since, even ones dropping the import, into a
  /// commit that was only to restore other modules' macros).
  func macroUsers(of changing: Set<String>, fromCurrentText: Bool = false) throws -> (
    users: [(ModuleSource, String)], warnings: [String]
  ) {
    var result: [(ModuleSource, String)] = []
    var names = changing
    var warnings: [String] = []
    var changed = true
    while changed {
      changed = false
      for entry in registry.loadedModules where !names.contains(entry.name) {
        guard let current = entry.current, let path = current.path,
          !names.isDisjoint(with: current.macroSources.keys) || !current.layoutSources.isDisjoint(with: names)
        else { continue }
        names.insert(entry.name)
        func add(_ source: ModuleSource) {
          result.append((source, entry.name))
          changed = true
        }
        let loadedText = current.loadedSource
        if fromCurrentText, let loadedText {
          add(loadedText)
          continue
        }
        // A file deleted, or now declaring another module, is not read into this one; the
        // module is expanded again from the text its version was loaded from. Kept with the
        // old macros' expansions, it called what the new ones no longer define.
        func fromLoadedText(_ why: String) -> Bool {
          guard let loadedText else { return false }
          warnings.append(
            "⚠ \(displayName(path)) \(why); \(entry.name) is expanded again from the text version \(current.number) was loaded from"
          )
          add(loadedText)
          return true
        }
        guard isModuleFile(path) else {
          if fromLoadedText("was deleted") { continue }
          warnings.append(
            "⚠ \(displayName(path)) was deleted; \(entry.name) keeps version \(current.number), expanded with the old macros"
          )
          continue
        }
        let source = try readModuleSource(path)
        let declared = moduleName(of: source)
        if declared != entry.name, fromLoadedText("now declares module \(declared)") { continue }
        try refuseWipe(source, replacing: entry.name, version: current)
        guard declared == entry.name else {
          warnings.append(
            "⚠ \(displayName(path)) now declares module \(declared); \(entry.name) keeps version \(current.number), expanded with the old macros"
          )
          continue
        }
        add(source)
      }
    }
    return (result, warnings)
  }

  /// True when `path` is still a file a module can be read from: a path that was deleted, or
  /// that became a directory, is treated alike (the loaded version stays, with a warning).
  private func isModuleFile(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
  }

  /// Modules a file imports come before it, so a reload of both sees the new dependency.
  func dependencyOrder(_ sources: [(ModuleSource, String)]) -> [(ModuleSource, String)] {
    if sources.count < 2 { return sources }  // nothing to order: skip parsing the file an extra time
    let names = Set(sources.map(\.1))
    var imports: [String: [String]] = [:]
    for (source, name) in sources {
      let forms = (try? Reader.readAll(SourceFile(name: source.path, text: source.text))) ?? []
      imports[name] = forms.compactMap { form in
        guard let items = form.listElements, items.first?.symbolName == "import", items.count >= 2 else { return nil }
        let target = Printer.readable(SyntaxConversion.value(items[1]))
        return names.contains(target) ? target : nil
      }
      // Compile-time edges of the loaded version count too: a module that builds another's
      // structs or uses its macros goes after it even without an import.
      if let loaded = registry.existingEntry(name)?.current {
        imports[name, default: []] += loaded.layoutSources.union(loaded.macroSources.keys).filter { names.contains($0) }
      }
    }
    var ordered: [(ModuleSource, String)] = []
    var byName: [String: (ModuleSource, String)] = [:]
    for item in sources where byName[item.1] == nil { byName[item.1] = item }
    var visiting: Set<String> = []
    var done: Set<String> = []
    func visit(_ name: String) {
      if done.contains(name) || visiting.contains(name) { return }
      visiting.insert(name)
      for dependency in imports[name] ?? [] { visit(dependency) }
      visiting.remove(name)
      done.insert(name)
      if let item = byName[name] { ordered.append(item) }
    }
    for (_, name) in sources { visit(name) }
    return ordered
  }

  /// The `(modules)` table.
  func modulesTable() -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    var rows: [[String]] = [["module", "version", "file", "loaded at", "definitions", "dependents"]]
    // Modules made by `in-module` at the REPL count once they define something: they were left
    // out, though `(rollback m)` and `(dir m)` treat them as modules.
    let loaded = registry.loadedModules.filter {
      $0.current?.path != nil || $0.name == "user" || ($0.current?.userDefinitionCount ?? 0) > 0
    }
    for entry in loaded {
      guard let current = entry.current else { continue }
      let dependents = loaded.filter { $0.current?.imports.contains(entry.name) == true }.map(\.name)
      rows.append([
        entry.name, String(current.number), current.path.map(displayName) ?? "(repl)",
        formatter.string(from: current.loadedAt),
        String(current.userDefinitionCount),
        dependents.isEmpty ? "-" : dependents.joined(separator: ","),
      ])
    }
    return Table.render(rows)
  }
}

// Rollback: a kept version's code committed again as a new version, as a transaction (DESIGN.md §4).

import Foundation

/// One module's part in a committed transaction, for `(rollback)` with no arguments.
struct CommitLogEntry {
  let module: String
  /// The version current before the commit; nil when the commit first loaded the module.
  let from: Int?
  let to: Int
}

/// What a rollback committed.
public struct RollbackOutcome: Sendable, Equatable {
  public let module: String
  /// The version whose code is current again.
  public let restored: Int
  /// The number the restored code was committed as (history only grows).
  public let version: Int
  /// Set for a module that was not rolled back itself but expanded again with the restored
  /// macros, or analyzed again against the restored struct layouts: `restored` is then the
  /// version whose text was used (the one current before).
  public var dependentBecause: String? = nil
  /// Modules whose macros the restored version was expanded with and which are other macros
  /// now: its text was expanded again with their current macros instead of restoring its code.
  public var reexpandedWith: [String] = []
  /// Live instances of a layout other than the restored one, left in it (a rollback keeps
  /// the layout instances have, as `:force` does).
  public var migrations: [StructMigration] = []
  /// A module the rolled-back commit loaded for the first time: it has no earlier version, so
  /// it stays loaded as it is (`version`).
  public var stayedLoaded = false
}

extension ModuleVersion {
  /// A staging copy of this version's code and definitions. `defonce` state is not rolled
  /// back: a `defonce` the running version has keeps its value (in a fresh cell, as a reload
  /// carries it), so a rollback that fails leaves the running cell untouched.
  func copyForRollback(current: ModuleVersion?) -> ModuleVersion {
    let copy = ModuleVersion(name: name, number: 0, path: path, contentHash: contentHash)
    for (symbol, binding) in bindings {
      var value = binding.value
      if binding.isOnce, let running = current?.bindings[symbol], running.isOnce { value = running.value }
      let fresh = Binding(name: symbol, value: value, isFunction: binding.isFunction, isOnce: binding.isOnce)
      fresh.version = binding.version
      fresh.isSessionVariable = binding.isSessionVariable
      copy.bindings[symbol] = fresh
    }
    copy.macros = macros
    copy.structs = structs
    copy.enums = enums
    copy.variants = variants
    copy.exports = exports
    copy.aliases = aliases
    copy.referred = referred
    copy.imports = imports
    copy.importSpans = importSpans
    copy.macroSources = macroSources
    copy.expandedMacros = expandedMacros
    copy.layoutSources = layoutSources
    copy.layoutSpans = layoutSpans
    copy.constructedLayouts = constructedLayouts
    copy.definitionOrder = definitionOrder
    copy.externalUses = externalUses
    copy.facts = facts
    copy.fingerprintOrder = fingerprintOrder
    copy.reusable = reusable
    // Its external uses point into this text: the version it is copied from may leave the history.
    copy.sourceFile = sourceFile
    return copy
  }
}

extension Runtime {
  /// `(rollback)`: undoes the last commit, every module it touched together.
  /// `(rollback m)`: m back to the version before its current one. `(rollback m n)`: to n.
  /// Each restored version is committed as a new number; a failure changes nothing.
  func rollback(module: String?, to requested: Int?, machine: Machine) throws(LoadFailure) -> [RollbackOutcome] {
    var kept: [(String, Int)] = []
    let started = Stopwatch()
    do {
      if transaction != nil { throw OxurError("rollback", "rollback cannot run inside a load") }
      if let module, let current = registry.existingEntry(module)?.current, current.path != nil {
        kept = [(module, current.number)]
      }
      let (targets, staying) = try rollbackTargets(module: module, to: requested)
      var dependents: [(name: String, from: Int, reason: LoadTransaction.Reason, providers: [String])] = []
      kept = targets.compactMap { entry, _ in entry.current.map { (entry.name, $0.number) } }
      // The restored code may declare an older struct layout: live instances keep the one they
      // have (a rollback must not need a migrator of the version it leaves).
      let opened = LoadTransaction(currentModule: machine.currentModule, keepsOldLayouts: true)
      opened.isRollback = true
      transaction = opened
      defer { transaction = nil }
      // A version expanded with macros that are other macros now would come back with what
      // they expanded to then: its text is expanded again with the macros there are now.
      let changedProviders = targets.map { changedMacroProviders(of: $0.1, restoring: targets) }
      let plan = try stageAndPlan(opened, machine: machine) {
        for ((entry, version), changed) in zip(targets, changedProviders) where changed.isEmpty {
          opened.stage(entry, version.copyForRollback(current: entry.current), reason: .rolledBack)
        }
        try refuseMissingImports(targets)
        try refuseStaleConstructors(opened)
        for ((entry, version), changed) in zip(targets, changedProviders) where !changed.isEmpty {
          let restoredWith = Set(targets.map { $0.0.name })
          try stageExpandedAgain(entry, version, changed: changed, restoredWith: restoredWith, machine: machine)
        }
        // Modules expanded with the macros being replaced are expanded again, from the text
        // their current version was loaded from: not from their files, which may hold edits.
        var changing = Set(targets.map { $0.0.name })
        let (users, _) = try macroUsers(of: changing, fromCurrentText: true)
        // Users are expanded after the modules whose macros they use (in name order, a user was
        // expanded before the user whose macro it calls, with that one's old macro), and one
        // two steps away is listed with the user it depends on.
        for (source, name) in dependencyOrder(users) {
          let current = registry.existingEntry(name)?.current
          let reason = compileTimeReason(name, changing: Array(changing))
          let edges = reason == .usesChangedLayouts ? current?.layoutSources : current.map { Set($0.macroSources.keys) }
          let providers = (edges ?? []).filter(changing.contains).sorted()
          dependents.append((name, current?.number ?? 0, reason, providers))
          changing.insert(name)
          try stageModule(source, name: name, reason: reason, machine: machine)
        }
      }
      for warning in plan.warnings { machine.reportProblem(warning + "\n") }
      let committed = opened.commit(
        historyLimit: registry.historyLimit, plan: plan, registry: registry, started: started)
      let restored = zip(targets, changedProviders).compactMap { target, changed in
        committed.first { $0.name == target.0.name }.map {
          var outcome = RollbackOutcome(module: target.0.name, restored: target.1.number, version: $0.version)
          outcome.reexpandedWith = changed
          outcome.migrations = $0.migrations
          return outcome
        }
      }
      let stayed = staying.compactMap { name in
        registry.existingEntry(name)?.current.map {
          var outcome = RollbackOutcome(module: name, restored: $0.number, version: $0.number)
          outcome.stayedLoaded = true
          return outcome
        }
      }
      return restored + stayed
        + dependents.compactMap { dependent in
          committed.first { $0.name == dependent.name }.map {
            var outcome = RollbackOutcome(module: dependent.name, restored: dependent.from, version: $0.version)
            let providers = dependent.providers.joined(separator: ", ")
            outcome.dependentBecause =
              dependent.reason == .usesChangedLayouts
              ? "re-analyzed: it constructs structs of \(providers)" : "re-expanded: it uses macros of \(providers)"
            return outcome
          }
        }
    } catch let error as OxurError {
      throw LoadFailure(error: error, kept: kept, attempted: module, wasReload: true)
    } catch let exit as ExitRequest {
      // A re-expanded user's top level ran `(exit n)`: the program's to decide, not a message.
      var failure = LoadFailure(
        error: OxurError("exit", "(exit \(exit.code))", span: exit.span), kept: kept, attempted: module,
        wasReload: true)
      failure.exit = exit
      throw failure
    } catch {
      throw LoadFailure(error: OxurError("rollback", "\(error)"), kept: kept, attempted: module, wasReload: true)
    }
  }

  /// A restored version's top level does not run again, so nothing loads what it imports: a
  /// rollback to a version importing a module unloaded since said it succeeded, and the first
  /// call into that module failed.
  private func refuseMissingImports(_ targets: [(ModuleEntry, ModuleVersion)]) throws {
    let restored = Set(targets.map { $0.0.name })
    for (entry, version) in targets {
      for imported in version.imports
      where !restored.contains(imported) && registry.existingEntry(imported)?.current == nil {
        throw OxurError(
          "rollback",
          "version \(version.number) of \(entry.name) imports \(imported), which is not loaded now; load it first",
          span: version.importSpans[imported] ?? .unknown)
      }
    }
  }

  /// The kept versions a rollback makes current again, checked before anything is staged, and
  /// (for `(rollback)`) the modules the last commit loaded for the first time, which stay loaded.
  private func rollbackTargets(module: String?, to requested: Int?) throws -> (
    targets: [(ModuleEntry, ModuleVersion)], staying: [String]
  ) {
    guard let module else {
      guard let last = registry.commitLog.last else {
        throw OxurError("rollback", "nothing to roll back: no module has been loaded or reloaded yet")
      }
      // A module the commit loaded for the first time (a new import) has no earlier version:
      // it stays loaded, and the rest of the commit is undone (the whole rollback was refused).
      let earlier = last.filter { $0.from != nil }
      guard !earlier.isEmpty else {
        let loaded = last.map(\.module).joined(separator: ", ")
        throw OxurError(
          "rollback",
          "cannot roll back the last commit: it only loaded \(loaded) for the first time, so there is no earlier "
            + "version (unload removes a module)")
      }
      let targets = try earlier.compactMap { change in try change.from.map { try target(change.module, version: $0) } }
      return (targets, last.filter { $0.from == nil }.map(\.module))
    }
    guard let entry = registry.existingEntry(module), let current = entry.current else {
      throw OxurError("rollback", "cannot roll back \(module): no such module is loaded")
    }
    guard current.path != nil else {
      // `user` and modules made by `in-module` are listed by `(modules)`: "no such module" was untrue.
      throw OxurError(
        "rollback",
        "cannot roll back \(module): it was not loaded from a file (it is defined form by form), so it has no versions")
    }
    if let requested { return ([try target(module, version: requested)], []) }
    guard let previous = entry.history.last else {
      throw OxurError("rollback", "cannot roll back \(module): version \(current.number) is its first")
    }
    return ([(entry, previous)], [])
  }

  private func target(_ module: String, version: Int) throws -> (ModuleEntry, ModuleVersion) {
    guard let entry = registry.existingEntry(module), let current = entry.current else {
      throw OxurError("rollback", "cannot roll back \(module): no such module is loaded")
    }
    if current.number == version {
      throw OxurError("rollback", "\(module) is at version \(version) already")
    }
    guard let kept = entry.history.first(where: { $0.number == version }) else {
      let numbers = entry.history.map(\.number)
      let (low, high) = (numbers.min() ?? 0, numbers.max() ?? 0)
      let range = numbers.isEmpty ? "none" : low == high ? "\(low)" : "\(low)–\(high)"
      // A limit of 0 keeps every version: "keeps 0" read as if none were kept.
      let limit = registry.historyLimit == 0 ? "every version" : "\(registry.historyLimit)"
      throw OxurError(
        "rollback", "version \(version) of \(module) is not kept (kept versions: \(range); the history keeps \(limit))")
    }
    return (entry, kept)
  }
}

extension Runtime {
  /// Stages `version`'s loaded text as a load of it would be, for a rollback whose macros
  /// (`changed`, which are loaded now or in `restoredWith`) are other macros than it was
  /// expanded with. Its `defonce` values are kept as a rollback of its code keeps them.
  private func stageExpandedAgain(
    _ entry: ModuleEntry, _ version: ModuleVersion, changed: [String], restoredWith: Set<String>, machine: Machine
  ) throws {
    guard let transaction, let source = version.loadedSource else {
      throw OxurError(
        "rollback",
        "cannot roll back \(entry.name) to version \(version.number): the macros of "
          + "\(changed.joined(separator: ", ")) it uses are not the ones it was expanded with, and its text is not kept"
      )
    }
    for provider in changed where registry.existingEntry(provider)?.current == nil && !restoredWith.contains(provider) {
      throw OxurError(
        "rollback",
        "cannot roll back \(entry.name) to version \(version.number): it was expanded with macros of "
          + "\(provider), which is not loaded now; load it first")
    }
    transaction.restoredOnceValues[entry.name] = version
    try stageModule(source, name: entry.name, reason: .rolledBack, machine: machine)
  }

  /// The modules whose macros `version` was expanded with and which will not be the same macros
  /// once `targets` are restored (a provider rolled back with it counts as its restored version).
  func changedMacroProviders(of version: ModuleVersion, restoring targets: [(ModuleEntry, ModuleVersion)]) -> [String] {
    version.expandedMacros.keys.sorted().filter { provider in
      let macros =
        targets.first { $0.0.name == provider }?.1.macros ?? registry.existingEntry(provider)?.current?.macros ?? [:]
      return version.expandedMacros[provider]?.contains { name, used in
        guard case .closure(let then) = used, case .closure(let now)? = macros[name] else { return true }
        return then !== now
      } ?? false
    }
  }

  /// A restored version is not analyzed again, so its `(struct m:T …)` forms were checked
  /// against the layouts of that time: when one has changed since (and is not rolled back
  /// with it), the rollback is refused rather than leaving a constructor that fails when called.
  func refuseStaleConstructors(_ transaction: LoadTransaction) throws {
    for item in transaction.staged {
      for (provider, built) in item.staging.constructedLayouts.sorted(by: { $0.key < $1.key }) {
        for (name, fields) in built.sorted(by: { $0.key < $1.key }) {
          guard let now = registry.existingEntry(provider)?.current?.structs[name], now.fields != fields else {
            continue
          }
          let qualified = "\(provider):\(name)"
          let was = fields.map(\.name).joined(separator: " ")
          let isNow = now.fields.map(\.name).joined(separator: " ")
          throw OxurError(
            "rollback",
            "cannot roll back \(item.entry.name): the restored code builds "
              + "\(qualified) with fields \(was), but \(qualified) now has \(isNow) (roll back \(provider) with it, or reload \(item.entry.name))"
          )
        }
      }
    }
  }
}

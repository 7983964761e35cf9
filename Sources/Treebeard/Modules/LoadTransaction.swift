// A load as a transaction: staged versions become current together, or none of them does.

import Foundation
import OxurSyntax

/// Versions staged by one load, reload or reload-all. While open, each staged version is its
/// entry's `current` so the code being loaded sees itself. No other thread runs Oxur code
/// meanwhile: the loader holds the evaluator lock and does not hand it over at safe points
/// until the transaction closes, so nobody else ever sees a staged version. `rollback` restores
/// every entry exactly. Loads nested inside (an `import`, a `(load …)` at a module's top level)
/// join the transaction: all of them commit together, or none does.
final class LoadTransaction {
  /// Why a module is part of the transaction, for the report of what was committed.
  typealias Reason = LoadOutcome.Reason
  struct Staged {
    let entry: ModuleEntry
    let previous: ModuleVersion?
    let staging: ModuleVersion
    let reason: Reason
  }
  private(set) var staged: [Staged] = []
  /// The REPL's module when the transaction opened: a failed load that ran `(in-module …)`
  /// leaves it as it was.
  let savedCurrentModule: String
  /// The first nested load that failed. The transaction cannot commit even when the module's
  /// code caught that error: half of a nested load must not become current.
  var nestedFailure: Error?
  /// The module hook running now, `--check--` or `--migrate--`, and its module: no load may
  /// join the transaction then, nor `in-module` switch modules. A module a migrator loaded was staged
  /// after the migration step: its own instances were never migrated, and half of a failed
  /// load its migrator caught was committed (the nested failure was looked at before it).
  var runningHook: (hook: String, module: String)?

  /// Refuses a load (or an `in-module`) while a hook runs. The transaction cannot commit
  /// even when the hook catches the refusal, as after a failed nested load.
  func refuseInHook(_ what: String) throws {
    guard let (hook, module) = runningHook else { return }
    let purpose = hook == "--check--" ? "it checks the staged code" : "it converts live data"
    let refusal = OxurError("load", "\(hook) of \(module) cannot \(what): \(purpose) (do it in the module's top level)")
    if nestedFailure == nil { nestedFailure = refusal }
    throw refusal
  }
  /// Modules whose staging is running now (their top level is on the stack): loading one of
  /// them again is a file that loads itself; a module staged and done is loaded already.
  var stagingNow: Set<String> = []
  /// The modules this transaction was asked to stage and has not reached yet, with why. One
  /// imported meanwhile (by a module new to this transaction) is staged from its new text
  /// then: it was taken at its old version, and the importer analyzed against that.
  var pendingSources: [String: (source: ModuleSource, reason: Reason)] = [:]
  /// For a module a staged top level loaded, that module (the innermost, when loads nest).
  var loaders: [String: String] = [:]
  /// A rollback's: loads its staging runs keep loaded modules as they are (`loadTransaction`).
  var isRollback = false
  /// Versions a rollback expands again from their text, by module: their `defonce` values are
  /// kept where the running version has none (`Runtime.carriedOnce`).
  var restoredOnceValues: [String: ModuleVersion] = [:]
  /// Processes the staged code spawned: they wait for the evaluator until the transaction
  /// closes, and are cancelled if it rolls back.
  var spawned: [OxurProcess] = []
  /// What a host's builtin started for the staged code and must stop if it rolls back (an HTTP
  /// server's listener: `Runtime.whenLoadRollsBack`), run in reverse order.
  var rollbackActions: [@Sendable () -> Void] = []
  /// How deep loads may nest in one transaction (each level is a module's top level loading
  /// the next, on the host stack), and how deep they nest now.
  static let maximumNesting = 1000
  var nestedLoads = 0
  /// `:force` and rollbacks: instances of an outdated struct layout keep it instead of being
  /// migrated (or the reload refused).
  let keepsOldLayouts: Bool
  /// Instances migrated so far, to put back exactly if the transaction does not commit.
  var migrationUndo: [MigrationUndo] = []
  /// Versions the commit dropped from full histories, to be freed after it (`RetiredVersions`).
  private var retired: [ModuleVersion] = []

  /// The versions the commit dropped; the transaction keeps no reference to them.
  func takeRetired() -> [ModuleVersion] {
    defer { retired = [] }
    return retired
  }
  /// What migration did, per module, for the reload lines and records.
  private(set) var migrations: [String: [StructMigration]] = [:]

  func record(_ migration: StructMigration, module: String) { migrations[module, default: []].append(migration) }

  /// Time per phase for each staged module, for its load record.
  var phases: [String: PhaseTimes] {
    flushPendingTimes()
    return recordedPhases
  }
  private var recordedPhases: [String: PhaseTimes] = [:]
  /// Times of the module timed last, not yet in `recordedPhases`: forms are timed one by one,
  /// and hashing the module's name and the phase into two tables per form was 3 % of a reload.
  private var pendingModule: String? = nil
  private var pendingTimes = PhaseTimes()

  func addTime(_ phase: LoadPhase, module: String, _ milliseconds: Double) {
    if module != pendingModule {
      flushPendingTimes()
      pendingModule = module
    }
    pendingTimes.add(phase, milliseconds)
  }

  private func flushPendingTimes() {
    guard let module = pendingModule else { return }
    recordedPhases[module, default: PhaseTimes()].add(pendingTimes)
    pendingTimes = PhaseTimes()
    pendingModule = nil
  }

  init(currentModule: String, keepsOldLayouts: Bool = false) {
    savedCurrentModule = currentModule
    self.keepsOldLayouts = keepsOldLayouts
  }

  func stage(_ entry: ModuleEntry, _ staging: ModuleVersion, reason: Reason) {
    if stagedPositions[entry.name] == nil { stagedPositions[entry.name] = staged.count }
    staged.append(Staged(entry: entry, previous: entry.current, staging: staging, reason: reason))
    entry.current = staging
  }

  /// Where each module was first staged: asked once or twice for every module staged, so a
  /// reload-all of thousands of modules does not search the list each time.
  private var stagedPositions: [String: Int] = [:]

  func previousVersion(of module: String) -> ModuleVersion? {
    guard let position = stagedPositions[module], position < staged.count else { return nil }
    return staged[position].previous
  }

  func isStaging(_ module: String) -> Bool { stagedPositions[module] != nil }

  func rollback() {
    for undo in migrationUndo.reversed() { undo.instance.replaceContents(layout: undo.layout, contents: undo.contents) }
    migrationUndo.removeAll()
    for item in staged.reversed() { item.entry.current = item.previous }
    staged.removeAll()
    stagedPositions.removeAll()
    for process in spawned { process.cancelBeforeStart("the load that spawned it was rolled back") }
    spawned.removeAll()
    for action in rollbackActions.reversed() { action() }
    rollbackActions.removeAll()
  }

  /// Makes every staged version current with its final number, keeping bounded history, and
  /// files the plan's diff into each version: its changes, its load record, and each changed
  /// definition's own version number.
  func commit(
    historyLimit: Int, plan: ReloadPlan, registry: Registry, started: Stopwatch
  ) -> [CommittedModule] {
    var committed: [CommittedModule] = []
    let now = Date()
    let commitClock = Stopwatch()
    for item in staged {
      item.entry.highestVersion += 1
      item.staging.number = item.entry.highestVersion
      item.staging.loadedAt = now
      if let previous = item.previous, previous.number > 0 {
        item.entry.history.append(previous)
        if historyLimit > 0 && item.entry.history.count > historyLimit {
          let dropped = item.entry.history.count - historyLimit
          retired.append(contentsOf: item.entry.history[..<dropped])
          item.entry.history.removeFirst(dropped)
        }
      }
      item.entry.current = item.staging
      for layout in item.staging.structs.values where layout.layoutVersion == 0 {
        layout.layoutVersion = item.staging.number
      }
      item.entry.forgetUnusedLayouts()
      let isReload = (item.previous?.number ?? 0) > 0
      let changes = plan.item(item.entry.name)?.changes ?? DefinitionChanges()
      item.staging.changes = changes
      if let previous = item.previous, isReload {
        // `changes.changed` are the names whose fingerprints both versions have and differ
        // (`DefinitionFingerprint.changes`): compared here by symbol, without interning the
        // changed names again.
        for (name, binding) in item.staging.bindings {
          guard let old = previous.bindings[name] else { continue }
          let changed =
            item.staging.fingerprint(of: name).map { new in previous.fingerprint(of: name).map { $0 != new } ?? false }
            ?? false
          binding.version = changed ? old.version + 1 : old.version
        }
      }
      committed.append(
        CommittedModule(
          name: item.entry.name, version: item.staging.number, isReload: isReload, reason: item.reason,
          providers: providers(of: item), changes: changes, warnings: plan.item(item.entry.name)?.warnings ?? [],
          checked: item.staging.checkRan, migrations: migrations[item.entry.name] ?? []))
    }
    let commitTime = commitClock.elapsedMilliseconds
    let total = started.elapsedMilliseconds
    let together = staged.map(\.entry.name)
    for item in staged {
      var times = phases[item.entry.name] ?? PhaseTimes()
      times.add(.commit, commitTime)
      let record = ReloadRecord(
        module: item.entry.name, version: item.staging.number, at: now, contentHash: item.staging.contentHash,
        milliseconds: total, phases: times, changes: item.staging.changes,
        isFirstLoad: !((item.previous?.number ?? 0) > 0), definitionCount: item.staging.userDefinitionCount,
        committedTogether: together,
        warnings: plan.item(item.entry.name)?.warnings ?? [], reusedDefinitions: item.staging.reusedDefinitions)
      item.staging.record = record
      registry.remember(record)
    }
    for index in committed.indices { committed[index].milliseconds = total }
    registry.recordCommit(
      staged.compactMap { item in
        // Modules a top level created with in-module have no file: nothing to roll back to.
        guard item.staging.path != nil else { return nil }
        let from = item.previous.flatMap { $0.number > 0 ? $0.number : nil }
        return CommitLogEntry(module: item.entry.name, from: from, to: item.staging.number)
      })
    staged.removeAll()
    migrationUndo.removeAll()
    HostHooks.afterCommit(committed.map(\.name))
    return committed
  }
}

extension LoadTransaction {
  /// For a module staged because it uses others' macros or struct layouts: those of the
  /// modules staged with it whose macros (or layouts) its new version was compiled against;
  /// for one a top level loaded, that module. A user of a user of the reloaded module names its
  /// own provider, and a module loaded by a module loaded by the reloaded one its own loader.
  func providers(of item: Staged) -> [String] {
    let sources: Set<String>
    switch item.reason {
    case .usesChangedMacros: sources = Set(item.staging.macroSources.keys)
    case .usesChangedLayouts: sources = item.staging.layoutSources
    case .loadedByTopLevel: return loaders[item.entry.name].map { [$0] } ?? []
    default: return []
    }
    return sources.filter { $0 != item.entry.name && isStaging($0) }.sorted()
  }
}

/// One module a transaction committed.
struct CommittedModule {
  let name: String
  /// The committed number, or for a dry run the number a commit would have given.
  let version: Int
  let isReload: Bool
  let reason: LoadTransaction.Reason
  /// See `LoadTransaction.providers(of:)`.
  var providers: [String] = []
  var changes = DefinitionChanges()
  var warnings: [String] = []
  var milliseconds: Double = 0
  /// Its `--check--` ran and passed.
  var checked = false
  var migrations: [StructMigration] = []

  /// As reported to the caller; `dependents` are the other modules of the transaction.
  func outcome(dependents: [LoadOutcome] = [], warnings extra: [String] = []) -> LoadOutcome {
    var outcome = LoadOutcome(
      module: name, version: version, isReload: isReload, dependents: dependents, reason: reason, warnings: extra)
    outcome.changes = changes
    outcome.milliseconds = milliseconds
    outcome.breakageWarnings = warnings
    outcome.checked = checked
    outcome.migrations = migrations
    outcome.providers = providers
    return outcome
  }
}

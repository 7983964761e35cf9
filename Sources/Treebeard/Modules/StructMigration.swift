// Migration of live struct instances when a reload changes a struct's fields (DESIGN.md §5).

import OxurSyntax

/// What a transaction did about the live instances of one earlier layout of a struct.
public struct StructMigration: Sendable, Equatable {
  /// `calculator:Point`.
  public let structName: String
  /// The module version whose layout the instances had.
  public let fromVersion: Int
  public let count: Int
  /// Left in their old layout by `:force` (or a rollback) instead of migrated.
  public let keptOldLayout: Bool

  /// `2 calculator:Point (v1)`, as the reload lines print it.
  public var summary: String { "\(count) \(structName) (v\(fromVersion))" }
}

extension ModuleEntry {
  /// Called by the analyzer for every `defstruct`: migration looks for live instances here.
  /// Held strongly: a weak reference would give every layout a side table, and each retain of
  /// it — one per instance made or freed — the runtime's slow path.
  /// A `defstruct` evaluated again and again at the REPL never commits, so the list is also
  /// trimmed here once long, sparing the most recent layouts (a failed transaction makes the
  /// one it replaced current again).
  func remember(layout: StructType) {
    var known = structLayouts[layout.name, default: []]
    if known.count >= 32 {
      let recent = Set(known.suffix(8).map(ObjectIdentifier.init))
      known.removeAll { old in
        !recent.contains(ObjectIdentifier(old)) && old.liveInstances.count == 0
          && current?.structs[old.name] !== old && !history.contains { $0.structs[old.name] === old }
      }
    }
    known.append(layout)
    structLayouts[layout.name] = known
  }

  /// After a commit: a layout with no live instances that no kept version declares can never
  /// have instances again (constructors follow the current layout), so it is forgotten. Not
  /// during a transaction, whose rollback may make the replaced layout current again.
  /// `remember(layout:)` for a layout old code builds again after it was forgotten (no
  /// instance was alive and no kept version had it), so the next reload migrates what it builds.
  func rememberIfForgotten(layout: StructType) {
    guard structLayouts[layout.name]?.contains(where: { $0 === layout }) != true else { return }
    remember(layout: layout)
  }

  func forgetUnusedLayouts() {
    for (name, known) in structLayouts {
      let kept = known.filter { old in
        old.liveInstances.count > 0 || current?.structs[name] === old
          || history.contains { $0.structs[name] === old }
      }
      structLayouts[name] = kept.isEmpty ? nil : kept
    }
  }

  /// Earlier layouts of `layout`'s struct with other fields and with instances alive now.
  func outdatedLayouts(of layout: StructType) -> [StructType] {
    (structLayouts[layout.name] ?? []).filter {
      $0 !== layout && $0.fields != layout.fields && $0.liveInstances.count > 0
    }
  }
}

/// How to put one instance back when the transaction that migrated it does not commit.
struct MigrationUndo {
  let instance: StructInstance
  let layout: StructType
  let contents: [Value]
}

extension Runtime {
  static let migrateName = Symbol.intern("--migrate--")

  /// Converts every live instance of an outdated layout of each staged struct through the staged
  /// module's `--migrate--`, all of them or none: every result is computed (and checked to be an
  /// instance of the new layout) before any instance changes. Without a migrator the reload is
  /// refused, unless the transaction keeps old layouts (`:force`, rollback).
  func migrateInstances(_ transaction: LoadTransaction, machine: Machine) throws {
    var pending: [(StructInstance, StructType, [Value])] = []
    /// Each staged module's migrator, where a refusal that concerns its results is reported.
    var migratorSpans: [String: Span] = [:]
    for item in transaction.staged {
      for layout in item.staging.structs.values.sorted(by: { $0.name < $1.name }) {
        // A struct whose fields this reload does not change needs nothing, unless the new code
        // brings a migrator: instances an earlier `:force` left in an older layout are then
        // migrated; without one they stay as they are (no refusal, nothing changed).
        let unchanged = item.previous?.structs[layout.name] === layout
        if unchanged && item.staging.bindings[Runtime.migrateName] == nil { continue }
        let outdated = item.entry.outdatedLayouts(of: layout).sorted { $0.layoutVersion < $1.layoutVersion }
        guard !outdated.isEmpty else { continue }
        let qualified = "\(item.entry.name):\(layout.name)"
        if transaction.keepsOldLayouts {
          for old in outdated {
            transaction.record(
              StructMigration(
                structName: qualified, fromVersion: old.layoutVersion, count: old.liveInstances.count,
                keptOldLayout: true),
              module: item.entry.name)
          }
          continue
        }
        guard let migrator = item.staging.bindings[Runtime.migrateName]?.value else {
          let count = outdated.reduce(0) { $0 + $1.liveInstances.count }
          let versions = outdated.map { "v\($0.layoutVersion)" }.joined(separator: ", ")
          let noun =
            count == 1
            ? "live instance of \(qualified) (\(versions)) has" : "live instances of \(qualified) (\(versions)) have"
          // At the new `defstruct`: a watcher's reload has no REPL form to point at.
          throw OxurError(
            "migration", "\(count) \(noun) the old layout; define --migrate-- or reload with :force",
            span: layout.span)
        }
        // A migrator that is not a closure (`(def --migrate-- (partial …))`) is placed at its definition.
        let migratorSpan: Span
        if case .closure(let closure) = migrator {
          migratorSpan = closure.lambda.span
        } else {
          migratorSpan = item.staging.facts[Runtime.migrateName]?.documentation?.span ?? .unknown
        }
        migratorSpans[item.entry.name] = migratorSpan
        for old in outdated {
          let instances = old.liveInstances.snapshot()
          for instance in instances {
            let migrated = try migrate(
              instance, through: migrator, at: migratorSpan, to: layout, module: item.entry.name, machine: machine)
            pending.append((instance, layout, migrated))
          }
          transaction.record(
            StructMigration(
              structName: qualified, fromVersion: old.layoutVersion, count: instances.count, keptOldLayout: false),
            module: item.entry.name)
        }
      }
    }
    if !pending.isEmpty {
      var replacements: [ObjectIdentifier: [Value]] = [:]
      for (instance, _, contents) in pending { replacements[ObjectIdentifier(instance)] = contents }
      if let (looped, migrated) = MigrationCycles.firstCycle(replacements, instances: pending.map(\.0)) {
        // The migrator to name is one of this transaction's: the instance on the cycle may be
        // of a module an earlier reload migrated (its link was already there), which has none now.
        let module = migratorSpans[looped.type.module] != nil ? looped.type.module : migrated.type.module
        let span = migratorSpans[module] ?? Span.unknown
        throw OxurError(
          "migration",
          "--migrate-- of \(module) would make a \(looped.type.qualifiedName) contain itself through the values it "
            + "returned for others (instances change in place, so old-data and the instances it reaches are the new "
            + "ones); build the new fields from copies", span: span)
      }
    }
    for (instance, layout, contents) in pending {
      let (oldLayout, oldContents) = instance.replaceContents(layout: layout, contents: contents)
      transaction.migrationUndo.append(MigrationUndo(instance: instance, layout: oldLayout, contents: oldContents))
    }
  }

  /// One call of the migrator; its result must be an instance of exactly the new layout.
  private func migrate(
    _ instance: StructInstance, through migrator: Value, at span: Span, to layout: StructType, module: String,
    machine: Machine
  ) throws -> [Value] {
    let old = instance.type
    // Built only for an error: this runs once per live instance.
    // Layout version 0 is a layout of a load that never committed (a dry run's, or a failed
    // load's top level that stored an instance in a `defonce` atom): v0 alone named no version.
    func what() -> String {
      let version = old.layoutVersion == 0 ? "v0, made by a load that was not committed" : "v\(old.layoutVersion)"
      return "a \(module):\(layout.name) (\(version))"
    }
    let result: Value
    guard let transaction else { throw OxurError("internal", "a migration outside a transaction") }
    transaction.runningHook = ("--migrate--", module)
    defer { transaction.runningHook = nil }
    do {
      result = try machine.call(migrator, [.int(old.layoutVersion), .structInstance(instance)], span: span)
    } catch let error as OxurError where error.kind != "interrupted" {
      throw OxurError(
        "migration", "--migrate-- of \(module) failed on \(what()): \(error.message)",
        span: error.span.isKnown ? error.span : span)
    }
    if case .structInstance(let migrated) = result,
      migrated.values.contains(where: { if case .structInstance(let inner) = $0 { inner === instance } else { false } })
    {
      // Its contents replace old-data's in place: old-data inside them would contain itself.
      throw OxurError(
        "migration",
        "--migrate-- of \(module) returned \(what()) that contains old-data itself; copy its fields instead",
        span: span)
    }
    guard case .structInstance(let migrated) = result, migrated.type.name == layout.name,
      migrated.type.module == layout.module, migrated.type.fields == layout.fields
    else {
      throw OxurError(
        "migration",
        "--migrate-- of \(module) returned \(Printer.summary(result, elementLimit: 20)) for \(what()); expected a \(module):\(layout.name) with fields "
          + layout.fields.map(\.name).joined(separator: " "),
        span: span)
    }
    return migrated.values
  }
}

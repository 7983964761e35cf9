// What a load reports: the committed outcome, or the failure and what was kept.

import Foundation
import OxurSyntax

/// The result of a committed load or reload.
public struct LoadOutcome: Sendable, Equatable {
  public let module: String
  public let version: Int
  public let isReload: Bool
  /// Other modules committed with it: imports loaded for it, modules its top level loaded,
  /// and modules re-expanded because they use its macros (`reason` tells which).
  public let dependents: [LoadOutcome]
  /// Why this module was part of the transaction.
  public let reason: Reason
  /// Things the load noticed but that did not stop it (a macro user whose file is gone).
  public let warnings: [String]
  /// Definitions added, changed and removed against the version replaced (empty for a first
  /// load), by per-definition fingerprints of the expanded code.
  public var changes = DefinitionChanges()
  /// Wall-clock time of the whole transaction, in milliseconds.
  public var milliseconds: Double = 0
  /// What this reload might break in other loaded modules (DESIGN.md §6), printed before the
  /// commit (so not again from `warnings`) and kept in the load record.
  public var breakageWarnings: [String] = []
  /// A dry run: nothing was committed, `version` is the number a commit would have given.
  public var isDryRun = false
  /// The module's `--check--` ran against the staged code and passed.
  public var checked = false
  /// Live instances of outdated struct layouts: migrated, or (with `:force`) left as they were.
  public var migrations: [StructMigration] = []
  /// For a module expanded or analyzed again with others: those of them whose macros (or
  /// struct layouts) it uses, which need not include the module whose reload was asked for;
  /// for a module a top level loaded, that module.
  public var providers: [String] = []

  public enum Reason: Sendable, Equatable {
    case requested
    case imported
    case loadedByTopLevel
    case usesChangedMacros
    case usesChangedLayouts
    case rolledBack
  }

  public init(
    module: String, version: Int, isReload: Bool, dependents: [LoadOutcome] = [], reason: Reason = .requested,
    warnings: [String] = []
  ) {
    self.module = module
    self.version = version
    self.isReload = isReload
    self.dependents = dependents
    self.reason = reason
    self.warnings = warnings
  }
}

/// What a reload changed, definition by definition.
public struct DefinitionChanges: Sendable, Equatable {
  public var added: [String] = []
  public var changed: [String] = []
  public var removed: [String] = []

  public init(added: [String] = [], changed: [String] = [], removed: [String] = []) {
    self.added = added
    self.changed = changed
    self.removed = removed
  }

  public var isEmpty: Bool { added.isEmpty && changed.isEmpty && removed.isEmpty }

  /// `~add +subtract -old-helper`, as the reload lines print it (DESIGN.md §7). Past
  /// `summaryLimit` names the rest are counted, not listed: a reload that changed a thousand
  /// definitions printed a 7 KB line. Every name stays in `changed`, `added` and `removed`, and
  /// in `(reload-stats m)`.
  public var summary: String {
    let total = changed.count + added.count + removed.count
    var names: [String] = []
    names.reserveCapacity(min(total, DefinitionChanges.summaryLimit))
    for (mark, list) in [("~", changed), ("+", added), ("-", removed)] {
      for name in list where names.count < DefinitionChanges.summaryLimit { names.append(mark + name) }
    }
    guard total > names.count else { return names.joined(separator: " ") }
    let counts = [(changed.count, "changed"), (added.count, "added"), (removed.count, "removed")]
      .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
    return names.joined(separator: " ") + " … \(total - names.count) more (\(counts))"
  }

  /// Names a summary lists before counting the rest.
  public static let summaryLimit = 12
}

/// A load, reload or reload-all that changed nothing. `kept` lists the versions still current.
public struct LoadFailure: Error, @unchecked Sendable {
  public let error: OxurError
  public let kept: [(module: String, version: Int)]
  public let attempted: String?
  public let wasReload: Bool
  /// Set when the module's own top level called `(exit n)`.
  public var exit: ExitRequest? = nil

  /// The lines the REPL prints: the error, its source line, and what was kept.
  public var report: String {
    var lines = ["✗ " + ErrorRenderer.summary(error)]
    if let excerpt = error.span.excerpt() { lines.append(excerpt) }
    lines.append(keptLine)
    return lines.joined(separator: "\n")
  }

  /// What the failure left in place: `✗ Module not reloaded (keeping version 3)`.
  public var keptLine: String {
    if kept.count == 1, let only = kept.first, wasReload {
      // A reload-all names the module: nothing else in the message does.
      let module = attempted == nil ? "\(only.module) " : ""
      return "✗ Module not reloaded (keeping \(module)version \(only.version))"
    } else if kept.count == 1, let only = kept.first {
      return "✗ Module not loaded (\(only.module) stays at version \(only.version))"
    } else if kept.count > 1 {
      let list = kept.map { "\($0.module) v\($0.version)" }.joined(separator: ", ")
      return "✗ No module reloaded (keeping \(list))"
    }
    return "✗ Module not loaded\(attempted.map { ": \($0)" } ?? "")"
  }
}

public enum LoadMode: Sendable {
  case load
  case reload
}

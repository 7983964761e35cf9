// The lines a committed reload and a dry run print (docs/hot-reload.md §2).

import Foundation

enum ReloadLines {
  /// `✓ Loaded module: m (version 1)` for a first load (the seed's line), and
  /// `✓ Reloaded module: m (version 3, 1.2 ms) ~add +subtract -old-helper` for a reload.
  static func committed(_ outcome: LoadOutcome) -> String {
    let checked = outcome.checked ? " (--check-- passed)" : ""
    guard outcome.isReload else {
      return "✓ Loaded module: \(outcome.module) (version \(outcome.version))\(checked)"
    }
    let changes = outcome.changes.isEmpty ? "" : " " + outcome.changes.summary
    return "✓ Reloaded module: \(outcome.module) (version \(outcome.version), "
      + "\(Milliseconds.text(outcome.milliseconds)))\(changes)\(checked)\(migrations(outcome.migrations))"
  }

  /// ` (migrated 2 calculator:Point (v1))`, and for `:force` ` (kept old layout: …)`.
  static func migrations(_ migrations: [StructMigration]) -> String {
    let migrated = migrations.filter { !$0.keptOldLayout }.map(\.summary)
    let kept = migrations.filter(\.keptOldLayout).map(\.summary)
    var parts: [String] = []
    if !migrated.isEmpty { parts.append("migrated " + migrated.joined(separator: ", ")) }
    if !kept.isEmpty { parts.append("kept old layout: " + kept.joined(separator: ", ")) }
    return parts.isEmpty ? "" : " (" + parts.joined(separator: "; ") + ")"
  }

  /// Why `dependent` was committed with `outcome`'s module.
  static func why(_ dependent: LoadOutcome, _ outcome: LoadOutcome) -> String {
    let providers = dependent.providers.isEmpty ? outcome.module : dependent.providers.joined(separator: ", ")
    switch dependent.reason {
    case .usesChangedMacros: return "re-expanded: it uses macros of \(providers)"
    case .usesChangedLayouts: return "re-analyzed: it constructs structs of \(providers)"
    case .rolledBack: return "rolled back with \(outcome.module)"
    case .loadedByTopLevel: return "loaded by \(providers)"
    case .imported, .requested: return "imported"
    }
  }

  /// The plan of a dry run, one line per fact, ending with what stays current.
  static func dryRun(_ outcome: LoadOutcome, current: Int?) -> String {
    var lines: [String] = []
    let verb = outcome.isReload ? "reload" : "load"
    lines.append(
      "◇ Dry run: \(verb) \(outcome.module) would make version \(outcome.version) "
        + "(\(Milliseconds.text(outcome.milliseconds)))")
    lines.append("  changes: " + (outcome.changes.isEmpty ? "none" : outcome.changes.summary))
    for migration in outcome.migrations {
      let verb = migration.keptOldLayout ? "would keep their old layout" : "would be migrated"
      lines.append("  instances: \(migration.summary) \(verb)")
    }
    for dependent in outcome.dependents {
      let changes = dependent.changes.isEmpty ? "" : " " + dependent.changes.summary
      let reason = why(dependent, outcome)
      lines.append("  ↳ \(dependent.module) would be version \(dependent.version) (\(reason))\(changes)")
    }
    for warning in outcome.breakageWarnings { lines.append("  " + warning) }
    let kept = current.map { "\(outcome.module) stays at version \($0)" } ?? "\(outcome.module) stays unloaded"
    lines.append("◇ Nothing committed (\(kept))")
    return lines.joined(separator: "\n") + "\n"
  }
}

extension LoadOutcome {
  /// The line the REPL prints for this commit (`✓ Reloaded …`), for hosts that show it.
  public var summaryLine: String { ReloadLines.committed(self) }

  /// The summary line and a `↳` line for each module committed with this one (macro users
  /// expanded again, modules its top level loaded), as the REPL prints them.
  public var reportLines: [String] { [summaryLine] + dependentLines }

  /// A `↳` line for each module committed with this one: what a summary line of its own
  /// (the REPL's or the watcher's) does not say.
  public var dependentLines: [String] { dependents.map(dependentLine) }

  /// `dependent`'s `↳` line, as committed with this module.
  public func dependentLine(_ dependent: LoadOutcome) -> String {
    let changes = dependent.changes.isEmpty ? "" : " " + dependent.changes.summary
    return "  ↳ \(dependent.module) (version \(dependent.version), \(ReloadLines.why(dependent, self)))\(changes)"
  }
}

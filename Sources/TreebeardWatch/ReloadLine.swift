// The lines printed per automatic reload (DESIGN.md §7): one per saved module, `↳` for the rest.

import Treebeard

enum ReloadLine {
  /// A `↻` line for each module whose saved file was reloaded, then a `↳` line for each module
  /// committed with them (macro users expanded again, struct users analyzed again, modules a
  /// top level loaded), as `(reload)` prints them: a re-expanded user is not a saved file.
  /// `outcomes` is what the reload reported: the module and its dependents for one file, each
  /// committed module for several.
  static func lines(_ outcomes: [LoadOutcome], measured: Double) -> [String] {
    guard let first = outcomes.first else { return [] }
    if first.dependents.map(\.module) == Array(outcomes.dropFirst().map(\.module)) {
      return [format(first, measured: measured)] + first.dependentLines
    }
    let saved = outcomes.filter { $0.reason == .requested }
    if saved.isEmpty { return outcomes.map { format($0, measured: measured) } }
    let alongside = outcomes.filter { $0.reason != .requested }
    // Several files (`reloadAll`): each outcome stands alone, so a dependent's line names the
    // first saved module for a reason that needs one and has no provider recorded.
    let anchor = saved[0]
    return saved.map { format($0, measured: measured) } + alongside.map { anchor.dependentLine($0) }
  }

  /// `↻ Auto-reloaded: calculator (version 3, 4.1 ms) ~add +subtract -old-helper`. The
  /// transaction's own time when it recorded one, else `measured` (the whole call, lock wait
  /// included); the change summary only when there is one.
  static func format(_ outcome: LoadOutcome, measured: Double) -> String {
    let milliseconds = outcome.milliseconds > 0 ? outcome.milliseconds : measured
    let summary = outcome.changes.isEmpty ? "" : " " + outcome.changes.summary
    let verb = outcome.isReload ? "Auto-reloaded" : "Auto-loaded"
    return
      "↻ \(verb): \(outcome.module) (version \(outcome.version), \(Milliseconds.text(milliseconds)))\(summary)"
  }
}

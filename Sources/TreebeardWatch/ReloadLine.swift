// The one line printed per automatic reload (DESIGN.md §7).

import Treebeard

enum ReloadLine {
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

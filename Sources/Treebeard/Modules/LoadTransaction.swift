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
  /// Modules one transaction may stage: loads nest on the host stack.
  static let maximumNesting = 1000

  init(currentModule: String) { savedCurrentModule = currentModule }

  func stage(_ entry: ModuleEntry, _ staging: ModuleVersion, reason: Reason) {
    staged.append(Staged(entry: entry, previous: entry.current, staging: staging, reason: reason))
    entry.current = staging
  }

  func previousVersion(of module: String) -> ModuleVersion? {
    staged.first { $0.entry.name == module }?.previous
  }

  func isStaging(_ module: String) -> Bool { staged.contains { $0.entry.name == module } }

  func rollback() {
    for item in staged.reversed() { item.entry.current = item.previous }
    staged.removeAll()
  }

  /// Makes every staged version current with its final number, keeping bounded history.
  func commit(historyLimit: Int) -> [CommittedModule] {
    var committed: [CommittedModule] = []
    let now = Date()
    for item in staged {
      item.entry.highestVersion += 1
      item.staging.number = item.entry.highestVersion
      item.staging.loadedAt = now
      if let previous = item.previous, previous.number > 0 {
        item.entry.history.append(previous)
        if historyLimit > 0 && item.entry.history.count > historyLimit {
          item.entry.history.removeFirst(item.entry.history.count - historyLimit)
        }
      }
      item.entry.current = item.staging
      let isReload = (item.previous?.number ?? 0) > 0
      committed.append(
        CommittedModule(name: item.entry.name, version: item.staging.number, isReload: isReload, reason: item.reason))
    }
    staged.removeAll()
    return committed
  }
}

/// One module a transaction committed.
struct CommittedModule {
  let name: String
  let version: Int
  let isReload: Bool
  let reason: LoadTransaction.Reason
}

// A load as a transaction: staged versions become current together, or none of them does.

import Foundation
import OxurSyntax

/// Versions staged by one load, reload or reload-all. While open, each staged version is its
/// entry's `current` so the code being loaded sees itself; other threads cannot run Oxur code
/// meanwhile (the loader holds the evaluator lock). `rollback` restores every entry exactly.
final class LoadTransaction {
  struct Staged {
    let entry: ModuleEntry
    let previous: ModuleVersion?
    let staging: ModuleVersion
  }
  private(set) var staged: [Staged] = []
  /// Modules one transaction may stage: loads nest on the host stack.
  static let maximumNesting = 1000

  func stage(_ entry: ModuleEntry, _ staging: ModuleVersion) {
    staged.append(Staged(entry: entry, previous: entry.current, staging: staging))
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
  func commit(historyLimit: Int) -> [(name: String, version: Int, isReload: Bool)] {
    var committed: [(String, Int, Bool)] = []
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
      committed.append((item.entry.name, item.staging.number, item.previous != nil && (item.previous?.number ?? 0) > 0))
    }
    staged.removeAll()
    return committed
  }
}

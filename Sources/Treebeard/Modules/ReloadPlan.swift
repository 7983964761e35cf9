// What committing a transaction would do: the per-module diff and warnings, before the commit.

import Foundation

/// Computed once staging succeeded: its warnings print before the commit, a commit files its
/// diff into the versions, and a dry run prints it and commits nothing.
struct ReloadPlan {
  struct Item {
    let name: String
    /// The number the version gets if committed (a dry run uses none).
    let version: Int
    let isReload: Bool
    let reason: LoadOutcome.Reason
    let changes: DefinitionChanges
    let warnings: [String]
  }
  let items: [Item]
  /// Where each module's item is: asked for every module a commit files (a search each made a
  /// reload-all of thousands of modules quadratic).
  private let positions: [String: Int]

  init(items: [Item]) {
    self.items = items
    var positions: [String: Int] = [:]
    for (index, item) in items.enumerated() where positions[item.name] == nil { positions[item.name] = index }
    self.positions = positions
  }

  var warnings: [String] { items.flatMap(\.warnings) }

  func item(_ module: String) -> Item? {
    guard let index = positions[module], index < items.count else { return nil }
    return items[index]
  }
}

extension LoadTransaction {
  /// Diffs each staged version against the one it replaces and scans for breaking changes.
  func plan(
    registry: Registry, display: (String) -> String, onStacks: (String) -> [Lambda] = { _ in [] }
  ) -> ReloadPlan {
    let uses = ReloadWarnings.UsesByModule(registry)
    return ReloadPlan(
      items: staged.map { item in
        let replaced = item.previous.flatMap { $0.number > 0 ? $0 : nil }
        let changes = replaced.map { DefinitionFingerprint.changes(from: $0, to: item.staging) } ?? DefinitionChanges()
        let warnings =
          replaced.map {
            ReloadWarnings.scan(
              module: item.entry.name, previous: $0, staging: item.staging, uses: uses, display: display)
              + ReloadWarnings.running(module: item.entry.name, previous: $0, functions: onStacks(item.entry.name))
              + ReloadWarnings.removedStructs(
                module: item.entry.name, previous: $0, staging: item.staging, layouts: item.entry.structLayouts)
          } ?? []
        return ReloadPlan.Item(
          name: item.entry.name, version: item.entry.highestVersion + 1, isReload: replaced != nil,
          reason: item.reason, changes: changes, warnings: warnings)
      })
  }
}

// The `(history m)` table: every kept version of a module with its time, content hash and changes.

import Foundation

extension Runtime {
  /// One row per kept version, oldest first; the current one is marked.
  func historyTable(module: String) throws -> String {
    // While a load stages the module (its top level, a migrator, a check) its current version
    // is the staged one, numbered 0: the committed one it replaces is the one to show.
    let entry = registry.existingEntry(module)
    let committed = entry?.current.flatMap { $0.number > 0 ? $0 : transaction?.previousVersion(of: module) }
    guard let entry, let current = committed, current.number > 0 else {
      throw OxurError("unknown-module", "no module named \(module) is loaded")
    }
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    var rows: [[String]] = [["version", "loaded at", "hash", "changes"]]
    for version in entry.history + [current] {
      let number = String(version.number) + (version === current ? " (current)" : "")
      rows.append([
        number, formatter.string(from: version.loadedAt), String(version.contentHash.prefix(8)),
        Self.describeChanges(of: version),
      ])
    }
    return Table.render(rows)
  }

  /// `~add +percent`, `loaded (4 definitions)`, or `no definition changed`.
  static func describeChanges(of version: ModuleVersion) -> String {
    guard let record = version.record else { return version.path == nil ? "(repl)" : "-" }
    if record.isFirstLoad { return "loaded (\(record.definitionCount) definitions)" }
    return record.changes.isEmpty ? "no definition changed" : record.changes.summary
  }
}

/// Columns padded to their widest cell, two spaces apart, as `(modules)` prints them.
enum Table {
  static func render(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "" }
    var widths = Array(repeating: 0, count: header.count)
    for row in rows {
      for (index, cell) in row.enumerated() where index < widths.count {
        widths[index] = max(widths[index], cell.count)
      }
    }
    return rows.map { row in
      row.enumerated().map { index, cell in cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
        .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
  }
}

extension Runtime {
  /// Sets how many replaced versions each module keeps (0: every one). A lower limit drops
  /// the oldest kept versions at once, as a commit past the limit does.
  func setHistoryLimit(_ limit: Int) throws {
    guard limit >= 0 else {
      throw OxurError("argument", "history-limit must be 0 (keep every version) or more, got \(limit)")
    }
    registry.historyLimit = limit
    guard limit > 0 else { return }
    var retired: [ModuleVersion] = []
    for entry in registry.loadedModules where entry.history.count > limit {
      let dropped = entry.history.count - limit
      retired.append(contentsOf: entry.history[..<dropped])
      entry.history.removeFirst(dropped)
      entry.forgetUnusedLayouts()
    }
    RetiredVersions.release(retired, lock: lock)
  }
}

// `(deps m)`: a module's place in the import graph and the macro edges reloads follow.

import Foundation

extension Runtime {
  /// `(deps m)`: what m imports, what imports it, and whose macros its code was expanded with
  /// (a reload of those re-expands m in the same transaction).
  func dependencyLines(module: String) throws -> String {
    guard let current = registry.existingEntry(module)?.current else {
      throw OxurError("load", "no module \(module) is loaded")
    }
    let importers = registry.loadedModules.filter { $0.current?.imports.contains(module) == true }.map(\.name)
    let macroUsers = registry.loadedModules.filter { $0.current?.macroSources.contains(module) == true }.map(\.name)
    func list(_ names: [String]) -> String { names.isEmpty ? "-" : names.sorted().joined(separator: ", ") }
    return [
      "\(module) (version \(current.number))",
      "  imports:         \(list(current.imports))",
      "  imported by:     \(list(importers))",
      "  uses macros of:  \(list(Array(current.macroSources)))",
      "  macros used by:  \(list(macroUsers))",
    ].joined(separator: "\n")
  }
}

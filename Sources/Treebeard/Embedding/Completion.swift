// Names a REPL or editor can complete: globals, module:name, module names, prelude, special forms.

import Foundation

extension Interpreter {
  /// Every name starting with `prefix` that code in `module` could write, sorted: for
  /// `calc:a`, the names module `calc` (or the alias `calc`) exports; otherwise the module's
  /// own globals and macros, the REPL's, what `:refer` brought in, the prelude, special forms,
  /// core macros and loaded modules' names followed by `:`.
  public func completions(prefix: String, module: String? = nil) -> [String] {
    runtime.lock.withLock {
      let registry = runtime.registry
      let here = registry.existingEntry(module ?? runtime.currentModule)?.current
      if let colon = prefix.firstIndex(of: ":"), colon != prefix.startIndex {
        let alias = String(prefix[..<colon])
        let target = here?.aliases[alias] ?? alias
        guard let version = registry.existingEntry(target)?.current else { return [] }
        let names = (Array(version.bindings.keys) + Array(version.macros.keys)).filter {
          version.isExported($0) && version.bindings[$0]?.isSessionVariable != true
        }
        return Set(names.map { "\(alias):\($0.name)" }).filter { $0.hasPrefix(prefix) }.sorted()
      }
      var names = Set(runtime.prelude.keys).union(SpecialForms.table.keys).union(CoreMacros.table.keys)
      for version in [here, registry.existingEntry("user")?.current].compactMap({ $0 }) {
        names.formUnion(version.bindings.keys.map(\.name))
        names.formUnion(version.macros.keys.map(\.name))
        names.formUnion(version.referred.keys.map(\.name))
        names.formUnion(version.aliases.keys.map { $0 + ":" })
      }
      names.formUnion(registry.loadedModules.map { $0.name + ":" })
      return names.filter { $0.hasPrefix(prefix) && !$0.hasPrefix("%") }.sorted()
    }
  }
}

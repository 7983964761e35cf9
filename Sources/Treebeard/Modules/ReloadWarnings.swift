// Warnings that a reload might break running code (DESIGN.md §6): scanned before the commit, never blocking.

import Foundation
import OxurSyntax

enum ReloadWarnings {
  /// What replacing `previous` by `staging` for `module` may break in the other loaded modules,
  /// whose uses of other modules' names the analyzer kept (`ModuleVersion.externalUses`).
  /// Every loaded module's uses of other modules, by the module used, in the order of the
  /// users' names: made once for a transaction, which scans each module it stages (scanning
  /// every module's uses for each one made a reload-all of thousands of modules quadratic).
  struct UsesByModule {
    fileprivate var uses: [String: [(user: ModuleVersion, use: ExternalUse)]] = [:]

    init(_ registry: Registry) {
      for entry in registry.loadedModules {
        guard let current = entry.current else { continue }
        for use in current.externalUses where use.module != entry.name {
          uses[use.module, default: []].append((current, use))
        }
      }
    }
  }

  /// A struct the new version no longer defines (removed, or renamed) while instances of it
  /// are alive: no migrator can reach them (its result must be of their own struct), and no
  /// accessor of the new code reads them. The reload said nothing.
  static func removedStructs(
    module: String, previous: ModuleVersion, staging: ModuleVersion, layouts: [String: [StructType]]
  ) -> [String] {
    previous.structs.keys.sorted().compactMap { name in
      guard staging.structs[name] == nil else { return nil }
      let live = (layouts[name] ?? []).reduce(0) { $0 + $1.liveInstances.count }
      guard live > 0 else { return nil }
      let instances = live == 1 ? "1 instance of it is" : "\(live) instances of it are"
      return "⚠ \(module): struct \(name) was removed while \(instances) live; they keep their fields, "
        + "which no accessor of the new version reads"
    }
  }

  static func scan(
    module: String, previous: ModuleVersion, staging: ModuleVersion, uses: UsesByModule,
    display: (String) -> String
  ) -> [String] {
    var warnings: [String] = []
    func site(_ use: ExternalUse) -> String {
      guard let file = use.span.file else { return "line \(use.span.line)" }
      return "\(display(file.name)):\(use.span.line)"
    }
    for (user, use) in uses.uses[module] ?? [] where previous.provides(use.name) {
      let name = use.name.name
      if !staging.provides(use.name) {
        warnings.append("⚠ \(module): \(name) was removed but \(user.name) still uses it at \(site(use))")
        continue
      }
      if previous.isExported(use.name) && !staging.isExported(use.name)
        && previous.exports?.contains(use.name) != true
      {
        warnings.append("⚠ \(module): \(name) is no longer exported but \(user.name) uses it at \(site(use))")
      }
      if let count = use.argumentCount, let old = lambda(previous, use.name), let new = lambda(staging, use.name),
        old.arity(for: count) != nil, new.arity(for: count) == nil
      {
        warnings.append(
          "⚠ \(module): \(name) no longer takes \(count) argument(s) (now \(new.arityDescription)); "
            + "\(user.name) calls it with \(count) at \(site(use))")
      }
    }
    // Enum values are not migrated: a value made with a variant's old fields keeps them, and
    // the new version's patterns for that variant do not match it.
    // Nor are they followed when their enum or variant goes: a value made before prints as it
    // did and no pattern of the new version matches it (an enum renamed reloaded silently).
    for (enumName, oldType) in previous.enums.sorted(by: { $0.key < $1.key }) {
      guard let newType = staging.enums[enumName] else {
        warnings.append(
          "⚠ \(module): enum \(enumName) was removed (or renamed); values made before keep its variants, "
            + "which no pattern of the new version matches")
        continue
      }
      guard newType !== oldType else { continue }
      for old in oldType.variants {
        guard let new = newType.variants.first(where: { $0.name == old.name }) else {
          warnings.append(
            "⚠ \(module): variant \(old.name) of \(enumName) was removed; values made with it keep it, "
              + "and no pattern of the new version matches them")
          continue
        }
        guard new.arity != old.arity else { continue }
        warnings.append(
          "⚠ \(module): variant \(old.name) of \(enumName) now has \(new.arity) field(s) (was \(old.arity)); "
            + "values made before keep \(old.arity), and patterns for the new \(old.name) do not match them")
      }
    }
    if let oldExports = previous.exports {
      for name in oldExports.sorted(by: { $0.name < $1.name })
      where !staging.isExported(name) || !staging.provides(name) {
        warnings.append("⚠ \(module): export \(name.name) disappeared")
      }
    }
    return warnings
  }

  /// Code of the module that is running now, on this thread or one waiting at a safe point:
  /// those calls finish in the replaced version's code (hot-reload.md §7).
  static func running(module: String, previous: ModuleVersion, functions: [Lambda]) -> [String] {
    guard !functions.isEmpty else { return [] }
    var names: [String] = []
    for lambda in functions where !names.contains(lambda.displayName) { names.append(lambda.displayName) }
    // A call that began several reloads ago runs the code of the version it began in, not the
    // one this reload replaces: each reload named its previous version.
    let ofPrevious = functions.allSatisfy { running in
      // A function inside a definition (`fn`) is the previous version's when read from its text.
      (running.sourceFile != nil && running.sourceFile === previous.sourceFile)
        || previous.bindings.values.contains { binding in
          if case .closure(let closure) = binding.value { return closure.lambda === running }
          return false
        }
    }
    let code = ofPrevious ? "version \(previous.number)'s code" : "the code of the earlier version it began in"
    return [
      "⚠ \(module): \(names.sorted().joined(separator: ", ")) running now; "
        + "\(names.count == 1 ? "that call finishes" : "those calls finish") in \(code)"
    ]
  }

  private static func lambda(_ version: ModuleVersion, _ name: Symbol) -> Lambda? {
    if case .closure(let closure)? = version.bindings[name]?.value { return closure.lambda }
    return nil
  }
}

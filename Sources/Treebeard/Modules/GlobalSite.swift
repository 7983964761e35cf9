// A reference to a module global from code: caches (version, binding), revalidated by one compare.

import OxurSyntax

/// Late binding at the cost of one pointer comparison per use (DESIGN.md §2): when the entry's
/// current version is the cached one, the cached binding is right; otherwise relink by name.
final class GlobalSite: @unchecked Sendable {
  let moduleName: String
  let name: Symbol
  /// Resolved lazily so code may name a module that is loaded later.
  private(set) var entry: ModuleEntry?
  private var version: ModuleVersion?
  private var binding: Binding?
  /// Qualified uses from another module must respect `export`.
  let checkExport: Bool
  private let registry: Registry
  private var reference: FunctionReference?

  init(registry: Registry, moduleName: String, name: Symbol, checkExport: Bool) {
    self.registry = registry
    self.moduleName = moduleName
    self.name = name
    self.checkExport = checkExport
    self.entry = registry.existingEntry(moduleName)
  }

  var qualifiedName: String { "\(moduleName):\(name.name)" }

  @inline(__always) func resolve() throws -> Binding {
    if let entry, let binding, entry.current === version { return binding }
    return try relink()
  }

  private func relink() throws -> Binding {
    if entry == nil { entry = registry.existingEntry(moduleName) }
    guard let entry, let current = entry.current else {
      throw OxurError("unknown-name", "unknown name: \(qualifiedName) (module \(moduleName) is not loaded)")
    }
    guard let found = current.bindings[name] else {
      throw OxurError("unknown-name", "unknown name: \(checkExport ? qualifiedName : name.name)")
    }
    if checkExport && !current.isExported(name) {
      throw OxurError("unknown-name", "\(name.name) is not exported by module \(moduleName)")
    }
    version = current
    binding = found
    return found
  }

  /// The value of the global as an expression: functions become late-bound references.
  func valueForReference() throws -> Value {
    let found = try resolve()
    guard found.isFunction else { return found.value }
    if let reference { return .functionReference(reference) }
    let created = FunctionReference(site: GlobalSite(registry: registry, moduleName: moduleName, name: name, checkExport: checkExport))
    reference = created
    return .functionReference(created)
  }
}

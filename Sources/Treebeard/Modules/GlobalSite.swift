// A reference to a module global from code: caches (generation, binding), revalidated by one compare.

import OxurSyntax

/// Late binding at the cost of one comparison per use (DESIGN.md §2): when the entry's version
/// generation is the cached one, the cached binding is right; otherwise relink by name.
/// The cache holds the binding unretained and no version: while the generation matches, the
/// entry's current version owns the binding; once it moves, the cache is not read again before a
/// relink. So a site never called again keeps no old version (or its values) alive.
final class GlobalSite: @unchecked Sendable {
  let moduleName: String
  let name: Symbol
  /// Resolved lazily so code may name a module that is loaded later. Entries are never removed.
  @exclusivity(unchecked) private var entryReference: Unmanaged<ModuleEntry>?
  @exclusivity(unchecked) private var generation: UInt = .max
  @exclusivity(unchecked) private var bindingReference: Unmanaged<Binding>?
  /// Qualified uses from another module must respect `export`.
  let checkExport: Bool
  private let registry: Registry
  private var reference: FunctionReference?

  init(registry: Registry, moduleName: String, name: Symbol, checkExport: Bool) {
    self.registry = registry
    self.moduleName = moduleName
    self.name = name
    self.checkExport = checkExport
    self.entryReference = registry.existingEntry(moduleName).map { Unmanaged.passUnretained($0) }
  }

  var qualifiedName: String { "\(moduleName):\(name.name)" }

  var entry: ModuleEntry? { entryReference?.takeUnretainedValue() }

  /// The current value of the global: the hot path of every global call.
  @inline(__always) func currentValue() throws -> Value {
    if let entryReference, let bindingReference,
      entryReference._withUnsafeGuaranteedRef({ $0.generation }) == generation
    {
      return bindingReference._withUnsafeGuaranteedRef { $0.value }
    }
    return try relink().value
  }

  /// The current value when it is a closure, unretained: the binding holds it.
  @inline(__always) func currentClosure() throws -> Unmanaged<Closure>? {
    if let entryReference, let bindingReference,
      entryReference._withUnsafeGuaranteedRef({ $0.generation }) == generation
    {
      return bindingReference._withUnsafeGuaranteedRef { $0.closureReference }
    }
    return try relink().closureReference
  }

  @inline(__always) func resolve() throws -> Binding {
    if let entryReference, let bindingReference,
      entryReference._withUnsafeGuaranteedRef({ $0.generation }) == generation
    {
      return bindingReference.takeUnretainedValue()
    }
    return try relink()
  }

  private func relink() throws -> Binding {
    if entryReference == nil {
      entryReference = registry.existingEntry(moduleName).map { Unmanaged.passUnretained($0) }
    }
    guard let entry, let current = entry.current else {
      throw OxurError("unknown-name", "unknown name: \(qualifiedName) (module \(moduleName) is not loaded)")
    }
    guard let found = current.bindings[name] else {
      guard checkExport else {
        let hint = Suggestions.hint(for: name.name, among: current.bindings.keys.map(\.name) + registry.preludeNames)
        throw OxurError("unknown-name", "unknown name: \(name.name)\(hint)")
      }
      let offered = current.bindings.keys.filter { current.isExported($0) }.map(\.name)
      let hint = Suggestions.qualifiedHint(module: moduleName, name: name.name, among: offered)
      throw OxurError("unknown-name", "unknown name: \(qualifiedName)\(hint)")
    }
    if checkExport && !current.isExported(name) {
      throw OxurError("unknown-name", "\(name.name) is not exported by module \(moduleName)")
    }
    generation = entry.generation
    bindingReference = Unmanaged.passUnretained(found)
    return found
  }

  /// For printing on any thread: the arity of the current definition, read under the evaluator
  /// lock and without touching the cache (which only the evaluating thread may write).
  func currentArityDescription() -> String? {
    registry.lock.withLock {
      guard let binding = registry.existingEntry(moduleName)?.current?.bindings[name],
        case .closure(let closure) = binding.value
      else { return nil }
      return closure.lambda.arityDescription
    }
  }

  /// The value of the global as an expression: functions become late-bound references.
  func valueForReference() throws -> Value {
    let found = try resolve()
    guard found.isFunction else { return found.value }
    if let reference { return .functionReference(reference) }
    let created = FunctionReference(
      site: GlobalSite(registry: registry, moduleName: moduleName, name: name, checkExport: checkExport))
    reference = created
    return .functionReference(created)
  }
}

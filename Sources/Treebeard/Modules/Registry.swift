// Modules as the evaluator sees them: entries whose current version swaps atomically on commit.

import Foundation
import OxurSyntax

/// A global definition's cell. A version owns its bindings; `defonce` carries a cell across versions.
///
/// Every kept version has one binding per definition, so its size counts: the fields are
/// declared word-sized first and flags last (Swift lays a class out in declaration order), which
/// keeps the object at 52 bytes, a 64-byte heap chunk instead of 80.
public final class Binding: @unchecked Sendable {
  public let name: Symbol
  /// The value when it is a closure, for calls that run it without a retain
  /// (`GlobalSite.currentClosure`); a running closure the binding lets go of stays alive until
  /// its frames return (`Closure.bindingReleased`).
  @exclusivity(unchecked) private(set) var closureReference: Unmanaged<Closure>?
  /// This definition's own version: 1 when first defined, one more each time it is redefined
  /// in place (the REPL) or changed by a reload (`✓ Hot-loaded: greet (v1 → v2)`).
  @exclusivity(unchecked) var version = 1
  @exclusivity(unchecked) public var value: Value {
    // willSet: the old value is still held here; by didSet it would already be gone.
    willSet { closureReference?._withUnsafeGuaranteedRef { $0.bindingReleased() } }
    didSet { closureReference = Binding.closureReference(value) }
  }
  /// Defined by `defn`/`define`: naming it as a value yields a late-bound reference.
  /// (This, `isOnce`, `version` and `value` change only under the evaluator lock: no dynamic
  /// exclusivity checks, which every definition of every reload paid.)
  @exclusivity(unchecked) var isFunction: Bool
  /// Set by `defonce`; a later `defonce` of the name keeps the value.
  @exclusivity(unchecked) var isOnce: Bool
  /// A REPL variable (`*1`, `*e`) rather than the user's definition: `(modules)` does not count it.
  var isSessionVariable = false

  init(name: Symbol, value: Value, isFunction: Bool, isOnce: Bool) {
    self.name = name
    self.value = value
    self.closureReference = Binding.closureReference(value)
    self.isFunction = isFunction
    self.isOnce = isOnce
  }

  deinit { closureReference?._withUnsafeGuaranteedRef { $0.bindingReleased() } }

  private static func closureReference(_ value: Value) -> Unmanaged<Closure>? {
    if case .closure(let closure) = value { return Unmanaged.passUnretained(closure) }
    return nil
  }
}

/// One committed (or staging) version of a module. Treated as immutable once committed,
/// except the REPL's own module, whose definitions are updated in place.
/// Its tables are read and written only under the evaluator lock; the ones a load touches
/// per definition skip dynamic exclusivity checks (each cost about 80 instructions, 13 % of a
/// one-function reload).
public final class ModuleVersion: @unchecked Sendable {
  public let name: String
  /// Set only at commit, under the evaluator lock; read by every `def` a load runs.
  @exclusivity(unchecked) public internal(set) var number: Int
  public let path: String?
  public let contentHash: String
  public internal(set) var loadedAt: Date
  @exclusivity(unchecked) var bindings: [Symbol: Binding] = [:]
  @exclusivity(unchecked) var macros: [Symbol: Value] = [:]
  @exclusivity(unchecked) var structs: [String: StructType] = [:]
  @exclusivity(unchecked) var enums: [String: EnumType] = [:]
  /// Variant names visible unqualified in this module (from its own enums).
  @exclusivity(unchecked) var variants: [String: Variant] = [:]
  /// nil: everything is public.
  var exports: Set<Symbol>? = nil
  /// alias → module name (a plain `(import m)` maps m → m).
  @exclusivity(unchecked) var aliases: [String: String] = [:]
  /// name → module that provides it, from `:refer`.
  @exclusivity(unchecked) var referred: [Symbol: String] = [:]
  var imports: [String] = []
  /// Where each import was written (the first `(import m)` of each module), for errors.
  var importSpans: [String: Span] = [:]
  /// Modules whose macros this version's code was expanded with (compile-time edges): when one
  /// of them reloads, this module is re-expanded from its file in the same transaction. Each
  /// with where its first macro was expanded (the place a macro cycle is reported).
  var macroSources: [String: Span] = [:]
  /// The macros of other modules this version's code was expanded with, by provider and name:
  /// a rollback to this version expands its text again when one of them is no longer the
  /// same macro, rather than restoring expansions of macros that have changed since.
  var expandedMacros: [String: [Symbol: Value]] = [:]
  /// Modules whose struct layouts this version's `(struct m:T …)` forms were checked against
  /// (also compile-time edges): a reload of one re-analyzes this module in the same transaction,
  /// so a constructor the new layout breaks fails that reload instead of a later call.
  var layoutSources: Set<String> = []
  /// Where this version first built a struct of each of `layoutSources` (the place a cycle
  /// through that edge is reported).
  var layoutSpans: [String: Span] = [:]
  /// Each other module's struct this version's code builds, with the fields it was checked
  /// against: a rollback to this version is refused when those layouts have changed since.
  var constructedLayouts: [String: [String: [Keyword]]] = [:]
  /// Names defined at top level in source order, for `(modules)` and diffs.
  @exclusivity(unchecked) var definitionOrder: [Symbol] = []
  /// Names of other modules this version's code uses (`m:f`, `:refer`), checked at commit and
  /// kept afterwards, so a later reload of the used module can warn about what it breaks.
  /// Recorded only while staging.
  @exclusivity(unchecked) var externalUses: [ExternalUse] = []
  /// The text this version was loaded from, kept as long as the version is: the spans of its
  /// external uses and definitions point into it, and spans keep no text themselves.
  var sourceFile: SourceFile?
  /// Each definition's fingerprint and documentation (`fingerprint(of:)`, `documentation(of:)`),
  /// and the order the fingerprints were first recorded in (source order).
  @exclusivity(unchecked) var facts: [Symbol: DefinitionFacts] = [:]
  @exclusivity(unchecked) var fingerprintOrder: [Symbol] = []
  /// Analyzed code of this version's top-level definitions by first line, for the next load to
  /// reuse where nothing it depends on changed (DefinitionReuse.swift). Shared across versions.
  @exclusivity(unchecked) var reusable: [SourceLine: ReusableDefinition] = [:]
  /// Definitions whose code this version reused from the one it replaced.
  @exclusivity(unchecked) var reusedDefinitions = 0
  /// What this version changed against the one it replaced, and its load statistics.
  var changes = DefinitionChanges()
  /// Its `--check--` ran and passed before it was committed.
  var checkRan = false
  var record: ReloadRecord?

  init(name: String, number: Int, path: String?, contentHash: String) {
    self.name = name
    self.number = number
    self.path = path
    self.contentHash = contentHash
    self.loadedAt = Date()
  }

  /// Frees definitions in the order they were made, which is roughly their order in memory:
  /// the tables' own order is by hash, and a version leaving a full history is cold, so freeing
  /// it that way missed the cache at nearly every object.
  deinit {
    var reusableInOrder = Array(reusable.values)
    reusable = [:]
    reusableInOrder.sort { $0.line < $1.line }
    reusableInOrder.removeAll()
    var bindingsInOrder: [Binding] = []
    var documentationInOrder: [Documentation] = []
    bindingsInOrder.reserveCapacity(bindings.count)
    documentationInOrder.reserveCapacity(facts.count)
    for name in definitionOrder {
      if let binding = bindings[name] { bindingsInOrder.append(binding) }
      if let record = facts[name]?.documentation { documentationInOrder.append(record) }
    }
    bindings = [:]
    facts = [:]
    bindingsInOrder.removeAll()
    documentationInOrder.removeAll()
  }

  func define(_ name: Symbol, _ value: Value, isFunction: Bool) -> Binding {
    if let existing = bindings[name] {
      existing.value = value
      existing.isFunction = isFunction
      existing.version += 1
      return existing
    }
    let binding = Binding(name: name, value: value, isFunction: isFunction, isOnce: false)
    bindings[name] = binding
    definitionOrder.append(name)
    return binding
  }

  /// Room for as many definitions as `other` has: a reload defines about as many as the
  /// version it replaces, and growing the tables one rehash at a time cost more than filling them.
  func reserveCapacity(like other: ModuleVersion) {
    bindings.reserveCapacity(other.bindings.count)
    definitionOrder.reserveCapacity(other.definitionOrder.count)
    facts.reserveCapacity(other.facts.count)
    fingerprintOrder.reserveCapacity(other.fingerprintOrder.count)
    reusable.reserveCapacity(other.reusable.count)
  }

  /// Docstring, arglists and where `name` is written, for `(doc)` and `(source)`.
  func documentation(of name: Symbol) -> Documentation? { facts[name]?.documentation }

  /// Recorded by the analyzer for each definition and macro, and by hosts for their builtins.
  func setDocumentation(_ documentation: Documentation?, of name: Symbol) {
    facts[name, default: DefinitionFacts()].documentation = documentation
  }

  /// The fingerprint of `name`'s expanded code (DefinitionFingerprint.swift), when recorded.
  func fingerprint(of name: Symbol) -> UInt64? { facts[name]?.fingerprint }

  /// The module's own definitions, not REPL variables such as `*1` and `*e`.
  var userDefinitionCount: Int { bindings.values.filter { !$0.isSessionVariable }.count + macros.count }

  func isExported(_ name: Symbol) -> Bool { exports?.contains(name) ?? true }

  /// True when another module may name `name` here: a global, a macro, a struct or a variant.
  func provides(_ name: Symbol) -> Bool {
    bindings[name] != nil || macros[name] != nil || structs[name.name] != nil || variants[name.name] != nil
      || enums[name.name] != nil
  }
}

/// What a version records of one definition besides its binding. One table for both: a kept
/// version of a large module had two, of 16-byte slots each, and 24-byte slots in one table
/// cost a third less.
struct DefinitionFacts {
  /// The fingerprint with its lowest bit set (so 0 can mean none: no optional's extra byte);
  /// 0 for a name that has documentation only, such as a host's builtin.
  private var stored: UInt64 = 0
  var documentation: Documentation?

  var fingerprint: UInt64? { stored == 0 ? nil : stored }

  /// Records what is given; true when there was a fingerprint already.
  mutating func record(fingerprint: UInt64?, documentation: Documentation? = nil) -> Bool {
    let had = stored != 0
    if let fingerprint { stored = fingerprint | 1 }
    if let documentation { self.documentation = documentation }
    return had
  }
}

/// A use of another module's name by code being loaded.
struct ExternalUse {
  let module: String
  let name: Symbol
  let span: Span
  /// The number of arguments when the use is a call, for arity-change warnings.
  var argumentCount: Int? = nil
  /// A use as a value or call (not a `:refer`): the name must then be more than a macro.
  var isValue = false
}

/// A module name's slot in the registry. `current` changes only while the evaluator lock is held.
public final class ModuleEntry: @unchecked Sendable {
  public let name: String
  @exclusivity(unchecked) public internal(set) var current: ModuleVersion? {
    didSet { generation &+= 1 }
  }

  /// Something that affects name resolution changed in the current version in place (an
  /// `export`, an import's alias or `:refer`, a REPL definition): every site relinks.
  func invalidateSites() { generation &+= 1 }
  /// Changes whenever `current` is assigned: what call sites compare (one integer load).
  @exclusivity(unchecked) private(set) var generation: UInt = 0
  /// Earlier committed versions, oldest first, bounded by the registry's history limit.
  var history: [ModuleVersion] = []
  var highestVersion = 0
  /// The layouts of each struct of this module that may still have instances (StructMigration.swift).
  var structLayouts: [String: [StructType]] = [:]

  init(name: String) { self.name = name }
}

/// Module name → entry. Entries are never removed, so call sites may keep them forever.
public final class Registry: @unchecked Sendable {
  private(set) var entries: [String: ModuleEntry] = [:]
  var historyLimit = 16
  /// What each committed transaction changed, newest last, for `(rollback)`. Bounded like the
  /// reload records: older commits cannot be undone as a whole (their versions may be gone).
  private(set) var commitLog: [[CommitLogEntry]] = []
  static let commitLogLimit = 64

  func recordCommit(_ changes: [CommitLogEntry]) {
    guard !changes.isEmpty else { return }
    commitLog.append(changes)
    if commitLog.count > Registry.commitLogLimit { commitLog.removeFirst(commitLog.count - Registry.commitLogLimit) }
  }
  /// The most recent load records across modules, oldest first, for `(reload-stats)`.
  var records: [ReloadRecord] = []
  static let recordLimit = 64
  /// The evaluator lock that guards everything here: code outside an evaluation (printing a
  /// function reference on a host thread) takes it before reading.
  let lock: EvaluatorLock
  /// The prelude's names, for "did you mean" hints of unknown names found at run time.
  var preludeNames: [String] = []

  init(lock: EvaluatorLock) { self.lock = lock }

  func entry(_ name: String) -> ModuleEntry {
    if let existing = entries[name] { return existing }
    let created = ModuleEntry(name: name)
    entries[name] = created
    return created
  }

  func existingEntry(_ name: String) -> ModuleEntry? { entries[name] }

  var loadedModules: [ModuleEntry] {
    entries.values.filter { $0.current != nil }.sorted { $0.name < $1.name }
  }
}

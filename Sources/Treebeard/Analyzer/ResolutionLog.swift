// What the analysis of one top-level form asked of its surroundings, so a reload can tell whether its code still holds.

import OxurSyntax

/// A question the analyzer asks outside the form's own text: what a name means here.
enum ResolutionQuery: Hashable {
  /// An unqualified name that is not a local: own global, referred, variant, builtin or unknown.
  case global(Symbol)
  /// A call head looked up as a user macro (by name: most modules have no macros to look in,
  /// and interning each head only to ask was a measurable part of a reload).
  case macro(module: String?, name: String)
  /// A core macro that gives way to a definition of the same name.
  case definedHere(Symbol)
  /// `m` in `m:f`: an import alias or a module name.
  case alias(String)
  /// A variant named in code (`Circle`, `geo:Circle`), or the enum a `x:Type` annotation tests.
  case variant(module: String?, name: String)
  /// A variant named in a pattern, which also sees other modules' variants.
  case patternVariant(module: String?, name: String)
  /// `prelude:f`.
  case prelude(String)
}

/// The answer to a query. `blocked` marks an answer whose analyzed code holds something of the
/// version it was analyzed in (a variant object, a macro's expansion): such code is never reused.
enum ResolutionAnswer: Equatable {
  case none
  case own
  case module(String)
  case builtin(Builtin)
  case builtinVariant(String)
  case blocked

  static func == (a: ResolutionAnswer, b: ResolutionAnswer) -> Bool {
    switch (a, b) {
    case (.none, .none), (.own, .own), (.blocked, .blocked): return true
    case (.module(let x), .module(let y)): return x == y
    case (.builtinVariant(let x), .builtinVariant(let y)): return x == y
    case (.builtin(let x), .builtin(let y)): return x === y
    default: return false
    }
  }
}

/// A set of names as 64 bits, one per name by its hash: no allocation per definition, and a
/// name that shares a bit with one asked about counts as asked (reuse then analyzes again,
/// which is always safe).
struct MacroNameBits {
  private var bits: UInt64 = 0

  var isEmpty: Bool { bits == 0 }

  mutating func insert(_ name: String) { bits |= MacroNameBits.bit(name) }

  func mayContain(_ name: String) -> Bool { bits & MacroNameBits.bit(name) != 0 }

  private static func bit(_ name: String) -> UInt64 { 1 &<< UInt64(UInt(bitPattern: stableStringHash(name)) & 63) }
}

/// A question and the answer it got. A struct rather than a tuple: arrays of tuples are
/// destroyed through run-time metadata, once per recorded definition at every reload.
struct Resolution {
  let query: ResolutionQuery
  let answer: ResolutionAnswer
}

/// A top-level form as analyzed (after expansion) and its code.
struct AnalyzedForm {
  let form: Syntax
  let code: TopLevelCode
}

/// Collects, while one top-level form is analyzed, every question asked and the code produced.
/// Used by one analysis on the evaluator's thread: no dynamic exclusivity checks.
final class ResolutionLog {
  @exclusivity(unchecked) private(set) var entries: [Resolution] = []
  /// Something was analyzed that reuse cannot replay (a struct, a macro, an import …).
  @exclusivity(unchecked) var blocked = false
  /// Unqualified call heads looked up as user macros while the module had none and referred
  /// no names (`Analyzer.userMacro`): none was a macro then.
  @exclusivity(unchecked) var namesAskedAsMacrosWhileNone = MacroNameBits()
  /// `def`s analyzed: exactly one can be replayed.
  @exclusivity(unchecked) var definitions = 0
  /// The name the last `def` analyzed defines, interned once for the load's later steps.
  @exclusivity(unchecked) var definedSymbol: Symbol?
  /// The first analyzed top-level form and its code, and how many there were (a top-level
  /// `do` gives several; only one can be replayed, so the rest need not be kept).
  @exclusivity(unchecked) private(set) var firstAnalyzed: AnalyzedForm?
  @exclusivity(unchecked) private(set) var analyzedCount = 0

  func recordAnalyzed(_ form: AnalyzedForm) {
    if analyzedCount == 0 { firstAnalyzed = form }
    analyzedCount += 1
  }

  /// The questions asked so far, once the entries are too many to search linearly.
  @exclusivity(unchecked) private var asked: Set<ResolutionQuery>? = nil

  init() { entries.reserveCapacity(2) }

  /// Keeps the first answer to each question (as asked, in order). Most forms ask a handful:
  /// a linear search beats hashing them; past 32 a set takes over.
  func note(_ query: ResolutionQuery, _ answer: ResolutionAnswer) {
    if answer == .blocked { blocked = true }
    if asked != nil {
      guard asked?.insert(query).inserted == true else { return }
    } else {
      for entry in entries where entry.query == query { return }
      if entries.count >= 32 { asked = Set(entries.map(\.query) + [query]) }
    }
    entries.append(Resolution(query: query, answer: answer))
  }

  /// The distinct questions with their answers, in the order first asked.
  func distinctEntries() -> [Resolution] { entries }
}

extension Analyzer {
  /// The answer `query` gets now, computed without side effects, by the same lookups analysis
  /// makes. Used when recording and again when deciding whether recorded code still holds.
  func answer(_ query: ResolutionQuery) -> ResolutionAnswer {
    switch query {
    case .global(let symbol):
      // Empty tables are tested before hashing into them: most modules refer nothing and
      // define no variants, and this runs for every name of every reused definition.
      let name = symbol.name
      let current = version
      if current.bindings[symbol] != nil || knownNames.contains(symbol) { return .own }
      if !current.referred.isEmpty, let provider = current.referred[symbol] { return .module(provider) }
      if !current.variants.isEmpty, current.variants[name] != nil { return .blocked }
      switch runtime.preludeMeaning(symbol) {
      case .variant: return .builtinVariant(name)
      case .builtin(let builtin): return .builtin(builtin)
      case .none: return .none
      }
    case .macro(let module, let name):
      return lookupUserMacro(module: module, name: name) == nil ? .none : .blocked
    case .definedHere(let symbol):
      return isDefinedHere(symbol) ? .own : .none
    case .alias(let module):
      return version.aliases[module].map { .module($0) } ?? .none
    case .variant(let module, let name):
      return variantAnswer(module: module, name: name)
    case .patternVariant(let module, let name):
      let own = variantAnswer(module: module, name: name)
      if own != .none { return own }
      let provider = module.map { version.aliases[$0] ?? $0 } ?? version.referred[Symbol.intern(name)]
      guard let provider, runtime.registry.existingEntry(provider)?.current?.variants[name] != nil else { return .none }
      return .blocked
    case .prelude(let name):
      return runtime.prelude[name].map { .builtin($0) } ?? .none
    }
  }

  /// Own enums and variants are objects of the version: code holding them is not reused. The
  /// runtime's own variants never change.
  private func variantAnswer(module: String?, name: String) -> ResolutionAnswer {
    if let module {
      if version.enums[module] != nil { return .blocked }
      return runtime.builtinEnums[module]?.variant(named: name) == nil ? .none : .builtinVariant("\(module):\(name)")
    }
    if version.variants[name] != nil { return .blocked }
    return runtime.builtinVariants[name] == nil ? .none : .builtinVariant(name)
  }

  /// Records `query` when a form is being recorded.
  @inline(__always) func noteResolution(_ query: @autoclosure () -> ResolutionQuery) {
    guard let resolutionLog else { return }
    let asked = query()
    resolutionLog.note(asked, answer(asked))
  }

  /// True when no name in `names` can be a user macro here: the module still has no macros
  /// and refers nothing, or none of its macro and referred names shares a bit with them.
  func noneIsAMacro(_ names: MacroNameBits) -> Bool {
    if names.isEmpty || seesNoUnqualifiedMacros { return true }
    let current = version
    for symbol in current.macros.keys where names.mayContain(symbol.name) { return false }
    for symbol in current.referred.keys where names.mayContain(symbol.name) { return false }
    return true
  }

  /// True when every recorded question still gets its recorded answer here and now.
  func stillResolves(_ entries: [Resolution]) -> Bool {
    entries.allSatisfy { answer($0.query) == $0.answer }
  }
}

// Core forms to the node tree: locals to slots, globals to late-bound sites, macros expanded.

import OxurSyntax

/// Whether a form sits in tail position of its function (tail calls) and of the innermost
/// `loop`/`fn` (where `recur` is allowed).
struct Position {
  var tail: Bool
  var recur: Bool
  static let value = Position(tail: false, recur: false)
}

/// Code for one top-level form: a node and the frame it needs.
struct TopLevelCode {
  let node: Node
  let frameSize: Int
}

/// Analyzes forms for one module. Expansion happens here, form by form, because a macro
/// defined by one top-level form is used by the next.
/// One analyzer serves one load on the evaluator's thread: its state skips dynamic
/// exclusivity checks, which were a measurable part of every reload.
final class Analyzer {
  let runtime: Runtime
  let machine: Machine
  let entry: ModuleEntry
  @exclusivity(unchecked) var function: FunctionContext
  /// Names the module defines anywhere in its file, so forward references resolve to it.
  @exclusivity(unchecked) var knownNames: NameSet
  /// Global names used before any definition was seen; checked when the module finishes loading.
  @exclusivity(unchecked) var unresolved: [(name: String, span: Span)] = []
  @exclusivity(unchecked) private var depth = 0
  static let maximumDepth = 3000
  /// When set, collects what user macros expanded to inside the form being analyzed: part of its
  /// definition fingerprint, so a changed macro changes the definitions that use it.
  @exclusivity(unchecked) var macroExpansions: [Syntax]?
  /// User-macro expansions the assignment scan made in the top-level form being analyzed, by
  /// call (`storage(of:)`): the analysis takes them instead of running each macro a second
  /// time (its side effects ran twice per use). Each entry holds its call's elements, so no
  /// other list can take that storage while the entry lives: a call inside a `->` the scan
  /// expanded and dropped had its storage reused by the next such call, which then got the
  /// first one's expansion. Emptied with each top-level form.
  @exclusivity(unchecked) private var scannedExpansions: [UnsafeRawPointer?: (call: [Syntax], expansion: Syntax)] =
    [:]

  /// A macro call's identity while its top-level form is analyzed: where its elements are
  /// stored (a list shares storage with its copies, and no two live lists share one).
  static func storage(of items: [Syntax]) -> UnsafeRawPointer? {
    items.withUnsafeBufferPointer { $0.baseAddress.map { UnsafeRawPointer($0) } }
  }
  /// When set, records what the analysis of the current top-level form asked of its
  /// surroundings, so a reload can reuse the code while the answers hold (DefinitionReuse.swift).
  @exclusivity(unchecked) var resolutionLog: ResolutionLog?
  /// False while a top-level form is analyzed whose source text spells no `set!` and no
  /// qualified name (`AssignmentScan.mayFindAssignments`): unless a user macro could be called
  /// unqualified, its scan would find nothing.
  @exclusivity(unchecked) var sourceMayAssign = true
  /// The file last asked for by `owningFile(of:)` (a load's forms all come from one).
  @exclusivity(unchecked) private var lastFile: SourceFile?
  /// The reader's hash of the top-level form being staged (`TopLevelForm.hash`), for its
  /// fingerprint; set only around that very form.
  @exclusivity(unchecked) var readHash: UInt64?
  /// Names this analysis interned, for the next time it asks.
  @exclusivity(unchecked) var symbols = SymbolCache()
  /// Contexts of functions analyzed earlier, emptied, for the next ones (`makeContext`).
  @exclusivity(unchecked) private var spareContexts: [FunctionContext] = []

  init(runtime: Runtime, machine: Machine, entry: ModuleEntry, knownNames: NameSet = []) {
    self.runtime = runtime
    self.machine = machine
    self.entry = entry
    self.knownNames = knownNames
    self.function = FunctionContext(parent: nil, assignedNames: [])
  }

  var moduleName: String { entry.name }

  /// The file a span of the code being analyzed points into, for what must keep its text
  /// (functions, documentation): spans do not.
  func owningFile(of span: Span) -> SourceFile? {
    if let lastFile, span.isIn(lastFile) { return lastFile }
    guard let file = span.file else { return nil }
    lastFile = file
    return file
  }

  /// The version being compiled into (the staging version during a load).
  var version: ModuleVersion {
    if let current = entry.current { return current }
    let created = ModuleVersion(name: entry.name, number: 0, path: nil, contentHash: "")
    entry.current = created
    return created
  }

  func analyzeTopLevel(_ form: Syntax) throws -> TopLevelCode {
    let current = version
    let scanned =
      sourceMayAssign || !current.macros.isEmpty || !current.referred.isEmpty
      ? AssignmentScan.names(in: form, expand: expandUserMacroForScan) : []
    defer { if !scannedExpansions.isEmpty { scannedExpansions = [:] } }
    retire(&function)
    function = makeContext(parent: nil, assignedNames: scanned, captures: nil)
    let node = try analyze(form, .value)
    let code = TopLevelCode(node: node, frameSize: function.slotCount)
    resolutionLog?.recordAnalyzed(AnalyzedForm(form: form, code: code))
    return code
  }

  /// A context for a function about to be analyzed: a retired one when there is one.
  func makeContext(parent: FunctionContext?, assignedNames: NameSet, captures: CaptureList?) -> FunctionContext {
    guard let spare = spareContexts.popLast() else {
      return FunctionContext(parent: parent, assignedNames: assignedNames, captures: captures)
    }
    spare.reuse(parent: parent, assignedNames: assignedNames, captures: captures)
    return spare
  }

  /// Keeps a finished function's context for `makeContext` when nothing else holds it (an
  /// inner function's context holds its parent only until that one is retired first).
  func retire(_ context: inout FunctionContext) {
    guard spareContexts.count < 64, isKnownUniquelyReferenced(&context) else { return }
    context.clear()
    spareContexts.append(context)
  }

  func analyze(_ form: Syntax, _ position: Position) throws -> Node {
    depth += 1
    defer { depth -= 1 }
    guard depth < Analyzer.maximumDepth else {
      throw OxurError("syntax", "code nested too deeply to analyze", span: form.span)
    }
    let span = form.span
    switch form.kind {
    case .nil: return ConstantNode(.nil, span: span)
    case .bool(let b): return ConstantNode(.bool(b), span: span)
    case .int(let i): return ConstantNode(.int(i), span: span)
    case .float(let d): return ConstantNode(.float(d), span: span)
    case .string(let s): return ConstantNode(.string(s), span: span)
    case .char(let c): return ConstantNode(.char(c), span: span)
    case .keyword(let k): return ConstantNode(.keyword(k), span: span)
    case .symbol(let module, let name): return try analyzeSymbol(module: module, name: name, span: span)
    case .vector(let items):
      try Self.reserveForLiteral(items.count, span)
      let nodes = try items.map { try analyze($0, .value) }
      if let constants = constantValues(nodes) {
        return ConstantNode(.vector(PersistentVector.from(constants)), span: span)
      }
      return VectorLiteralNode(items: nodes, span: span)
    case .map(let items):
      try Self.reserveForLiteral(items.count, span)
      let nodes = try items.map { try analyze($0, .value) }
      if let constants = constantValues(nodes) {
        var storage = PersistentMap.empty.storage
        var index = 0
        while index + 1 < constants.count {
          storage[constants[index]] = constants[index + 1]
          index += 2
        }
        return ConstantNode(.map(PersistentMap(storage)), span: span)
      }
      return MapLiteralNode(items: nodes, span: span)
    case .set(let items):
      try Self.reserveForLiteral(items.count, span)
      let nodes = try items.map { try analyze($0, .value) }
      if let constants = constantValues(nodes) {
        return ConstantNode(.set(PersistentSet(.init(constants))), span: span)
      }
      return SetLiteralNode(items: nodes, span: span)
    case .list(let items):
      return try analyzeList(form, items, position)
    }
  }

  /// A literal of millions of forms: a node each, then (for constants) a value each and the
  /// collection, about 128 bytes a form while its syntax is still held. Asked first, so a
  /// literal that cannot fit under `ulimit -v` is an error, not a trap (exit 134).
  private static func reserveForLiteral(_ count: Int, _ span: Span) throws {
    guard count > 65_536 else { return }
    do {
      try MemoryGuard.reserve(
        count.multipliedReportingOverflow(by: 128).partialValue, for: "a literal of \(count) forms")
    } catch let error as OxurError { throw error.located(span) }
  }

  private func constantValues(_ nodes: [Node]) -> [Value]? {
    var values: [Value] = []
    for node in nodes {
      guard let value = node.constantValue else { return nil }
      switch value {
      case .closure, .atom, .functionReference: return nil
      default: values.append(value)
      }
    }
    return values
  }

  /// `(a b c)` as a body: `do` semantics, the last form inherits the position.
  func analyzeBody(_ forms: ArraySlice<Syntax>, _ position: Position, span: Span) throws -> Node {
    guard let lastForm = forms.last else { return ConstantNode(.nil, span: span) }
    var nodes: [Node] = []
    for form in forms.dropLast() { nodes.append(try analyze(form, .value)) }
    let last = try analyze(lastForm, position)
    return nodes.isEmpty ? last : DoNode(nodes, last: last, span: span)
  }

  // MARK: symbols

  func site(module: String, name: String, span: Span, argumentCount: Int? = nil) -> GlobalSite {
    let symbol = symbols.symbol(name)
    // Names of other modules used by code being loaded are checked before the load commits
    // (and kept, with the call's arity, for the warnings of a later reload of that module).
    if module != moduleName, version.number == 0 {
      version.externalUses.append(
        ExternalUse(module: module, name: symbol, span: span, argumentCount: argumentCount, isValue: true))
    }
    return runtime.site(module: module, name: symbol, checkExport: module != moduleName)
  }

  /// What an unqualified, non-local name refers to.
  enum GlobalMeaning {
    case global(GlobalSite)
    case builtin(Builtin)
    case constant(Value)
  }

  /// Asks what `answer(.global…)` asks, in the same order, and notes that answer: one set of
  /// look-ups instead of two per global name.
  func resolveGlobal(_ name: String, span: Span, argumentCount: Int? = nil) -> GlobalMeaning {
    let symbol = symbols.symbol(name)
    let current = version
    if current.bindings[symbol] != nil
      || (symbol.module == nil ? knownNames.contains(symbol) : knownNames.contains(name))
    {
      resolutionLog?.note(.global(symbol), .own)
      return .global(site(module: moduleName, name: name, span: span))
    }
    if !current.referred.isEmpty, let provider = current.referred[symbol] {
      resolutionLog?.note(.global(symbol), .module(provider))
      return .global(site(module: provider, name: name, span: span, argumentCount: argumentCount))
    }
    if !current.variants.isEmpty, let variant = current.variants[name] {
      resolutionLog?.note(.global(symbol), .blocked)
      return .constant(variant.bareValue)
    }
    switch runtime.preludeMeaning(symbol) {
    case .variant(let variant):
      resolutionLog?.note(.global(symbol), .builtinVariant(name))
      return .constant(variant.bareValue)
    case .builtin(let builtin):
      resolutionLog?.note(.global(symbol), .builtin(builtin))
      return .builtin(builtin)
    case .none:
      // A REPL session's `*1 *2 *3 *e` live in `user`; typed at a prompt after `(in-module
      // calc)` they are still the session's, as Clojure's are in every namespace ("unknown
      // name: *1" before). Not in a file: its code means the same whoever loads it.
      if moduleName != "user", Analyzer.sessionVariableNames.contains(name),
        span.file?.name.hasPrefix("<") == true,
        runtime.registry.existingEntry("user")?.current?.bindings[symbol]?.isSessionVariable == true
      {
        resolutionLog?.note(.global(symbol), .module("user"))
        return .global(site(module: "user", name: name, span: span, argumentCount: argumentCount))
      }
      resolutionLog?.note(.global(symbol), .none)
    }
    unresolved.append((name, span))
    return .global(site(module: moduleName, name: name, span: span))
  }

  static let sessionVariableNames: Set<String> = ["*1", "*2", "*3", "*e"]

  func resolveVariant(module: String?, name: String) -> Variant? {
    noteResolution(.variant(module: module, name: name))
    if let module {
      let enumType = version.enums[module] ?? runtime.builtinEnums[module]
      return enumType?.variant(named: name)
    }
    return version.variants[name] ?? runtime.builtinVariants[name]
  }

  /// Patterns also see variants of other modules: `(geo:Circle r)`, or `(Circle r)` referred.
  func resolvePatternVariant(module: String?, name: String) -> Variant? {
    noteResolution(.patternVariant(module: module, name: name))
    if let own = resolveVariant(module: module, name: name) { return own }
    let provider = module.map { version.aliases[$0] ?? $0 } ?? version.referred[Symbol.intern(name)]
    guard let provider else { return nil }
    return runtime.registry.existingEntry(provider)?.current?.variants[name]
  }

  private func analyzeSymbol(module: String?, name: String, span: Span) throws -> Node {
    if module == CoreMacros.preludeModule { noteResolution(.prelude(name)) }
    if module == CoreMacros.preludeModule, let builtin = runtime.prelude[name] {
      return ConstantNode(.builtin(builtin), span: span)
    }
    if let module {
      if let variant = resolveVariant(module: module, name: name) { return ConstantNode(variant.bareValue, span: span) }
      let target = aliasTarget(module)
      return GlobalNode(site: site(module: target, name: name, span: span), span: span)
    }
    if let local = function.lookup(name) {
      if local.boxed { return BoxedLocalNode(slot: local.slot, span: span) }
      // Outside a tail call's operands there are no candidates: no look-up (about 150 instructions).
      if !function.moveCandidates.isEmpty, function.moveCandidates.removeValue(forKey: ObjectIdentifier(local)) != nil {
        return MoveLocalNode(slot: local.slot, span: span)
      }
      return LocalNode(slot: local.slot, span: span)
    }
    switch resolveGlobal(name, span: span) {
    case .global(let site): return GlobalNode(site: site, span: span)
    case .builtin(let builtin): return ConstantNode(.builtin(builtin), span: span)
    case .constant(let value): return ConstantNode(value, span: span)
    }
  }

  // MARK: lists

  private func analyzeList(_ form: Syntax, _ items: [Syntax], _ position: Position) throws -> Node {
    guard let head = items.first else { return ConstantNode(.emptyList, span: form.span) }
    if case .symbol(let module, let name) = head.kind {
      if module == nil, let special = SpecialForms.lookup[name] {
        return try special(self, form, items, position)
      }
      let isLocal = module == nil && function.lookup(name) != nil
      if !isLocal, isDirectDefn(module: module, name: name) { return try analyzeDefn(form, items, position) }
      if !isLocal, let expansion = try expandMacro(form, items, module: module, name: name) {
        return try analyze(expansion, position)
      }
      // The first byte first: `count` walks the name's characters, and `hasPrefix` cost about 90
      // instructions, for every call head. `hasPrefix` still decides (it compares characters:
      // a `.` followed by a combining mark is not the prefix `.`).
      if module == nil, !isLocal, name.utf8.first == UInt8(ascii: "."), name.hasPrefix("."), name.count > 1,
        items.count == 2
      {
        return FieldNode(
          field: Keyword.intern(String(name.dropFirst())), target: try analyze(items[1], .value), span: form.span)
      }
      if !isLocal {
        return try analyzeGlobalCall(form, items, module: module, name: name, position)
      }
    }
    let callee = try analyze(head, .value)
    let arguments = try items.dropFirst().map { try analyze($0, .value) }
    return CallNode(callee: callee, arguments: arguments, isTail: position.tail, span: form.span)
  }

  /// True when `(name …)` is the core `defn`, which is analyzed without building its
  /// expansion (`analyzeDefn`): not qualified and no user macro of that name. (Asking for the
  /// user macro records the question, as expanding it would.)
  func isDirectDefn(module: String?, name: String) -> Bool {
    module == nil && name == "defn" && userMacro(module: nil, name: name) == nil
  }

  /// One expansion step if `name` is a macro here (user macros first, then the core ones).
  func expandMacro(_ form: Syntax, _ items: [Syntax], module: String?, name: String) throws -> Syntax? {
    if let macro = userMacro(module: module, name: name, at: form.span) {
      if !scannedExpansions.isEmpty, let expanded = scannedExpansions[Self.storage(of: items)]?.expansion {
        macroExpansions?.append(expanded)
        return expanded
      }
      // Each expansion is a safe point: a macro that rewraps its arguments at every step does
      // work growing with the square of the depth, converting forms between syntax and
      // values, where neither the conversion nor the analyzer checks for an interrupt.
      try machine.checkInterrupt()
      let expanded = try runtime.callMacro(macro, form: form, items: items, machine: machine)
      macroExpansions?.append(expanded)
      return expanded
    }
    if module == nil, let core = CoreMacros.lookup[name] {
      if CoreMacros.yieldingToDefinitions.contains(name) {
        let symbol = symbols.symbol(name)
        noteResolution(.definedHere(symbol))
        if isDefinedHere(symbol) { return nil }
      }
      // A threading macro the scan expanded: its expansion holds the very calls the scan
      // expanded inside it, so those are found in `scannedExpansions` too, not run again.
      if !scannedExpansions.isEmpty, let expanded = scannedExpansions[Self.storage(of: items)]?.expansion {
        return expanded
      }
      return try core(form, items)
    }
    return nil
  }

  /// A global of this module (defined, about to be, or taken with `:refer`): REPL conveniences
  /// such as `doc` and `source` give way to it, so programs keep their own names.
  func isDefinedHere(_ symbol: Symbol) -> Bool {
    version.bindings[symbol] != nil || knownNames.contains(symbol) || version.referred[symbol] != nil
  }

  /// One user-macro expansion for `AssignmentScan` (errors are left for the real analysis).
  /// A threading macro is expanded too: it turns `(-> n incr!)` into the user macro call
  /// `(incr! n)`, whose `set!` the scan would otherwise never see. Its expansion holds every
  /// form of the original, so expanding one the analysis will not (a local named `->`) only
  /// boxes more.
  func expandUserMacroForScan(_ form: Syntax) -> Syntax? {
    guard case .list(let items) = form.kind, case .symbol(let module, let name)? = items.first?.kind,
      module != nil || SpecialForms.lookup[name] == nil
    else { return nil }
    let key = Self.storage(of: items)
    if let expanded = scannedExpansions[key]?.expansion { return expanded }
    guard let macro = userMacro(module: module, name: name, at: form.span) else {
      guard module == nil, name == "->" || name == "->>",
        let expanded = try? (name == "->" ? CoreMacros.threadFirst(form, items) : CoreMacros.threadLast(form, items))
      else { return nil }
      // Kept for the analysis: expanding it again would build new calls, and the user macros
      // threaded into it would run a second time.
      scannedExpansions[key] = (items, expanded)
      return expanded
    }
    do {
      let expanded = try runtime.callMacro(macro, form: form, items: items, machine: machine)
      scannedExpansions[key] = (items, expanded)
      return expanded
    } catch let error as OxurError where error.kind == "interrupted" {
      // The macro's own safe point took the interrupt; dropping it with the error would let
      // the analysis go on, uninterruptible, for as long as the expansion grows.
      machine.evaluation?.requestAgain()
      return nil
    } catch {
      return nil
    }
  }

  func userMacro(module: String?, name: String, at span: Span = .unknown) -> Value? {
    // A module with no macros and nothing referred has no user macro under any unqualified
    // name: the log keeps one bit of the name (`MacroNameBits`), which reuse tests only once
    // the module has macros or referred names (two of a one-line `defn`'s three questions).
    if module == nil, let log = resolutionLog, seesNoUnqualifiedMacros {
      log.namesAskedAsMacrosWhileNone.insert(name)
      return nil
    }
    let found = lookupUserMacro(module: module, name: name)
    // The answer `answer(.macro…)` would compute by the same look-up, noted without repeating it.
    resolutionLog?.note(.macro(module: module, name: name), found == nil ? .none : .blocked)
    guard let (macro, provider) = found else { return nil }
    if provider != moduleName {
      let current = version
      if current.macroSources[provider]?.isKnown != true { current.macroSources[provider] = span }
      current.expandedMacros[provider, default: [:]][symbols.symbol(name)] = macro
    }
    return macro
  }

  /// No unqualified name can be a user macro here: the module has none and refers no names.
  var seesNoUnqualifiedMacros: Bool {
    let current = version
    return current.macros.isEmpty && current.referred.isEmpty
  }

  /// The macro `module:name` (or `name`) names here and its module, without recording anything.
  func lookupUserMacro(module: String?, name: String) -> (macro: Value, provider: String)? {
    let current = version
    if module == nil && current.macros.isEmpty && current.referred.isEmpty { return nil }
    let symbol = symbols.symbol(name)
    let provider: String
    if let module {
      provider = version.aliases[module] ?? module
    } else if let own = version.macros[symbol] {
      return (own, moduleName)
    } else if let referred = version.referred[symbol] {
      provider = referred
    } else {
      return nil
    }
    guard let macro = runtime.registry.existingEntry(provider)?.current?.macros[symbol] else { return nil }
    return (macro, provider)
  }

  /// `m` of `m:f` as the module it names here (an import alias, else itself).
  func aliasTarget(_ module: String) -> String {
    noteResolution(.alias(module))
    return version.aliases[module] ?? module
  }

  private func analyzeGlobalCall(
    _ form: Syntax, _ items: [Syntax], module: String?, name: String, _ position: Position
  ) throws -> Node {
    let span = form.span
    let meaning: GlobalMeaning
    if module == CoreMacros.preludeModule { noteResolution(.prelude(name)) }
    if module == CoreMacros.preludeModule, let builtin = runtime.prelude[name] {
      meaning = .builtin(builtin)
    } else if let module {
      if let variant = resolveVariant(module: module, name: name) {
        meaning = .constant(variant.bareValue)
      } else {
        meaning = .global(
          site(
            module: aliasTarget(module), name: name, span: head(items).span,
            argumentCount: items.count - 1))
      }
    } else {
      meaning = resolveGlobal(name, span: head(items).span, argumentCount: items.count - 1)
    }
    let argumentForms = items.dropFirst()
    switch meaning {
    case .builtin(let builtin):
      switch builtin.analysisRole {
      case .plain: break
      case .macroexpand, .macroexpandOnce:
        if argumentForms.count == 1, let form = argumentForms.first {
          // Expands with the macros of the module this code is in, not the REPL's current one.
          return MacroexpandNode(
            form: try analyze(form, .value), module: moduleName, once: builtin.analysisRole == .macroexpandOnce,
            span: span)
        }
      case .spawn:
        if !argumentForms.isEmpty {
          return SpawnNode(operands: try argumentForms.map { try analyze($0, .value) }, span: span)
        }
      case .reportsFailure:
        let call = BuiltinCallNode.make(
          builtin: builtin, arguments: try argumentForms.map { try analyze($0, .value) }, span: span)
        return ReportSiteNode(call, span: span)
      }
      if let special = try specialisedBuiltin(name: builtin.name, argumentForms, span: span) { return special }
      if (1...3).contains(argumentForms.count), builtin.accepts(argumentForms.count),
        !(position.tail && builtin.updatesFirstArgumentInPlace)
      {
        return BuiltinCallFixedNode(builtin: builtin, operands: try analyzeFixedOperands(argumentForms), span: span)
      }
      // In tail position the frame's locals die with the call: a local named once moves into a
      // builtin that updates its first argument in place, so `(fn [m k] (assoc m k 1))` given a
      // map nobody else holds does not copy it. (Only those: the last-use count costs about
      // 5,000 instructions a call, a tenth of a reload of one-line functions.)
      let arguments =
        position.tail && builtin.updatesFirstArgumentInPlace
        ? try analyzeLastUseArguments(Array(argumentForms)) : try argumentForms.map { try analyze($0, .value) }
      return BuiltinCallNode.make(builtin: builtin, arguments: arguments, span: span)
    case .global(let site):
      if !position.tail, (1...3).contains(argumentForms.count) {
        let operands = try analyzeFixedOperands(argumentForms)
        if operands.count == 1 { return GlobalCall1Node(site: site, argument: operands.first, span: span) }
        return GlobalCallFixedNode(site: site, operands: operands, isTail: false, span: span)
      }
      let arguments =
        position.tail
        ? try analyzeLastUseArguments(Array(argumentForms)) : try argumentForms.map { try analyze($0, .value) }
      if arguments.count == 1 && !position.tail, let only = arguments.first {
        return GlobalCall1Node(site: site, argument: only, span: span)
      }
      if (1...3).contains(arguments.count) {
        return GlobalCallFixedNode(site: site, arguments: arguments, isTail: position.tail, span: span)
      }
      return GlobalCallNode(site: site, arguments: arguments, isTail: position.tail, span: span)
    case .constant(let value):
      let arguments = try argumentForms.map { try analyze($0, .value) }
      return CallNode(callee: ConstantNode(value, span: span), arguments: arguments, isTail: false, span: span)
    }
  }

  private func head(_ items: [Syntax]) -> Syntax { items[0] }

  /// One to three operands, analyzed in order (`forms` has that many).
  private func analyzeFixedOperands(_ forms: ArraySlice<Syntax>) throws -> FixedOperands {
    var index = forms.startIndex
    let first = try analyze(forms[index], .value)
    var second: Node = ConstantNode.unused
    var third: Node = ConstantNode.unused
    index += 1
    if index < forms.endIndex {
      second = try analyze(forms[index], .value)
      index += 1
      if index < forms.endIndex { third = try analyze(forms[index], .value) }
    }
    return FixedOperands(first: first, second: second, third: third, count: forms.count)
  }

  static let arithmeticOperators: [String: ArithmeticOperator] = ["+": .add, "-": .subtract, "*": .multiply]
  static let comparisonOperators: [String: ComparisonOperator] = [
    "<": .less, ">": .greater, "<=": .lessEqual, ">=": .greaterEqual,
  ]

  /// Arithmetic and comparison on two operands become dedicated nodes (DESIGN.md §11 rule 3).
  private func specialisedBuiltin(name: String, _ forms: ArraySlice<Syntax>, span: Span) throws -> Node? {
    // Only one or two operands are specialised: others leave before copying the forms.
    guard forms.count == 1 || forms.count == 2 else { return nil }
    let arguments = Array(forms)
    if arguments.count == 1 {
      // Name first: analyzing the operand and then returning nil had the caller analyze it
      // again, doubling the work at each level of `(first (first …))` (2^depth, a hang).
      guard name == "not" || name == "inc" || name == "dec" else { return nil }
      let operand = try analyze(arguments[0], .value)
      let one = ConstantNode(.int(1), span: span)
      switch name {
      case "not": return operand.negatedComparison() ?? NotNode(operand, span: span)
      case "inc", "dec":
        let operation: ArithmeticOperator = name == "inc" ? .add : .subtract
        if let slot = operand.numericOperandSlot {
          return ArithmeticLocalConstantNode(operation, slot: slot, constant: 1, span: span)
        }
        return ArithmeticNode(operation, operand, one, span: span)
      default: return nil
      }
    }
    guard arguments.count == 2 else { return nil }
    if name == "conj" {
      return ConjNode(
        collection: try analyze(arguments[0], .value), item: try analyze(arguments[1], .value), span: span)
    }
    let arithmetic = Analyzer.arithmeticOperators
    let comparison = Analyzer.comparisonOperators
    if let operation = DirectBinaryNode.operations[name] {
      return DirectBinaryNode(
        try analyze(arguments[0], .value), try analyze(arguments[1], .value), operation: operation, span: span)
    }
    guard arithmetic[name] != nil || comparison[name] != nil || name == "=" else { return nil }
    let left = try analyze(arguments[0], .value)
    let right = try analyze(arguments[1], .value)
    var constant: Int? = nil
    if case .int(let value)? = right.constantValue { constant = value }
    switch (arithmetic[name], comparison[name], left.numericOperandSlot, right.numericOperandSlot, constant) {
    case (let operation?, _, let slot?, _, let constant?):
      return ArithmeticLocalConstantNode(operation, slot: slot, constant: constant, span: span)
    case (let operation?, _, let leftSlot?, let rightSlot?, _):
      return ArithmeticLocalLocalNode(operation, left: leftSlot, right: rightSlot, span: span)
    case (let operation?, _, _, _, _):
      return ArithmeticNode(operation, left, right, span: span)
    case (_, let operation?, let slot?, _, let constant?):
      return ComparisonLocalConstantNode(operation, slot: slot, constant: constant, span: span)
    case (_, let operation?, let leftSlot?, let rightSlot?, _):
      return ComparisonLocalLocalNode(operation, left: leftSlot, right: rightSlot, span: span)
    case (_, let operation?, _, _, _):
      return ComparisonNode(operation, left, right, span: span)
    default:
      break
    }
    return EqualNode(left, right, span: span)
  }
}

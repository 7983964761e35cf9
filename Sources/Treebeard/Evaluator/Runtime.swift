// Shared interpreter state: the registry, the prelude, the lock, output, and top-level evaluation.

import Foundation
import OxurSyntax
import Synchronization

/// Everything one interpreter instance shares between its threads. Mutable state is touched only
/// while holding `lock` (the evaluator lock), which is why the class can be `@unchecked Sendable`.
public final class Runtime: @unchecked Sendable {
  public let registry: Registry
  public let attention = Attention()
  public let lock: EvaluatorLock
  /// The processes of this interpreter (`spawn`, `send`, `receive`; docs/processes.md).
  public let processes: ProcessTable
  public var output: OutputSink
  public var errorOutput: OutputSink
  /// Where `read-line` reads when the evaluation has no input of its own.
  public var input: InputSource = StandardInput()
  var prelude: [String: Builtin] = [:] {
    didSet { preludeBySymbol.removeAll() }
  }
  /// What an unqualified name means in the prelude, by symbol, filled on first use: resolving a
  /// name then hashes no string (analysis and the reuse checks of every reload ask this for
  /// each `+`, `str`, `Some` …).
  @exclusivity(unchecked) private var preludeBySymbol: [Symbol: PreludeMeaning] = [:]
  enum PreludeMeaning {
    case builtin(Builtin)
    case variant(Variant)
    case none
  }
  /// Arglists and one-line docs of builtins a host added (`defineBuiltin(_:arglists:doc:)`).
  var hostBuiltinDocs: [String: (arglists: String, doc: String)] = [:]
  let builtinEnums: [String: EnumType] = ["Option": BuiltinEnums.option, "Result": BuiltinEnums.result]
  let builtinVariants: [String: Variant]
  /// The module REPL input and `eval` compile into (`user` unless `in-module` changed it), for
  /// evaluations whose handle has no current module of its own. An evaluation reads it when it
  /// starts and writes it back only if it ran `in-module` (see `Machine.currentModule`).
  /// Guarded by a lock of its own, not the evaluator's: the REPL's prompt reads it, and waited
  /// for ever behind a spawned process's load whose top level never ends.
  public var currentModule: String {
    get { sharedCurrentModule.withLock { $0 } }
    set { sharedCurrentModule.withLock { $0 = newValue } }
  }
  private let sharedCurrentModule = Mutex("user")
  /// Extra directories searched by `import` after the importing file's own directory.
  public var loadPath: [String] = []
  /// Command-line arguments for `(args)`.
  public var programArguments: [String] = []
  /// Set by the REPL: a function redefined interactively prints `✓ Hot-loaded: f (v1 → v2)`.
  /// Off for embedding hosts, whose `eval` prints only what the program prints.
  public var announcesHotLoads = false
  /// The open load transaction, if a load is running (imports join it).
  var transaction: LoadTransaction? {
    didSet {
      guard (oldValue == nil) != (transaction == nil) else { return }
      if transaction == nil { loadInterrupts.closed() } else { loadInterrupts.opened() }
    }
  }
  /// For a host's builtin that starts something outside Oxur (a server, a thread): `undo`
  /// runs if the load whose code called it fails or is a dry run, as processes that code
  /// spawned are cancelled, so nothing a failed load started keeps running. Outside a load,
  /// or once the load commits, it is dropped. Call it from a builtin, on the evaluating thread.
  public func whenLoadRollsBack(_ undo: @escaping @Sendable () -> Void) {
    transaction?.rollbackActions.append(undo)
  }

  /// Interrupts of evaluations waiting behind the open transaction, which stop it.
  let loadInterrupts: LoadInterrupts
  var stackDepthLimit = 100_000
  /// Loads, reloads and reload-alls that failed and were reported (not thrown): `treebeard
  /// eval` and `run` exit non-zero when one did.
  public internal(set) var failedLoads = 0

  public init(output: OutputSink = StandardOutput(), errorOutput: OutputSink? = nil) {
    self.output = output
    self.errorOutput = errorOutput ?? StandardOutput(descriptor: 2, limit: 0)
    self.lock = EvaluatorLock(attention: attention)
    self.loadInterrupts = LoadInterrupts(attention: attention)
    MemoryMonitor.watch(attention)
    // Only under a limit: the guard answers "fits" to everything otherwise, and setting the
    // reader's check cost start-up 14 K instructions of generic metadata.
    if MemoryGuard.limits.isSet { _ = MemoryGuard.checksReading }
    self.processes = ProcessTable(attention: attention)
    self.registry = Registry(lock: lock)
    var variants: [String: Variant] = [:]
    for type in [BuiltinEnums.option, BuiltinEnums.result] {
      for variant in type.variants { variants[variant.name] = variant }
    }
    self.builtinVariants = variants
    self.prelude = Prelude.standard
    registry.preludeNames = Array(prelude.keys)
    let user = registry.entry("user")
    let version = ModuleVersion(name: "user", number: 1, path: nil, contentHash: "")
    user.current = version
    user.highestVersion = 1
  }

  /// Machines running an evaluation now (some suspended at a safe point), for the reload
  /// warning about code on a thread's stack.
  private var activeMachines: [ObjectIdentifier: Machine] = [:]
  private let activeMachinesLock = NSLock()

  func machineStarted(_ machine: Machine) {
    activeMachinesLock.withLock { activeMachines[ObjectIdentifier(machine)] = machine }
  }

  func machineFinished(_ machine: Machine) {
    activeMachinesLock.withLock { activeMachines[ObjectIdentifier(machine)] = nil }
  }

  /// Functions of `module` on the stack of any evaluation in progress, this thread's included.
  /// Called by a loader holding the evaluator lock: every other machine is waiting for it, so
  /// its call frames are still.
  func functionsOnStacks(of module: String) -> [Lambda] {
    let machines = activeMachinesLock.withLock { Array(activeMachines.values) }
    var running: [Lambda] = []
    for machine in machines {
      for lambda in machine.runningFunctions(of: module) where !running.contains(where: { $0 === lambda }) {
        running.append(lambda)
      }
    }
    return running
  }

  /// A builtin variant (`Some`, `Ok` …) or prelude builtin named `symbol`'s name.
  func preludeMeaning(_ symbol: Symbol) -> PreludeMeaning {
    if let known = preludeBySymbol[symbol] { return known }
    let meaning: PreludeMeaning
    if let variant = builtinVariants[symbol.name] {
      meaning = .variant(variant)
    } else if let builtin = prelude[symbol.name] {
      meaning = .builtin(builtin)
    } else {
      meaning = .none
    }
    preludeBySymbol[symbol] = meaning
    return meaning
  }

  func site(module: String, name: Symbol, checkExport: Bool) -> GlobalSite {
    GlobalSite(registry: registry, moduleName: module, name: name, checkExport: checkExport)
  }

  func makeMachine() throws -> Machine { try Machine(runtime: self, depthLimit: stackDepthLimit) }

  /// Writes a problem report to standard error after pending output, so they appear in order.
  public func reportProblem(_ text: String) {
    output.flush()
    errorOutput.write(text)
  }

  /// Runs a macro's function on the unevaluated argument forms and turns the result into code.
  func callMacro(_ macro: Value, form: Syntax, items: [Syntax], machine: Machine) throws -> Syntax {
    let arguments = items.dropFirst().map(SyntaxConversion.value)
    let result: Value
    do {
      result = try machine.call(macro, Array(arguments), span: form.span)
    } catch let error as OxurError {
      throw error.located(form.span)
    }
    return try SyntaxConversion.syntax(result, origin: form.span)
  }

  /// The value a `defonce` keeps: the binding from the version being replaced, else (a
  /// rollback that expands a version's text again) the one the restored version had, as a
  /// rollback that restores the code keeps it.
  func carriedOnce(module: String, name: Symbol) -> Binding? {
    guard let transaction else { return nil }
    if let binding = transaction.previousVersion(of: module)?.bindings[name], binding.isOnce { return binding }
    if let binding = transaction.restoredOnceValues[module]?.bindings[name], binding.isOnce { return binding }
    return nil
  }

  /// Reads, analyzes and evaluates source as top-level forms of `module`, returning the last value.
  func evaluate(source: SourceFile, module: String, machine: Machine) throws -> Value {
    let entry = registry.entry(module)
    if entry.current == nil {
      entry.current = ModuleVersion(name: module, number: 1, path: nil, contentHash: "")
      entry.highestVersion = 1
    }
    let forms: [Syntax]
    do { forms = try Reader.readAll(source) } catch { throw OxurError.read(error) }
    var analyzer = Analyzer(runtime: self, machine: machine, entry: entry)
    let followsCurrentModule = module == machine.currentModule
    var result = Value.nil
    for form in forms {
      // `(in-module m)` inside the source applies to the forms after it.
      if followsCurrentModule && analyzer.moduleName != machine.currentModule {
        analyzer = Analyzer(runtime: self, machine: machine, entry: registry.entry(machine.currentModule))
      }
      result = try evaluateTopLevel(form, analyzer: analyzer, machine: machine)
    }
    return result
  }

  /// One top-level form: a top-level `do` (also one produced by a macro) runs form by form, so a
  /// macro defined early in it can be used later in it.
  func evaluateTopLevel(_ form: Syntax, analyzer: Analyzer, machine: Machine) throws -> Value {
    var result = Value.nil
    try forEachTopLevelForm(form, analyzer: analyzer) { code in result = try run(code, machine: machine) }
    return result
  }

  /// Expands the form's head macros, splices top-level `do`s, and hands each analyzed form to
  /// `body` before analyzing the next (what `load` runs and what `check` only analyzes).
  /// Runaway macros (`(defmacro m [] '(m))`) and endless `do` nesting end as Oxur errors.
  func forEachTopLevelForm(
    _ form: Syntax, analyzer: Analyzer, depth: Int = 0, _ body: (TopLevelCode) throws -> Void
  ) throws {
    guard depth < Runtime.maximumTopLevelNesting else {
      throw OxurError("expand", "top-level do forms nested too deeply", span: form.span)
    }
    // Time per phase, when this form belongs to a module the open transaction stages.
    let timed = transaction.flatMap { $0.isStaging(analyzer.moduleName) ? $0 : nil }
    var clock = Stopwatch()
    var current = form
    var steps = 0
    while case .list(let items) = current.kind, case .symbol(let module, let name)? = items.first?.kind,
      module != nil || SpecialForms.lookup[name] == nil, !analyzer.isDirectDefn(module: module, name: name),
      let expanded = try analyzer.expandMacro(current, items, module: module, name: name)
    {
      steps += 1
      guard steps < Runtime.maximumExpansionSteps else {
        throw OxurError("expand", "macro \(name) keeps expanding (\(steps) steps)", span: form.span)
      }
      current = expanded
    }
    if case .list(let items) = current.kind, items.first?.symbolName == "do" {
      timed?.addTime(.expand, module: analyzer.moduleName, clock.elapsedMilliseconds)
      for item in items.dropFirst() { try forEachTopLevelForm(item, analyzer: analyzer, depth: depth + 1, body) }
      return
    }
    // Staged code is fingerprinted for the reload diff (comments and layout are already gone),
    // with what user macros inside it expanded to. So is a definition typed at a prompt into a
    // module loaded from a file (`(in-module calc)`): unrecorded, the next reload from the file
    // dropped or replaced it and reported no change.
    let version = analyzer.version
    let fingerprinted = version.number == 0 || (version.path != nil && transaction == nil)
    // A form that expanded nothing spent no time expanding worth a clock read (about 40 ns,
    // a thousand times per reload of a large module): its head check counts as analysis.
    if steps > 0, let timed { timed.addTime(.expand, module: analyzer.moduleName, clock.lap()) }
    if fingerprinted { analyzer.macroExpansions = [] }
    defer { analyzer.macroExpansions = nil }
    let code = try analyzer.analyzeTopLevel(current)
    if fingerprinted {
      // The reader's hashes are the form's own only while nothing expanded or spliced it.
      version.recordFingerprint(
        of: current, expansions: analyzer.macroExpansions ?? [], interned: analyzer.resolutionLog?.definedSymbol,
        read: steps == 0 && depth == 0 ? analyzer.readHash : nil)
    }
    if let timed { timed.addTime(.analyze, module: analyzer.moduleName, clock.lap()) }
    try body(code)
    if let timed { timed.addTime(.evaluate, module: analyzer.moduleName, clock.lap()) }
  }

  static let maximumExpansionSteps = 10_000
  static let maximumTopLevelNesting = 1_000

  func run(_ code: TopLevelCode, machine: Machine) throws -> Value {
    let base = machine.sp
    guard base + code.frameSize < machine.stackLimit || machine.grow(to: base + code.frameSize) else {
      throw OxurError("stack-overflow", "stack overflow", span: code.node.span)
    }
    machine.sp = base + code.frameSize
    defer { machine.pop(to: base) }
    let result = try code.node.eval(machine, base)
    if case .tailCallSignal = result {
      let callee = machine.tailCallee
      machine.tailCallee = .nil
      return try machine.apply(callee, argumentCount: machine.tailArgumentCount, span: machine.tailSpan)
    }
    return result
  }
}

extension Value {
  /// Returned by forms that report by printing (load, reload …); the REPL prints nothing for it.
  public static let void = Value.opaque(voidBox)

  public var isVoid: Bool {
    if case .opaque(let box) = self { return box === Value.voidBox }
    return false
  }

  static let voidBox = OpaqueBox(typeName: "void", payload: nil)
}

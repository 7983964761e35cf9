// The embedding API: load, reload, evaluate and call Oxur code from a Swift program.

import Foundation
import OxurSyntax

/// One Oxur world: a registry of modules, the prelude, and the REPL's `user` module.
///
/// Every method is safe to call from any thread: each takes the evaluator lock, so a reload
/// committed from one thread is seen by a loop running on another at its next call.
public final class Interpreter: @unchecked Sendable {
  public let runtime: Runtime
  /// Idle machines (value stacks); two evaluations running at once never share one.
  private var idleMachines: [Machine] = []
  /// The evaluations running now, for `interrupt()`, with how many calls use each handle (a
  /// host builtin may call back with the handle of the evaluation that called it).
  private var runningEvaluations: [ObjectIdentifier: (handle: EvaluationHandle, uses: Int)] = [:]
  private let machinesLock = NSLock()
  /// Whose `*1 *2 *3 *e` are defined in `user` now (touched holding the evaluator lock).
  private var installedSessionVariables: (owner: ObjectIdentifier, generation: Int)?

  /// The handle reloads run under when another thread makes them on the session's behalf (a
  /// file watcher's): a REPL or `run` gives it the same Ctrl-C as its own evaluation, since
  /// a saved file whose top level never ends otherwise held the evaluator for good, and every
  /// later entry waited behind it. Interrupting a reload is always safe: it rolls back.
  /// Whoever runs such a reload `reset()`s it first: a Ctrl-C that came while none ran is
  /// not the next one's.
  public let sessionReloads: EvaluationHandle

  public init(output: OutputSink = StandardOutput(), errorOutput: OutputSink? = nil) {
    runtime = Runtime(output: output, errorOutput: errorOutput)
    sessionReloads = EvaluationHandle(attention: runtime.attention, loads: runtime.loadInterrupts)
  }

  /// Runs `body` holding the evaluator lock, on a thread with a large stack, with a machine
  /// of its own for the duration. `handle` names the evaluation for a targeted interrupt.
  func evaluating<T>(_ handle: EvaluationHandle?, _ body: @escaping (Machine) throws -> T) throws -> T {
    let evaluation = handle ?? EvaluationHandle(attention: runtime.attention, loads: runtime.loadInterrupts)
    // A host builtin calling back into the interpreter is already on an evaluation thread that
    // holds the (reentrant) lock: run here, or the new thread would wait for this one forever.
    if runtime.lock.isHeldByCurrentThread { return try withMachine(evaluation, body) }
    defer {  // hosts rarely flush; a call's output shows when it returns
      runtime.output.flush()
      evaluation.output?.flush()
    }
    // Registered before it waits for the lock: an `interrupt()` made while another thread holds
    // the lock (a reload whose top level never ends) must reach this call too, or it waits,
    // unstoppable, behind an evaluation nothing interrupts.
    register(evaluation)
    defer { unregister(evaluation) }
    if LargeStack.isCurrentThreadLarge { return try startEvaluation(evaluation, body) }
    return try LargeStack.run { [self] in try startEvaluation(evaluation, body) }
  }

  /// A top-level evaluation: takes the evaluator lock (a wait an interrupt of `evaluation` ends
  /// for a load ahead of it, `LoadInterrupts`); a memory signal no earlier evaluation took is
  /// not this one's (`MemoryMonitor`).
  private func startEvaluation<T>(_ evaluation: EvaluationHandle, _ body: (Machine) throws -> T) throws -> T {
    runtime.lock.acquire(waitingAs: evaluation)
    defer { runtime.lock.release() }
    MemoryMonitor.clearExhaustion(runtime.attention)
    return try withMachine(evaluation, body)
  }

  /// Counts `evaluation` as in flight, so `interrupt()` reaches it.
  private func register(_ evaluation: EvaluationHandle) {
    machinesLock.withLock { registerLocked(evaluation) }
  }

  private func registerLocked(_ evaluation: EvaluationHandle) {
    runningEvaluations[ObjectIdentifier(evaluation), default: (evaluation, 0)].uses += 1
  }

  /// Ends one registration; at the last, a pending interrupt ends with the evaluation (it must
  /// not stop the next evaluation that uses the handle).
  private func unregister(_ evaluation: EvaluationHandle) {
    machinesLock.withLock { unregisterLocked(evaluation) }
  }

  private func unregisterLocked(_ evaluation: EvaluationHandle) {
    let key = ObjectIdentifier(evaluation)
    let uses = (runningEvaluations[key]?.uses ?? 1) - 1
    if uses > 0 {
      runningEvaluations[key]?.uses = uses
    } else {
      runningEvaluations[key] = nil
      evaluation.reset()
    }
  }

  /// Runs `body` with a machine of its own from the pool, registered as running for `interrupt`.
  private func withMachine<T>(_ evaluation: EvaluationHandle, _ body: (Machine) throws -> T) throws -> T {
    let idle = machinesLock.withLock { () -> Machine? in
      registerLocked(evaluation)
      return idleMachines.popLast()
    }
    let machine: Machine
    do {
      machine = try idle ?? runtime.makeMachine()
    } catch {
      machinesLock.withLock { unregisterLocked(evaluation) }
      throw error
    }
    let outer = machine.evaluation
    machine.evaluation = evaluation
    let ownModule = evaluation.currentModule
    let startModule = ownModule ?? runtime.currentModule
    machine.currentModule = startModule
    machine.output = evaluation.output ?? runtime.output
    machine.errorOutput = evaluation.errorOutput ?? runtime.errorOutput
    installSessionVariables(of: evaluation)
    evaluation.raiseIfPending()
    runtime.machineStarted(machine)
    defer {
      runtime.machineFinished(machine)
      // Only a change this evaluation made goes back: another thread's `in-module` meanwhile stays.
      if machine.currentModule != startModule {
        if ownModule != nil {
          evaluation.currentModule = machine.currentModule
        } else {
          runtime.currentModule = machine.currentModule
        }
      }
      machine.evaluation = outer
      // An idle machine keeps no session's sink alive (a closed nREPL connection's).
      machine.output = runtime.output
      machine.errorOutput = runtime.errorOutput
      machinesLock.withLock {
        idleMachines.append(machine)
        unregisterLocked(evaluation)
      }
    }
    return try body(machine)
  }

  /// Defines the handle's `*1 *2 *3 *e` in `user` when another session's (or none) are there.
  /// Called holding the evaluator lock.
  private func installSessionVariables(of evaluation: EvaluationHandle) {
    let owner = ObjectIdentifier(evaluation)
    let generation = installedSessionVariables?.owner == owner ? installedSessionVariables?.generation ?? 0 : 0
    guard let (variables, current) = evaluation.sessionVariables(after: generation) else { return }
    let user = runtime.registry.entry("user").current
    for (name, value) in variables {
      user?.define(Symbol.intern(name), value, isFunction: false).isSessionVariable = true
    }
    installedSessionVariables = (owner, current)
  }

  /// Evaluates source in the current module (`user` unless changed; the handle's own, if it
  /// has one) and returns the last value.
  @discardableResult
  public func eval(_ source: String, file: String = "<eval>", handle: EvaluationHandle? = nil) throws -> Value {
    try evaluating(handle) { [runtime] machine in
      try runtime.evaluate(
        source: SourceFile(name: file, text: source), module: machine.currentModule, machine: machine)
    }
  }

  /// Evaluates source form by form, handing each form's value to `each` as soon as it is
  /// computed (an nREPL eval answers one `value` per form). `line` and `column` place the
  /// source in a larger file, so that error spans point into an editor's buffer.
  public func eval(
    _ source: String, file: String, line: Int = 1, column: Int = 1, handle: EvaluationHandle,
    each: (Value) -> Void
  ) throws {
    // Blank lines and spaces in front place every span where the text sits in the buffer.
    let padding =
      String(repeating: "\n", count: max(0, min(line - 1, 1 << 20)))
      + String(repeating: " ", count: max(0, min(column - 1, 1 << 16)))
    // Kept to the end: the forms' spans only name it, and errors quote its lines.
    let sourceFile = SourceFile(name: file, text: padding + source)
    defer { withExtendedLifetime(sourceFile) {} }
    let forms: [Syntax]
    do { forms = try Reader.readAll(sourceFile) } catch {
      throw OxurError.read(error)
    }
    // No reset: an interrupt that came before the first form stops it, as for any evaluation.
    let interruptionsBefore = handle.interruptions
    for form in forms {
      // An interrupt during one form stops the rest, even one a builtin never noticed.
      if handle.interruptions != interruptionsBefore { throw OxurError("interrupted", "interrupted") }
      each(try eval(form: form, handle: handle))
    }
  }

  /// Evaluates one already-read form in the current module (the REPL reads, then calls this).
  /// The caller keeps the form's `SourceFile` alive until this returns: spans only name their
  /// file, so a form whose file is gone runs, but its errors and functions quote no source.
  public func eval(form: Syntax, handle: EvaluationHandle? = nil) throws -> Value {
    try eval(form: form, handle: handle) { value, _ in value }
  }

  /// Evaluates `form`, then `present`s its value while still holding the evaluator: `global`
  /// reads a global of `user` (`*print-length*`, say). A REPL that printed the value after the
  /// evaluation, reading its settings then, waited for the evaluator again behind any process
  /// that took it meanwhile — and a Ctrl-C in that wait belonged to no evaluation, so it was
  /// dropped and the next entry ran on uninterrupted. Printing inside also reads mutable values
  /// the result holds (atoms) in one consistent state.
  public func eval<T>(
    form: Syntax, handle: EvaluationHandle? = nil, present: @escaping (Value, Presentation) throws -> T
  ) throws -> T {
    try evaluating(handle) { [runtime] machine in
      let entry = runtime.registry.entry(machine.currentModule)
      let analyzer = Analyzer(runtime: runtime, machine: machine, entry: entry)
      let value = try runtime.evaluateTopLevel(form, analyzer: analyzer, machine: machine)
      let presentation = Presentation(runtime: runtime, machine: machine)
      defer { presentation.isOpen = false }
      return try present(value, presentation)
    }
  }

  /// What `eval(form:handle:present:)` lends its presenter while it still holds the evaluator.
  /// Closed when the presenter returns: kept and used later, it would read state other threads
  /// change (not `withoutActuallyEscaping`: the evaluation thread may keep its last closure,
  /// which that traps on).
  public final class Presentation: @unchecked Sendable {
    fileprivate let runtime: Runtime
    fileprivate let machine: Machine
    fileprivate var isOpen = true

    fileprivate init(runtime: Runtime, machine: Machine) {
      self.runtime = runtime
      self.machine = machine
    }

    /// A global of `user` (`*print-length*`, say); nil once the presentation is closed.
    public func global(_ name: String) -> Value? {
      guard isOpen else { return nil }
      return runtime.registry.existingEntry("user")?.current?.bindings[Symbol.intern(name)]?.value
    }

    /// `Printer.summary`, stopped (throwing `interrupted`) by an interrupt of the evaluation;
    /// an error once the presentation is closed.
    public func summary(_ value: Value, elementLimit: Int, levelLimit: Int) throws -> String {
      guard isOpen else { throw OxurError("internal", "a presentation was used after its evaluation ended") }
      return try Printer.summary(value, elementLimit: elementLimit, levelLimit: levelLimit, machine: machine)
    }
  }

  /// Defines (or redefines) a global in a module, as the REPL does for `*1` and `*e`. Such a
  /// variable is the session's, not the user's: `(modules)` does not count it. A host builtin
  /// gives `doc` (and `arglists`, e.g. `"[port handler]"`) for `(doc name)` and `(apropos)`.
  public func define(name: String, value: Value, module: String = "user", doc: String? = nil, arglists: String = "") {
    runtime.lock.withLock {
      guard let version = runtime.registry.entry(module).current else { return }
      let symbol = Symbol.intern(name)
      version.define(symbol, value, isFunction: false).isSessionVariable = true
      if doc != nil || !arglists.isEmpty {
        version.setDocumentation(Documentation(docstring: doc, arglists: arglists, span: .unknown), of: symbol)
      }
    }
  }

  /// The value of a global, or nil when it is not defined (e.g. the REPL's `*print-length*`).
  /// With `handle`, the wait for the evaluator is that evaluation's: interrupting it stops a
  /// load that holds the evaluator meanwhile (`EvaluationHandle.interrupt()`).
  public func global(_ name: String, module: String = "user", handle: EvaluationHandle? = nil) -> Value? {
    runtime.lock.acquire(waitingAs: handle)
    defer { runtime.lock.release() }
    return runtime.registry.existingEntry(module)?.current?.bindings[Symbol.intern(name)]?.value
  }

  /// Reads, expands and analyzes a file without running it; throws the first problem found.
  /// With `handle`, interrupting it stops the check (a macro or an imported top level that
  /// loops).
  public func check(path: String, handle: EvaluationHandle? = nil) throws {
    try evaluating(handle) { [runtime] machine in try runtime.checkModule(path: path, machine: machine) }
  }

  /// Loads a module file; throws `LoadFailure` (and changes nothing) if any step fails.
  @discardableResult
  public func load(path: String, handle: EvaluationHandle? = nil) throws -> LoadOutcome {
    try evaluating(handle) { [runtime] machine in try runtime.loadModule(path: path, mode: .load, machine: machine) }
  }

  /// Reloads a module file as a transaction. With `dryRun`, runs it up to the commit and
  /// returns the plan (`isDryRun`), committing nothing. With `force`, live instances of a struct
  /// whose fields changed keep their old layout instead of being migrated (`(reload f :force)`).
  @discardableResult
  public func reload(
    path: String, dryRun: Bool = false, force: Bool = false, handle: EvaluationHandle? = nil
  ) throws -> LoadOutcome {
    try evaluating(handle) { [runtime] machine in
      try runtime.loadModule(path: path, mode: .reload, dryRun: dryRun, force: force, machine: machine)
    }
  }

  /// How many replaced versions each module keeps for rollback (DESIGN.md §4): 16 unless
  /// set, 0 keeps every one.
  public var historyLimit: Int { runtime.lock.withLock { runtime.registry.historyLimit } }

  /// Sets `historyLimit`; a lower limit drops the oldest kept versions at once. Throws for a
  /// negative limit.
  public func setHistoryLimit(_ limit: Int) throws {
    try runtime.lock.withLock { try runtime.setHistoryLimit(limit) }
  }

  /// The most recent load records, oldest first (`(reload-stats)`), or one module's.
  public func reloadStatistics(module: String? = nil) -> [ReloadRecord] {
    runtime.lock.withLock { runtime.registry.records.filter { module == nil || $0.module == module } }
  }

  /// Reloads every loaded module whose file changed, all or nothing.
  @discardableResult
  public func reloadAll(directory: String? = nil, handle: EvaluationHandle? = nil) throws -> [LoadOutcome] {
    try evaluating(handle) { [runtime] machine in try runtime.reloadAll(directory: directory, machine: machine).outcomes
    }
  }

  /// Commits a kept version's code again as a new version: with no module, every module the
  /// last commit touched goes back to the version it replaced; with a module, its previous
  /// version, or `version`. Throws `LoadFailure` (and changes nothing) when that cannot be done.
  @discardableResult
  public func rollback(module: String? = nil, to version: Int? = nil, handle: EvaluationHandle? = nil) throws
    -> [RollbackOutcome]
  {
    try evaluating(handle) { [runtime] machine in try runtime.rollback(module: module, to: version, machine: machine) }
  }

  /// Calls `module:function` (late-bound: the module's current version) with Swift-made values.
  public func call(
    module: String, function: String, arguments: [Value] = [], handle: EvaluationHandle? = nil
  ) throws -> Value {
    try evaluating(handle) { [runtime] machine in
      let site = runtime.site(module: module, name: Symbol.intern(function), checkExport: true)
      return try machine.call(try site.resolve().value, arguments)
    }
  }

  /// The module REPL input compiles into now (`user` unless `in-module` changed it).
  /// Never waits for the evaluator (the prompt reads it while other threads evaluate).
  public var currentModule: String { runtime.currentModule }

  /// The functions `module` defines in its current version, sorted.
  public func functionNames(module: String) -> [String] {
    runtime.lock.withLock {
      let bindings = runtime.registry.existingEntry(module)?.current?.bindings.values
      return (bindings ?? [:].values).filter(\.isFunction).map(\.name.name).sorted()
    }
  }

  /// True when `module` defines `name` in its current version.
  public func hasFunction(module: String, name: String) -> Bool {
    runtime.lock.withLock { runtime.registry.existingEntry(module)?.current?.bindings[Symbol.intern(name)] != nil }
  }

  /// True when `module` defines a macro called `name`.
  public func hasMacro(module: String, name: String) -> Bool {
    runtime.lock.withLock { runtime.registry.existingEntry(module)?.current?.macros[Symbol.intern(name)] != nil }
  }

  /// Calls a program's `main`: the arguments spread over its parameters when it takes that many,
  /// else as one vector when it takes one, else none.
  public func callMain(module: String, arguments: [String], handle: EvaluationHandle? = nil) throws -> Value {
    try evaluating(handle) { [runtime] machine in
      let name = Symbol.intern("main")
      let version = runtime.registry.existingEntry(module)?.current
      // Placed at main's definition: a main that is no function, or takes no argument count
      // run can pass, was reported with no place at all.
      let defined = version?.documentation(of: name)?.span ?? .unknown
      if version?.bindings[name] == nil, version?.macros[name] != nil {
        throw OxurError("run", "main of \(module) is a macro; run calls a function named main", span: defined)
      }
      let binding = try runtime.site(module: module, name: name, checkExport: false).resolve()
      switch binding.value {
      case .closure, .builtin, .functionReference: break
      default:
        throw OxurError(
          "run", "main of \(module) is \(Printer.summary(binding.value)), not a function", span: defined)
      }
      let strings = arguments.map { Value.string($0) }
      var accepts: (Int) -> Bool = { _ in true }
      // `(def main helper)` holds a reference to helper: its arity decides too (it was passed
      // every argument, and a helper taking none failed where a `defn main []` ran).
      var callee = binding.value
      if case .functionReference(let reference) = callee, let resolved = try? reference.site.resolve().value {
        callee = resolved
      }
      if case .closure(let closure) = callee { accepts = { closure.lambda.arity(for: $0) != nil } }
      let passed: [Value]
      if accepts(strings.count) {
        passed = strings
      } else if accepts(1) {
        passed = [.vector(PersistentVector.from(strings))]
      } else if accepts(0) {
        passed = []
      } else {
        passed = strings  // reports the arity mismatch with the real argument count
      }
      return try machine.call(binding.value, passed, span: defined)
    }
  }

  /// A summary of each loaded module.
  public func modules() -> [ModuleInfo] {
    runtime.lock.withLock {
      runtime.registry.loadedModules.compactMap { entry in
        guard let current = entry.current else { return nil }
        return ModuleInfo(
          name: entry.name, version: current.number, path: current.path, loadedAt: current.loadedAt,
          definitions: current.userDefinitionCount, contentHash: current.contentHash)
      }
    }
  }

  /// Interrupts every evaluation running now, including calls waiting for another thread's
  /// evaluation to let them run. To stop one evaluation and no other (another thread's reload,
  /// the next call), pass an `EvaluationHandle` and interrupt that.
  public func interrupt() {
    machinesLock.withLock {
      for running in runningEvaluations.values { running.handle.interrupt() }
    }
  }
}

/// One row of `Interpreter.modules()`.
public struct ModuleInfo: Sendable, Equatable {
  public let name: String
  public let version: Int
  public let path: String?
  public let loadedAt: Date
  public let definitions: Int
  public let contentHash: String
}

extension Value {
  /// Readable text, as the REPL prints it. Safe on any thread: a function reference looks its
  /// definition up under the evaluator lock.
  public var printed: String { Printer.readable(self) }
}

// One evaluation (or one session's series of them) as other threads see it: the target of an
// interrupt, and optionally a current module and output of its own.

import Synchronization

/// Names one evaluation (or a series of them, such as a REPL's) so that an interrupt stops
/// exactly that one: not the next evaluation, and not another thread's reload.
///
/// `interrupt()` is two atomic stores, so a signal handler may call it. An interrupt that
/// arrives before the evaluation starts stops it at its first safe point; call `reset()` to
/// drop one that came while nothing ran (a Ctrl-C at the prompt).
public final class EvaluationHandle: Sendable {
  private let requested = Atomic<Bool>(false)
  private let count = Atomic<Int>(0)
  /// Set by `stop()`: every later check throws, so a killed process cannot catch its way out.
  private let stopped = Atomic<Bool>(false)
  private let attention: Attention
  /// The interpreter's open load, which an interrupt stops while this handle's evaluation
  /// waits for the lock behind it; nil for handles made inside the library that never wait so.
  private let loads: LoadInterrupts?
  /// How many waits for the evaluator lock this handle's evaluations are in now.
  private let waits = Atomic<Int>(0)
  private let context = Mutex(EvaluationContext())

  /// With `module`, the handle keeps a current module of its own (an nREPL session's): its
  /// `(in-module …)` changes only it. Without, it follows the interpreter's shared current
  /// module, as the terminal REPL and `treebeard run` do.
  public init(interpreter: Interpreter, module: String? = nil) {
    attention = interpreter.runtime.attention
    loads = interpreter.runtime.loadInterrupts
    context.withLock {
      $0.module = module
      // A session of its own starts with no `*1` or `*e`, not another session's.
      if module != nil { $0.historyGeneration = 1 }
    }
  }

  init(attention: Attention, loads: LoadInterrupts? = nil) {
    self.attention = attention
    self.loads = loads
  }

  /// The handle's own current module, or nil when it follows the interpreter's.
  public var currentModule: String? {
    get { context.withLock { $0.module } }
    set { context.withLock { $0.module = newValue } }
  }

  /// Where the evaluations of this handle print (`println`, reload messages) and report
  /// problems; nil: the interpreter's output. Set it before an evaluation to capture that
  /// evaluation's output on its own (each nREPL eval streams to its own request).
  public var output: OutputSink? {
    get { context.withLock { $0.output } }
    set { context.withLock { $0.output = newValue } }
  }

  public var errorOutput: OutputSink? {
    get { context.withLock { $0.errorOutput } }
    set { context.withLock { $0.errorOutput = newValue } }
  }

  /// Where this handle's evaluations `read-line`; nil: the interpreter's input.
  public var input: InputSource? {
    get { context.withLock { $0.input } }
    set { context.withLock { $0.input = newValue } }
  }

  /// Defines `*1 *2 *3 *e` (as nil) from the handle's first evaluation on, as a REPL's first
  /// entry expects ("unknown name: *1" before). A handle of one program run leaves `user`
  /// alone: defining them cost 2 % of a `treebeard run`'s start-up.
  public func startSession() {
    context.withLock { if $0.historyGeneration == 0 { $0.historyGeneration = 1 } }
  }

  /// The session's `*1 *2 *3` (newest first) and `*e`, defined in `user` whenever an evaluation
  /// of this handle starts, so that two sessions never see each other's results.
  public func remember(result: Value) {
    context.withLock {
      $0.results.insert(result, at: 0)
      if $0.results.count > 3 { $0.results.removeLast() }
      $0.historyGeneration &+= 1
    }
  }

  public func remember(error: Value) {
    context.withLock {
      $0.lastError = error
      $0.historyGeneration &+= 1
    }
  }

  /// The session variables to define, or nil when they are unchanged since `generation`.
  func sessionVariables(after generation: Int) -> (variables: [(String, Value)], generation: Int)? {
    context.withLock { state in
      guard state.historyGeneration != generation else { return nil }
      let results = (0..<3).map { ("*\($0 + 1)", $0 < state.results.count ? state.results[$0] : Value.nil) }
      return (results + [("*e", state.lastError ?? .nil)], state.historyGeneration)
    }
  }

  /// Stops the evaluation at its next safe point. While the evaluation waits for the evaluator
  /// behind another thread's load, that load is stopped too (it rolls back): a top level that
  /// never ends otherwise kept this evaluation waiting for ever (`LoadInterrupts`).
  public func interrupt() {
    request()
    if waits.load(ordering: .sequentiallyConsistent) > 0 { loads?.interruptOpenLoad() }
  }

  private func request() {
    count.wrappingAdd(1, ordering: .sequentiallyConsistent)
    requested.store(true, ordering: .sequentiallyConsistent)
    attention.raise()
  }

  /// Runs `wait`, a wait for the evaluator lock, counted as one (`interrupt()`). An interrupt
  /// that came just before (while a released wait — `sleep`, `receive` — was waking up to it)
  /// found no wait counted, so the wait asks for it: without, the evaluation woke to take the
  /// lock back and waited for ever behind a load that never ends. Both sides store, then load,
  /// sequentially consistent: at least one of them sees the other.
  func waitingForLock<T>(_ wait: () throws -> T) rethrows -> T {
    waits.wrappingAdd(1, ordering: .sequentiallyConsistent)
    defer { waits.wrappingSubtract(1, ordering: .sequentiallyConsistent) }
    if requested.load(ordering: .sequentiallyConsistent) { loads?.interruptOpenLoad() }
    return try wait()
  }

  /// How many interrupts arrived so far, acted on or not: a caller running several
  /// evaluations as one unit (a REPL entry of several forms) stops the unit when it moved.
  public var interruptions: Int { count.load(ordering: .sequentiallyConsistent) }

  /// Forgets an interrupt that has not been acted on.
  public func reset() { requested.store(false, ordering: .sequentiallyConsistent) }

  /// True (once) when an interrupt arrived since the last check; always true once stopped.
  public func consumeInterrupt() -> Bool {
    if stopped.load(ordering: .sequentiallyConsistent) {
      // Keep the flag raised so the next safe point (in a `finally`, say) stops too.
      attention.raise()
      return true
    }
    return requested.exchange(false, ordering: .sequentiallyConsistent)
  }

  /// Asks again for an interrupt a safe point took where it could not be acted on (code whose
  /// errors are ignored), so the next safe point stops; not counted as a new interrupt.
  func requestAgain() {
    requested.store(true, ordering: .sequentiallyConsistent)
    attention.raise()
  }

  /// An interrupt arrived and has not been acted on yet (read by waits that poll for it).
  var isInterruptRequested: Bool {
    stopped.load(ordering: .sequentiallyConsistent) || requested.load(ordering: .sequentiallyConsistent)
  }

  /// Interrupts for good: every safe point of the evaluation throws from now on (`kill`).
  /// Never stops a load it waits behind: the process's killer may be that load.
  func stop() {
    stopped.store(true, ordering: .sequentiallyConsistent)
    request()
  }

  /// An interrupt is waiting: make the machine that is about to run look at once.
  func raiseIfPending() {
    if requested.load(ordering: .sequentiallyConsistent) { attention.raise() }
  }
}

/// What an `EvaluationHandle` carries besides its interrupt flag.
struct EvaluationContext {
  var module: String?
  var output: OutputSink?
  var errorOutput: OutputSink?
  var input: InputSource?
  var results: [Value] = []
  var lastError: Value?
  var historyGeneration = 0
}

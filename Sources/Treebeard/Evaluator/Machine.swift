// The evaluator's per-thread state: one preallocated value stack, call depth and the safe point.

import Foundation
import OxurSyntax
import Synchronization

/// Raised by other threads (an interrupt, a thread waiting for the evaluator); checked at every
/// call and loop edge. It only asks the running machine to look: what to do is decided by its
/// own evaluation's interrupt flag and by the evaluator lock's queue.
public final class Attention: Sendable {
  let raised = Atomic<Bool>(false)
  /// Set with `raised` when the process nears a memory limit (`MemoryMonitor`): taken by the
  /// first of this runtime's safe points to look.
  let memoryShort = Atomic<Bool>(false)
  public init() {}

  func raise() { raised.store(true, ordering: .sequentiallyConsistent) }
}

/// Evaluates node trees. Frames are windows of one value stack (`fp` is a frame's base); every
/// slot at or above `sp` holds `.nil`, so assignment never meets uninitialised memory.
public final class Machine: @unchecked Sendable {
  let stack: UnsafeMutablePointer<Value>
  let capacity: Int
  /// Slots below this are initialised; the stack is initialised lazily so startup stays fast.
  @exclusivity(unchecked) private var initializedEnd: UnsafeMutablePointer<Value>
  /// A frame must end below this; `margin` slots stay free for arguments pushed before a call.
  @exclusivity(unchecked) private(set) var stackLimit: UnsafeMutablePointer<Value>
  @exclusivity(unchecked) var sp: UnsafeMutablePointer<Value>
  @exclusivity(unchecked) var depth = 0
  let depthLimit: Int
  /// The function running at each call depth (1...depth), one store a call: what a reload
  /// warning reads to tell that a module's code is on some thread's stack. Unretained: each
  /// running closure is held by its caller for the call.
  let callFrames: UnsafeMutablePointer<Unmanaged<Closure>?>
  let attention: Attention
  unowned let runtime: Runtime
  /// The evaluation this machine runs now, whose interrupt flag its safe points obey.
  @exclusivity(unchecked) var evaluation: EvaluationHandle? = nil
  /// The process this machine runs; nil for an evaluation of the host (the REPL, `eval`,
  /// `run`'s main), which belongs to the interpreter's main process.
  @exclusivity(unchecked) var process: OxurProcess? = nil
  /// The module top-level code compiles into and `in-module` changes: the evaluation's own, so
  /// another thread's `(in-module …)` at a safe point never redirects this one's forms.
  @exclusivity(unchecked) var currentModule = "user"
  /// The module whose file's top level is running now (a load is staging it), and the call
  /// depth the load started at: frames at or below it belong to whoever started the load.
  @exclusivity(unchecked) var stagingModule: String? = nil
  @exclusivity(unchecked) var stagingDepth = 0
  /// The reload form running now (`ReportSiteNode`), where its reported failures are located.
  @exclusivity(unchecked) var reportSite = Span.unknown
  /// Where the running builtin was called, for one made with `Builtin.recordsCallSite()`
  /// (unknown otherwise).
  public var callSite: Span { reportSite }
  /// Where this evaluation prints: its handle's sink, else the interpreter's.
  @exclusivity(unchecked) var output: OutputSink
  @exclusivity(unchecked) var errorOutput: OutputSink
  /// Set by a call in tail position just before it returns `.tailCallSignal`.
  @exclusivity(unchecked) var tailCallee: Value = .nil
  @exclusivity(unchecked) var tailArgumentCount = 0
  /// The tail call's span (plain data: storing it costs no reference counting).
  @exclusivity(unchecked) var tailSpan: Span = .unknown

  /// `initialSlots` are made ready at once (at least `margin` and 1,024 more); the rest a
  /// `chunk` at a time as frames reach them. A whole chunk at start was 1 MiB written before
  /// the first form ran: 256 of start-up's 619 page faults.
  ///
  /// Throws `out-of-memory` when the stack (64 MB by default) cannot be had: `allocate` traps
  /// there, which under `ulimit -v` ended the process at a `spawn` or an HTTP request.
  init(runtime: Runtime, slots: Int = 4_000_000, depthLimit: Int = 100_000, initialSlots: Int = 0) throws {
    // Not initialised: a trivial type, and only slots 1...depth, written by `invoke` before they
    // are read, are ever read (touching all 800 KB cost every new machine page faults).
    let (frameBytes, framesOverflow) = (depthLimit + 1).multipliedReportingOverflow(
      by: MemoryLayout<Unmanaged<Closure>?>.stride)
    let (valueBytes, valuesOverflow) = slots.multipliedReportingOverflow(by: MemoryLayout<Value>.stride)
    guard !framesOverflow, !valuesOverflow, depthLimit >= 0, slots >= 0,
      let frames = malloc(frameBytes)?.bindMemory(to: Unmanaged<Closure>?.self, capacity: depthLimit + 1)
    else { throw Machine.noStack(slots) }
    guard let values = malloc(valueBytes)?.bindMemory(to: Value.self, capacity: slots) else {
      free(frames)
      throw Machine.noStack(slots)
    }
    self.runtime = runtime
    self.attention = runtime.attention
    self.depthLimit = depthLimit
    self.output = runtime.output
    self.errorOutput = runtime.errorOutput
    callFrames = frames
    capacity = slots
    stack = values
    // A process's machine starts smaller: a thousand idle processes should not cost a GiB.
    let initial = min(slots, max(initialSlots, Machine.margin + 1024))
    stack.initialize(repeating: .nil, count: initial)
    initializedEnd = stack + initial
    stackLimit = initializedEnd - Machine.margin
    sp = stack
  }

  static let chunk = 65_536
  /// Tail calls made above this call depth nest like ordinary calls (see `GlobalCallFixedNode`).
  static let directTailCallDepth = 48
  /// Slots kept free above every frame for arguments pushed before the next frame check: at
  /// most 3 pending per node level (fixed-arity calls) times `Analyzer.maximumDepth` levels.
  /// Calls with more arguments reserve explicitly.
  static let margin = 3 * Analyzer.maximumDepth + 1024

  deinit {
    stack.deinitialize(count: initializedEnd - stack)
    free(stack)
    free(callFrames)
  }

  private static func noStack(_ slots: Int) -> OxurError {
    OxurError(
      "out-of-memory",
      "out of memory: cannot allocate an evaluation's value stack of \(slots) slots")
  }

  /// Makes room for a frame ending at `end`; false when the stack is exhausted.
  func grow(to end: UnsafeMutablePointer<Value>) -> Bool {
    let needed = end - stack + Machine.margin
    guard needed <= capacity else { return false }
    let target = min(capacity, ((needed / Machine.chunk) + 1) * Machine.chunk)
    let current = initializedEnd - stack
    if target > current {
      initializedEnd.initialize(repeating: .nil, count: target - current)
      initializedEnd = stack + target
      stackLimit = initializedEnd - Machine.margin
    }
    return end < stackLimit
  }

  /// Checks room for `count` more pushes (calls with many arguments, `apply`).
  @inline(__always) func reserve(_ count: Int) throws {
    if sp + count >= stackLimit && !grow(to: sp + count) {
      throw OxurError("stack-overflow", "stack overflow (value stack exhausted)")
    }
  }

  /// Resets slots [from, sp) to nil and lowers sp to `from`.
  @inline(__always) func pop(to from: UnsafeMutablePointer<Value>) {
    var slot = sp
    while slot > from {
      slot -= 1
      Machine.store(.nil, into: slot)
    }
    sp = from
  }

  /// Assigns a frame slot; a scalar there is overwritten without the out-of-line destroy of a
  /// `Value` (loop variables are mostly numbers).
  @inline(__always) static func store(_ value: consuming Value, into slot: UnsafeMutablePointer<Value>) {
    switch slot.pointee {
    case .nil, .bool, .int, .float, .char: slot.initialize(to: value)
    default: slot.pointee = value
    }
  }

  /// Slots at and above `sp` always hold `.nil`, which owns nothing, so a push may initialise
  /// over it without destroying it first.
  @inline(__always) func push(_ value: Value) {
    sp.initialize(to: value)
    sp += 1
  }

  /// A safe point found the attention flag raised: stop if this evaluation was interrupted, else
  /// hand the evaluator to a waiting thread. Never inside a load transaction: other threads must
  /// not see staged versions, so they wait for the commit or rollback (DESIGN.md §3, §9).
  /// Called only where no callee has been chosen yet — before a global callee is looked up,
  /// before a computed callee is evaluated, at loop back-edges, in `sleep` — so a reload that
  /// commits during the hand-over is what the next call runs.
  func safePoint() throws {
    attention.raised.store(false, ordering: .sequentiallyConsistent)
    try interruptPoint()
    if runtime.transaction != nil { return }
    if waitingForLock({ runtime.lock.yieldToWaiters(urgent: urgency) }) { try interruptPoint() }
  }

  /// For a host evaluation (Ctrl-C's target: the main program, a REPL entry, an nREPL eval)
  /// waiting in line for the evaluator: its pending interrupt moves it to the front
  /// (`EvaluatorLock`). Spawned processes are not interrupted so, and wait their turn.
  var urgency: (() -> Bool)? {
    guard process == nil, let evaluation else { return nil }
    return { evaluation.isInterruptRequested }
  }

  /// Waits for the evaluator lock on behalf of this machine's evaluation: an interrupt of it
  /// meanwhile also stops a load that holds the lock ahead of it (`LoadInterrupts`).
  func waitingForLock<T>(_ wait: () -> T) -> T {
    guard let evaluation else { return wait() }
    return evaluation.waitingForLock(wait)
  }

  /// `safePoint` at a loop's back-edge: an interrupt or a memory stop there is reported at the
  /// loop, not only at the function around it. Out of line: the loop keeps only the flag test.
  @inline(never) func safePoint(at span: Span) throws {
    do { try safePoint() } catch let error as OxurError { throw error.located(span) }
  }

  /// For long-running builtins (sorting, hashing, deep comparison): throws `interrupted` when
  /// this evaluation was interrupted. Never hands the evaluator over, so a builtin's Swift state
  /// stays valid across the check.
  @inline(__always) func checkInterrupt() throws {
    if attention.raised.load(ordering: .relaxed) { try interruptPoint() }
  }

  func interruptPoint() throws {
    if let evaluation, evaluation.consumeInterrupt() {
      throw OxurError("interrupted", "interrupted")
    }
    // Only the lock's owner passes here, so an open transaction is this machine's own.
    if runtime.transaction != nil, runtime.loadInterrupts.take() { throw OxurError("interrupted", "interrupted") }
    if let exhausted = MemoryMonitor.takeExhaustion(attention) { throw exhausted }
  }

  /// The functions of `module` running on this machine now, innermost first. Read by a loader
  /// while this machine's thread waits for the evaluator lock (or is the loader's own).
  func runningFunctions(of module: String) -> [Lambda] {
    guard depth > 0 else { return [] }
    var running: [Lambda] = []
    for level in stride(from: min(depth, depthLimit), through: 1, by: -1) {
      guard let lambda = callFrames[level]?.takeUnretainedValue().lambda, lambda.module == module else { continue }
      if !running.contains(where: { $0 === lambda }) { running.append(lambda) }
    }
    return running
  }

  /// The module of the code running now, where the help forms (`doc`, `source`, `dir`,
  /// `apropos`) look names up, as that code's own names resolve: the innermost named
  /// function's module (an anonymous one's too), else the module a load is running the top
  /// level of, else the REPL's. Frames below a running load's top level are the loader's.
  var helpModule: String {
    let floor = stagingModule == nil ? 0 : max(0, stagingDepth)
    var level = min(depth, depthLimit)
    while level > floor {
      if let module = callFrames[level]?.takeUnretainedValue().lambda.homeModule { return module }
      level -= 1
    }
    return stagingModule ?? currentModule
  }

  func stackOverflow(_ name: String, _ span: Span) -> OxurError {
    OxurError("stack-overflow", "stack overflow in \(name) (more than \(depthLimit) nested calls)", span: span)
  }
}

extension Machine {
  /// Writes a problem report to this evaluation's error output after its pending output.
  func reportProblem(_ text: String) {
    output.flush()
    errorOutput.write(text)
  }
}

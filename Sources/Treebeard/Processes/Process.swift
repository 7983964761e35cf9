// One Oxur process: identity, mailbox, state and outcome, shared by every thread holding its pid.

import Foundation
import Synchronization

/// A process (LANGUAGE.md §6). Its mutable parts are guarded by `condition`, which is also what
/// its own thread waits on in `receive`, `sleep` and `await`: a message, a kill or the end of an
/// awaited process wakes it. Lock order: a thread holds at most one process's condition at a
/// time, so two processes awaiting each other cannot deadlock the locks (only themselves).
public final class OxurProcess: @unchecked Sendable {
  public enum State: String, Sendable {
    /// Evaluating, or ready to and waiting for its turn at the evaluator lock.
    case running
    /// Blocked in `receive` or `await`, holding no lock.
    case waiting
    /// Blocked in `sleep`, holding no lock.
    case sleeping
    case done
  }

  public let id: Int
  /// What it runs, for `(processes)`: `counter:loop`, `fn`, or `main`.
  public let function: String
  /// The interpreter's main process: the REPL and every host evaluation (never ends).
  public let isMain: Bool
  /// Its evaluation, stopped for good by `kill`.
  let handle: EvaluationHandle

  private let condition = NSCondition()
  private var mailbox = Mailbox()
  private var currentState = State.running
  private var result: Result<Value, OxurError>? = nil
  /// Processes blocked in `await` on this one, woken when it ends.
  private var awaiters: [OxurProcess] = []
  /// The process this one awaits now, for the await-cycle check.
  private var awaiting: OxurProcess? = nil
  private let finished = Atomic<Bool>(false)
  private let killed = Atomic<Bool>(false)

  init(id: Int, function: String, isMain: Bool, handle: EvaluationHandle) {
    self.id = id
    self.function = function
    self.isMain = isMain
    self.handle = handle
  }

  /// A pid value naming this process. Every pid of one process is `=` to every other (equality
  /// and hashing go by the process), so no box needs keeping.
  public var pid: Value { .opaque(OpaqueBox(typeName: "pid", payload: self, label: "\(id)")) }

  public var description: String { "#<pid \(id)>" }

  public var state: State { condition.withLock { currentState } }
  public var isFinished: Bool { finished.load(ordering: .sequentiallyConsistent) }
  public var wasKilled: Bool { killed.load(ordering: .sequentiallyConsistent) }
  public var outcome: Result<Value, OxurError>? { condition.withLock { result } }
  var mailboxCount: Int { condition.withLock { mailbox.count } }

  func setState(_ state: State) {
    condition.withLock { if currentState != .done { currentState = state } }
  }

  // MARK: messages

  enum Delivery {
    case delivered
    case deadProcess
    case mailboxFull
  }

  func deliver(_ message: Value, limit: Int) -> Delivery {
    condition.lock()
    defer { condition.unlock() }
    if result != nil { return .deadProcess }
    if mailbox.count >= limit { return .mailboxFull }
    _ = mailbox.append(message)
    condition.broadcast()
    return .delivered
  }

  func message(after sequence: Int) -> (sequence: Int, value: Value)? {
    condition.withLock { mailbox.first(after: sequence) }
  }

  /// Takes a matched message out; false when another receiver of this mailbox took it first.
  func take(_ sequence: Int) -> Bool { condition.withLock { mailbox.remove(sequence) } }

  /// Blocks until a message numbered above `sequence` arrives, `deadline` passes, or the
  /// process is killed. `poll` (the main process: an interrupt comes from a signal handler,
  /// which cannot signal a condition) is checked every `Wait.pollInterval`.
  func waitForMessage(after sequence: Int, deadline: Date?, poll: (() -> Bool)?) {
    wait(until: deadline, poll: poll) { mailbox.lastSequence > sequence && mailbox.first(after: sequence) != nil }
  }

  /// Blocks until `deadline`, a kill, or (main process) an interrupt.
  func sleep(until deadline: Date, poll: (() -> Bool)?) {
    wait(until: deadline, poll: poll) { false }
  }

  /// Waits on `condition` (taken here) until `ready`, the deadline, a kill or a polled stop.
  private func wait(until deadline: Date?, poll: (() -> Bool)?, _ ready: () -> Bool) {
    condition.lock()
    defer { condition.unlock() }
    while !ready() && !wasKilled {
      if let poll, poll() { return }
      let now = Date()
      if let deadline, now >= deadline { return }
      // No deadline and nothing to poll: wait for a signal (`wait(until: .distantFuture)`
      // traps in Foundation converting the date).
      // Far deadlines (`(sleep 9223372036854775807)`) wake once a day and look again:
      // Foundation traps converting a date centuries away to nanoseconds.
      var until = deadline.map { min($0, now.addingTimeInterval(Wait.longestSlice)) }
      if poll != nil { until = min(until ?? .distantFuture, now.addingTimeInterval(Wait.pollInterval)) }
      if let until { _ = condition.wait(until: until) } else { condition.wait() }
    }
  }

  // MARK: ending

  /// Blocks until `target` ends, `deadline` passes, this process is killed or (main) `poll`
  /// says stop. Returns the target's outcome, or nil when it has not ended.
  func awaitEnd(of target: OxurProcess, deadline: Date?, poll: (() -> Bool)?) -> Result<Value, OxurError>? {
    let registered = target.condition.withLock { () -> Bool in
      if target.result != nil { return false }
      target.awaiters.append(self)
      return true
    }
    if registered {
      condition.withLock { awaiting = target }
      wait(until: deadline, poll: poll) { target.isFinished }
      condition.withLock { awaiting = nil }
      target.condition.withLock { target.awaiters.removeAll { $0 === self } }
    }
    return target.outcome
  }

  /// True when awaiting `target` from this process would close a cycle of awaits (each would
  /// wait for the other forever).
  func awaitWouldDeadlock(_ target: OxurProcess) -> Bool {
    var next: OxurProcess? = target
    var steps = 0
    while let current = next, steps < 100_000 {
      if current === self { return true }
      next = current.condition.withLock { current.awaiting }
      steps += 1
    }
    return false
  }

  /// Records the outcome, drops the mailbox and wakes every awaiter. Once only.
  func finish(_ outcome: Result<Value, OxurError>) {
    let (woken, dropped) = condition.withLock { () -> ([OxurProcess], Mailbox) in
      guard result == nil else { return ([], Mailbox()) }
      result = outcome
      currentState = .done
      let dropped = mailbox
      mailbox = Mailbox()
      finished.store(true, ordering: .sequentiallyConsistent)
      condition.broadcast()
      defer { awaiters = [] }
      return (awaiters, dropped)
    }
    _ = dropped  // the messages nobody received are freed here, outside the lock
    for awaiter in woken { awaiter.wake() }
  }

  /// Stops the process at its next safe point, or at once if it is blocked; its `await` then
  /// throws a `killed` error. True when this call killed it: false when it had already ended,
  /// or was killed before and is still unwinding (so `kill-all` after a `kill` does not count
  /// it again).
  /// Why the process must not run at all (the load that spawned it rolled back); set before
  /// its first turn, which it then never takes.
  private let cancellation = Mutex<String?>(nil)
  var cancelledBecause: String? { cancellation.withLock { $0 } }

  /// What the process ends with when `error` stopped it: a kill interrupts the process, and
  /// its awaiters and host are told it was killed (or never ran), not that it was interrupted.
  func endingError(_ error: OxurError) -> OxurError {
    guard wasKilled, error.kind == "interrupted" else { return error }
    let what = "process \(description) (\(function))"
    return OxurError("killed", cancelledBecause.map { "\(what) never ran: \($0)" } ?? "\(what) was killed")
  }

  /// Stops a process that has not had its first turn, for `reason`: it ends with a `killed`
  /// error saying so, having run none of its code.
  func cancelBeforeStart(_ reason: String) {
    cancellation.withLock { $0 = reason }
    kill()
  }

  @discardableResult
  func kill() -> Bool {
    guard !isFinished, !killed.exchange(true, ordering: .sequentiallyConsistent) else { return false }
    handle.stop()
    wake()
    return true
  }

  private func wake() { condition.withLock { condition.broadcast() } }
}

enum Wait {
  /// How often a wait of the main process looks for an interrupt (Ctrl-C comes through a
  /// signal handler, which can only set flags).
  static let pollInterval: TimeInterval = 0.02
  /// The longest single timed wait; longer ones are made of several.
  static let longestSlice: TimeInterval = 86_400
}

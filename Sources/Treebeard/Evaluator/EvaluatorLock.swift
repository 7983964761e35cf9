// The evaluator lock: one thread evaluates Oxur at a time, handing over at safe points (DESIGN.md §9).

import Foundation

/// A fair (ticket-ordered), reentrant lock. The thread first in line raises the attention flag
/// so the thread evaluating Oxur hands the lock over at its next call or loop back-edge, once
/// it has held the lock for a quantum. A thread that hands over takes a new ticket at the back,
/// so every waiter — a caller, a loader, a thread that yielded — gets its turn.
///
/// One waiter may jump the line: a host evaluation (the main program, a REPL entry) whose
/// interrupt arrived while it waited. Ctrl-C otherwise waited a quantum behind every busy
/// process (1.2 s behind 900 of them); the urgent waiter is served at the next hand-over, and
/// its ticket is skipped when the line reaches it.
///
/// Hand-over never happens inside a load transaction (`Machine.safePoint` checks that): the
/// waiting threads get the lock at the commit or the rollback, so they never see staged code.
public final class EvaluatorLock: @unchecked Sendable {
  /// Guards the fields below. Waiters sleep on a semaphore of their own (`sleepers`), so a
  /// hand-over wakes the one thread whose turn it is, not every waiting thread: with a
  /// thousand processes in line, waking all at each hand-over cost seconds.
  private let condition = NSLock()
  /// The semaphore of each waiting ticket.
  private var sleepers: [Int: DispatchSemaphore] = [:]
  private var owner: pthread_t? = nil
  private var depth = 0
  private var nextTicket = 0
  private var serving = 0
  private var waiting = 0
  /// The ticket of a waiter served before the line (`waitForTurn`'s `urgent`), and whether the
  /// owner came in so: its release then does not advance `serving`, which is still the next
  /// ticket in line.
  private var priorityTicket: Int? = nil
  private var ownerIsPriority = false
  /// Tickets served out of order, skipped when `serving` reaches them.
  private var servedEarly: Set<Int> = []
  /// How often a waiter that may become urgent looks again.
  static let urgencyPollNanoseconds: UInt64 = 5_000_000
  /// When the current owner took the lock, for the quantum.
  private var ownedSince = DispatchTime.now().uptimeNanoseconds
  private let attention: Attention
  /// How long an owner may keep the lock while others wait, before it is asked to hand over.
  /// Short enough that a reload commits promptly, long enough that two busy threads do not
  /// switch at every call.
  static let quantumNanoseconds: UInt64 = 2_000_000

  init(attention: Attention) { self.attention = attention }

  private var ownedByCurrentThread: Bool {
    guard let owner else { return false }
    return pthread_equal(owner, pthread_self()) != 0
  }

  /// True on the thread evaluating Oxur now (a host builtin calling back into the interpreter).
  public var isHeldByCurrentThread: Bool {
    condition.lock()
    defer { condition.unlock() }
    return ownedByCurrentThread
  }

  public func acquire() { acquire(urgent: nil) }

  private func acquire(urgent: (() -> Bool)?) {
    condition.lock()
    defer { condition.unlock() }
    if ownedByCurrentThread {
      depth += 1
      return
    }
    let ticket = nextTicket
    nextTicket += 1
    waitForTurn(ticket, urgent: urgent)
    depth = 1
  }

  /// `acquire()`, counted as a wait of `handle`'s evaluation: an interrupt of it meanwhile
  /// also stops a load that holds the lock ahead of it (`LoadInterrupts`), and moves it to the
  /// front of the line.
  func acquire(waitingAs handle: EvaluationHandle?) {
    guard let handle else { return acquire() }
    handle.waitingForLock { acquire(urgent: { handle.isInterruptRequested }) }
  }

  public func release() {
    condition.lock()
    defer { condition.unlock() }
    guard ownedByCurrentThread else { return }
    depth -= 1
    if depth == 0 { handOver() }
  }

  /// The owner lets go (holding `condition`): the urgent waiter is served next if there is
  /// one, else the next ticket in line.
  private func handOver() {
    owner = nil
    if ownerIsPriority { ownerIsPriority = false } else { serving += 1 }
    while servedEarly.remove(serving) != nil { serving += 1 }
    wake(priorityTicket ?? serving)
  }

  /// The ticket first in line behind the owner (the one that times the owner's quantum).
  private var firstInLine: Int {
    var next = ownerIsPriority ? serving : serving + 1
    while servedEarly.contains(next) { next += 1 }
    return next
  }

  private func isTurn(_ ticket: Int) -> Bool {
    guard owner == nil else { return false }
    if let priorityTicket { return priorityTicket == ticket }
    return serving == ticket
  }

  /// Called at a safe point: if another thread waits, let it run first, then continue.
  /// True when the lock was handed over (the caller may have been interrupted meanwhile).
  /// Threads waiting for their turn now (for tests that need a call to be in line).
  var waitingCount: Int { condition.withLock { waiting } }

  func yieldToWaiters(urgent: (() -> Bool)? = nil) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    guard ownedByCurrentThread, waiting > 0 else { return false }
    let savedDepth = depth
    depth = 0
    handOver()
    let ticket = nextTicket
    nextTicket += 1
    waitForTurn(ticket, urgent: urgent)
    depth = savedDepth
    return true
  }

  /// Gives the lock up entirely, however deeply this thread holds it, so other threads run
  /// while this one blocks (`Machine.withEvaluatorReleased`). Returns the depth to restore;
  /// 0 when this thread did not hold the lock (then `reacquire(depth: 0)` does nothing).
  func releaseEntirely() -> Int {
    condition.lock()
    defer { condition.unlock() }
    guard ownedByCurrentThread else { return 0 }
    let savedDepth = depth
    depth = 0
    handOver()
    return savedDepth
  }

  /// Takes the lock back after `releaseEntirely`, in line behind the threads already waiting
  /// (before them once `urgent` holds).
  func reacquire(depth savedDepth: Int, urgent: (() -> Bool)? = nil) {
    guard savedDepth > 0 else { return }
    condition.lock()
    defer { condition.unlock() }
    let ticket = nextTicket
    nextTicket += 1
    waitForTurn(ticket, urgent: urgent)
    depth = savedDepth
  }

  /// Wakes the thread holding `ticket`, if one waits (called holding `condition`). A
  /// semaphore keeps the signal, so a thread that has not started sleeping yet sees it.
  private func wake(_ ticket: Int) { sleepers[ticket]?.signal() }

  /// Waits (holding `condition`, released while asleep) until `ticket` is served and the lock
  /// is free, then owns it. First in line, it asks the owner to hand over once the owner's
  /// quantum is used up. `urgent` (a host evaluation's pending interrupt) is looked at every
  /// few milliseconds: once it holds, this waiter is served before the line, and the owner is
  /// asked to hand over at once.
  private func waitForTurn(_ ticket: Int, urgent: (() -> Bool)? = nil) {
    if !isTurn(ticket) {
      waiting += 1
      let semaphore = DispatchSemaphore(value: 0)
      sleepers[ticket] = semaphore
      while !isTurn(ticket) {
        if let urgent, priorityTicket == nil, urgent() {
          priorityTicket = ticket
          attention.raise()
          continue
        }
        var timeout = DispatchTime.distantFuture
        let now = DispatchTime.now().uptimeNanoseconds
        if owner != nil, ticket == firstInLine || ticket == priorityTicket {
          let due = ownedSince &+ EvaluatorLock.quantumNanoseconds
          if now >= due || ticket == priorityTicket {
            attention.raise()
            timeout = DispatchTime(uptimeNanoseconds: now &+ EvaluatorLock.quantumNanoseconds)
          } else {
            timeout = DispatchTime(uptimeNanoseconds: due)
          }
        }
        if urgent != nil && priorityTicket == nil {
          timeout = min(timeout, DispatchTime(uptimeNanoseconds: now &+ EvaluatorLock.urgencyPollNanoseconds))
        }
        condition.unlock()
        _ = semaphore.wait(timeout: timeout)
        condition.lock()
      }
      sleepers[ticket] = nil
      waiting -= 1
    }
    if priorityTicket == ticket {
      priorityTicket = nil
      // Served before the line: skipped when the line reaches it (unless it was next anyway).
      if ticket != serving {
        ownerIsPriority = true
        servedEarly.insert(ticket)
      }
    }
    owner = pthread_self()
    ownedSince = DispatchTime.now().uptimeNanoseconds
    // The thread behind us is now first in line: wake it so it starts timing our quantum.
    wake(firstInLine)
  }

  public func withLock<T>(_ body: () throws -> T) rethrows -> T {
    acquire()
    defer { release() }
    return try body()
  }
}

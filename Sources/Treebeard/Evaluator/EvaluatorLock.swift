// The evaluator lock: one thread evaluates Oxur at a time, handing over at safe points (DESIGN.md §9).

import Foundation

/// A fair (ticket-ordered), reentrant lock. A thread that wants it raises the attention flag so
/// the thread evaluating Oxur hands it over at its next call or loop back-edge.
public final class EvaluatorLock: @unchecked Sendable {
  private let condition = NSCondition()
  private var owner: pthread_t? = nil
  private var depth = 0
  private var nextTicket = 0
  private var serving = 0
  private var waiting = 0
  private let attention: Attention

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

  public func acquire() {
    condition.lock()
    defer { condition.unlock() }
    if ownedByCurrentThread {
      depth += 1
      return
    }
    let ticket = nextTicket
    nextTicket += 1
    waiting += 1
    if owner != nil { attention.raise() }
    while serving != ticket || owner != nil {
      condition.wait()
      if owner != nil && serving == ticket { attention.raise() }
    }
    waiting -= 1
    owner = pthread_self()
    depth = 1
  }

  public func release() {
    condition.lock()
    defer { condition.unlock() }
    guard ownedByCurrentThread else { return }
    depth -= 1
    if depth == 0 {
      owner = nil
      serving += 1
      condition.broadcast()
    }
  }

  /// Called at a safe point: if another thread waits, let it run first, then continue.
  func yieldToWaiters() {
    condition.lock()
    guard ownedByCurrentThread, waiting > 0 else {
      condition.unlock()
      return
    }
    let savedDepth = depth
    owner = nil
    depth = 0
    serving += 1
    let ticket = nextTicket
    nextTicket += 1
    condition.broadcast()
    while serving != ticket || owner != nil { condition.wait() }
    owner = pthread_self()
    depth = savedDepth
    condition.unlock()
  }

  public func withLock<T>(_ body: () throws -> T) rethrows -> T {
    acquire()
    defer { release() }
    return try body()
  }
}

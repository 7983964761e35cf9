// One nREPL session: its evaluation handle (module, *1 *2 *3 *e, interrupt) and its worker thread.

import Foundation
import Treebeard

/// A session runs its requests one after another on a thread of its own, so a long evaluation
/// holds up only its session; `interrupt` reaches it from the connection's thread.
final class NREPLSession: @unchecked Sendable {
  let id: String
  let handle: EvaluationHandle
  let input = SessionInput()
  /// The connection that made the session; closing it closes the session.
  let owner: ObjectIdentifier
  private let condition = NSCondition()
  private var queue: [@Sendable () -> Void] = []
  private var isClosed = false
  /// The id of the request running now, for `interrupt`.
  private var runningRequest: String?

  init(interpreter: Interpreter, owner: ObjectIdentifier) {
    id = UUID().uuidString.lowercased()
    handle = EvaluationHandle(interpreter: interpreter, module: "user")
    handle.input = input
    self.owner = owner
    let thread = Thread { [self] in work() }
    thread.name = "nrepl-session"
    thread.start()
  }

  enum Submission { case queued, closed, full }

  /// Requests waiting in one session at most: a client flooding evals gets `session-queue-full`
  /// instead of the server holding every request's code in memory.
  static let maximumQueued = 1_000

  /// Queues `body` behind the session's earlier requests.
  @discardableResult
  func submit(request: String, _ body: @escaping @Sendable () -> Void) -> Submission {
    condition.withLock {
      guard !isClosed else { return .closed }
      guard queue.count < Self.maximumQueued else { return .full }
      queue.append { [self] in
        condition.withLock { runningRequest = request }
        body()
        condition.withLock { runningRequest = nil }
      }
      condition.signal()
      return .queued
    }
  }

  enum InterruptResult { case interrupted, idle, mismatch }

  /// Stops the running request (`id` nil: whichever runs).
  func interrupt(requestID: String?) -> InterruptResult {
    condition.withLock {
      guard let running = runningRequest else { return .idle }
      if let requestID, requestID != running { return .mismatch }
      handle.interrupt()
      return .interrupted
    }
  }

  /// Ends the session: queued requests are dropped, a running one is interrupted, and the
  /// thread ends when it returns.
  func close() {
    condition.withLock {
      isClosed = true
      queue.removeAll()
      if runningRequest != nil { handle.interrupt() }
      condition.signal()
    }
  }

  private func work() {
    while true {
      let next: (@Sendable () -> Void)? = condition.withLock {
        while queue.isEmpty && !isClosed { condition.wait() }
        return queue.isEmpty ? nil : queue.removeFirst()
      }
      guard let next else { return }
      next()
    }
  }
}

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
  /// A request waiting its turn: what runs it, and what answers it when it is interrupted
  /// before it starts.
  private struct Queued {
    let request: String
    let run: @Sendable () -> Void
    let cancel: @Sendable () -> Void
  }
  private var queue: [Queued] = []
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

  /// Queues `body` behind the session's earlier requests; `cancel` answers the request instead
  /// if an interrupt naming it comes while it waits.
  @discardableResult
  func submit(
    request: String, cancel: @escaping @Sendable () -> Void = {}, _ body: @escaping @Sendable () -> Void
  ) -> Submission {
    condition.withLock {
      guard !isClosed else { return .closed }
      guard queue.count < Self.maximumQueued else { return .full }
      queue.append(Queued(request: request, run: body, cancel: cancel))
      condition.signal()
      return .queued
    }
  }

  enum InterruptResult { case interrupted, idle, mismatch }

  /// Stops the running request (`id` nil: whichever runs). A request named by `id` that still
  /// waits behind another (or for the session's thread to pick it up) is dropped and answered
  /// as interrupted: an interrupt sent right after an eval must not miss it.
  func interrupt(requestID: String?) -> InterruptResult {
    let (result, cancelled): (InterruptResult, Queued?) = condition.withLock {
      if let running = runningRequest, requestID == nil || requestID == running {
        handle.interrupt()
        return (.interrupted, nil)
      }
      if let requestID, let index = queue.firstIndex(where: { $0.request == requestID }) {
        return (.interrupted, queue.remove(at: index))
      }
      // Nothing runs: idle, whether or not requests wait (an interrupt without an id stops
      // only what runs); an id that names nothing here while something runs: a mismatch.
      return (runningRequest == nil || requestID == nil ? .idle : .mismatch, nil)
    }
    cancelled?.cancel()
    return result
  }

  /// Ends the session: queued requests are dropped (each answered as interrupted), a running
  /// one is interrupted, and the thread ends when it returns.
  func close() {
    let dropped: [Queued] = condition.withLock {
      isClosed = true
      let dropped = queue
      queue.removeAll()
      if runningRequest != nil { handle.interrupt() }
      condition.signal()
      return dropped
    }
    for request in dropped { request.cancel() }
  }

  private func work() {
    while true {
      // Marked running as it leaves the queue, under the same lock: an interrupt finds it in
      // one place or the other, never in neither.
      let next: Queued? = condition.withLock {
        while queue.isEmpty && !isClosed { condition.wait() }
        guard !queue.isEmpty else { return nil }
        let next = queue.removeFirst()
        runningRequest = next.request
        return next
      }
      guard let next else { return }
      next.run()
      condition.withLock { runningRequest = nil }
    }
  }
}

// The threads that run request handlers: Oxur never runs on a NIO event loop, which must not block.

import Foundation
import Treebeard

/// A fixed set of large-stack threads taking jobs in arrival order. Each job calls into the
/// interpreter, which takes the evaluator lock, so the threads mostly wait for each other; more
/// than one lets a handler that sleeps or waits leave the others running.
final class HandlerWorkers: @unchecked Sendable {
  private let condition = NSCondition()
  private var jobs: [@Sendable () -> Void] = []
  private var next = 0
  private var stopping = false

  /// How many threads the system gave (a server with none cannot answer: its start fails).
  private(set) var started = 0

  init(count: Int, name: String) {
    for index in 0..<max(1, count) {
      if LargeStack.start(name: "\(name)-\(index)", { [self] in work() }) { started += 1 }
    }
  }

  func submit(_ job: @escaping @Sendable () -> Void) {
    condition.withLock {
      jobs.append(job)
      condition.signal()
    }
  }

  /// The threads finish the jobs already queued, then end.
  func stop() {
    condition.withLock {
      stopping = true
      condition.broadcast()
    }
  }

  /// The threads serving this server, so a handler that stops or joins its own server is
  /// known (it cannot wait for its own request to finish).
  private var threads: Set<ObjectIdentifier> = []

  var isCurrentThreadAWorker: Bool { condition.withLock { threads.contains(ObjectIdentifier(Thread.current)) } }

  private func work() {
    condition.withLock { _ = threads.insert(ObjectIdentifier(Thread.current)) }
    while let job = take() { job() }
  }

  private func take() -> (@Sendable () -> Void)? {
    condition.withLock {
      while next >= jobs.count && !stopping { condition.wait() }
      guard next < jobs.count else { return nil }
      let job = jobs[next]
      next += 1
      // Compact now and then so the queue does not grow with the number of requests served.
      if next >= 64 && next * 2 >= jobs.count {
        jobs.removeFirst(next)
        next = 0
      }
      return job
    }
  }
}

// Waiting on other threads and on conditions with deadlines that fail the test instead of hanging it.

import Foundation
import Testing
import Treebeard

/// Work run on a thread of its own; the test reads its result with a deadline, so a call that
/// blocks forever fails the test instead of hanging it.
final class Background<T: Sendable>: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var result: Result<T, Error>?

  init(_ body: @escaping @Sendable () throws -> T) {
    Thread.detachNewThread { [self] in
      let outcome = Result { try body() }
      lock.withLock { result = outcome }
      done.signal()
    }
  }

  /// The result, or nil after recording an issue when the work has not finished in time.
  func wait(
    _ what: String, timeout: TimeInterval = 60, sourceLocation: SourceLocation = #_sourceLocation
  ) -> Result<T, Error>? {
    if done.wait(timeout: .now() + timeout) == .timedOut {
      Issue.record("timed out after \(Int(timeout)) s: \(what)", sourceLocation: sourceLocation)
      return nil
    }
    done.signal()  // a later wait returns at once
    return lock.withLock { result }
  }

  /// True once the work has finished (never blocks).
  var isFinished: Bool { lock.withLock { result != nil } }
}

/// Polls `condition` until it holds; records an issue and returns false when `timeout` passes first.
@discardableResult
func waitUntil(
  _ what: String, timeout: TimeInterval = 60, sourceLocation: SourceLocation = #_sourceLocation,
  _ condition: () -> Bool
) -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while !condition() {
    if Date() > deadline {
      Issue.record("timed out after \(Int(timeout)) s waiting until \(what)", sourceLocation: sourceLocation)
      return false
    }
    Thread.sleep(forTimeInterval: 0.002)
  }
  return true
}

/// A host function that Oxur code calls to tell the test it reached a point: `(name)` signals.
final class Checkpoint: @unchecked Sendable {
  private let semaphore = DispatchSemaphore(value: 0)

  init(_ name: String, in interpreter: Interpreter) {
    let semaphore = self.semaphore
    interpreter.define(
      name: name,
      value: .builtin(
        Builtin(name, arity: 0...0) { _, _ in
          semaphore.signal()
          return .nil
        }))
  }

  /// Waits for one signal; records an issue and returns false when none comes in time.
  @discardableResult
  func wait(_ what: String, timeout: TimeInterval = 60, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    if semaphore.wait(timeout: .now() + timeout) == .timedOut {
      Issue.record("timed out after \(Int(timeout)) s waiting until \(what)", sourceLocation: sourceLocation)
      return false
    }
    return true
  }
}

/// The `OxurError` inside a result, if the work failed with one.
func oxurError<T>(_ result: Result<T, Error>?) -> OxurError? {
  guard case .failure(let error)? = result else { return nil }
  if let error = error as? OxurError { return error }
  return (error as? LoadFailure)?.error
}

/// Runs `body` on a fresh thread with a small stack, as an embedder's worker thread may have.
func onSmallStack(_ size: Int = 1 << 20, _ body: @escaping @Sendable () -> Void) {
  let done = DispatchSemaphore(value: 0)
  let thread = Thread {
    body()
    done.signal()
  }
  thread.stackSize = size
  thread.start()
  done.wait()
}

// A look-up for an editor or a prompt (names, documentation) that gives up instead of waiting for ever.

import Dispatch
import Foundation
import Synchronization

/// Runs a read-only look-up that needs the evaluator lock — `Interpreter.completions`,
/// `Interpreter.lookup` — with a bounded wait. The lock is held by whatever evaluates, and a
/// load keeps it until its top level ends: one that never ends (a spawned process's, another
/// nREPL session's) froze Tab at the REPL and left an editor's completion requests waiting for
/// ever. Past `patience` the caller gets nil and answers "nothing found".
///
/// The look-up itself runs on a thread of its own and finishes whenever the lock comes; while
/// one that gave up still waits, later look-ups answer nil at once rather than queue more
/// threads behind the same load (an editor asks at every keystroke).
public final class PatientLookup: Sendable {
  private let patience: TimeInterval
  private let waiting = Atomic<Bool>(false)

  public init(patience: TimeInterval) { self.patience = patience }

  /// `body`'s answer, or nil when it did not come within the patience, or another look-up
  /// that gave up is still waiting.
  public func run<Answer: Sendable>(_ body: @escaping @Sendable () -> Answer) -> Answer? {
    guard !waiting.exchange(true, ordering: .sequentiallyConsistent) else { return nil }
    let answer = PendingAnswer<Answer>()
    Thread.detachNewThread { [self] in
      let found = body()
      // Open before answering: the next look-up may come the moment this one has its answer.
      waiting.store(false, ordering: .sequentiallyConsistent)
      answer.finish(found)
    }
    return answer.result(within: patience)
  }
}

/// One look-up's answer, handed from its thread to the caller's.
private final class PendingAnswer<Answer: Sendable>: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var answer: Answer?

  func finish(_ found: Answer) {
    lock.withLock { answer = found }
    done.signal()
  }

  func result(within seconds: TimeInterval) -> Answer? {
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    return lock.withLock { answer }
  }
}

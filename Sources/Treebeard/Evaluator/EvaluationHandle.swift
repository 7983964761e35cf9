// One evaluation as other threads see it: the target of an interrupt.

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

  public init(interpreter: Interpreter) { attention = interpreter.runtime.attention }

  init(attention: Attention) { self.attention = attention }

  public func interrupt() {
    count.wrappingAdd(1, ordering: .sequentiallyConsistent)
    requested.store(true, ordering: .sequentiallyConsistent)
    attention.raise()
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

  /// An interrupt arrived and has not been acted on yet (read by waits that poll for it).
  var isInterruptRequested: Bool {
    stopped.load(ordering: .sequentiallyConsistent) || requested.load(ordering: .sequentiallyConsistent)
  }

  /// Interrupts for good: every safe point of the evaluation throws from now on (`kill`).
  func stop() {
    stopped.store(true, ordering: .sequentiallyConsistent)
    interrupt()
  }

  /// An interrupt is waiting: make the machine that is about to run look at once.
  func raiseIfPending() {
    if requested.load(ordering: .sequentiallyConsistent) { attention.raise() }
  }
}

// Ctrl-C of an evaluation that waits for the evaluator behind another thread's load: it stops that load.

import Synchronization

/// A load transaction keeps the evaluator lock from its first read to its commit or rollback
/// (DESIGN.md §9), so a module whose top level never ends — loaded by a spawned process, an
/// nREPL session, an HTTP handler — held it for good: the REPL's next entry waited behind it,
/// and its Ctrl-C reached only that entry, which was not running. An interrupt of an
/// evaluation that is waiting for the lock now also stops whichever load is open; the load
/// rolls back (always safe) and its loader gets `interrupted`, as its own Ctrl-C would give.
///
/// Only an `interrupt()` of a waiting evaluation asks (`EvaluationHandle`); `kill` of a waiting
/// process does not, since its killer may be the load. Everything here is an atomic, so a
/// signal handler may ask.
final class LoadInterrupts: Sendable {
  /// The number of the open transaction; 0 while none is open.
  private let open = Atomic<Int>(0)
  /// The number of the transaction an interrupt was asked for; 0 for none.
  private let requested = Atomic<Int>(0)
  private let numbered = Atomic<Int>(0)
  private let attention: Attention

  init(attention: Attention) { self.attention = attention }

  /// A transaction opened (called by the lock's owner): an interrupt asked for an earlier
  /// one is not this one's.
  func opened() {
    let number = numbered.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue
    requested.store(0, ordering: .sequentiallyConsistent)
    open.store(number == 0 ? 1 : number, ordering: .sequentiallyConsistent)
  }

  func closed() {
    open.store(0, ordering: .sequentiallyConsistent)
    requested.store(0, ordering: .sequentiallyConsistent)
  }

  /// Asks the open transaction, if any, to stop at its next safe point.
  func interruptOpenLoad() {
    let number = open.load(ordering: .sequentiallyConsistent)
    guard number != 0 else { return }
    requested.store(number, ordering: .sequentiallyConsistent)
    attention.raise()
  }

  /// Read by waits inside a load that poll for an interrupt.
  var isRequested: Bool {
    let number = requested.load(ordering: .sequentiallyConsistent)
    return number != 0 && number == open.load(ordering: .sequentiallyConsistent)
  }

  /// True (once) when the open transaction was asked to stop. Called by its loader only.
  func take() -> Bool {
    let number = open.load(ordering: .sequentiallyConsistent)
    guard number != 0 else { return false }
    return requested.compareExchange(expected: number, desired: 0, ordering: .sequentiallyConsistent).exchanged
  }
}

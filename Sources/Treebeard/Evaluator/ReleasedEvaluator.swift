// Lets a builtin block (a wait, a sleep, host I/O) without holding the evaluator lock.

extension Machine {
  /// True when `withEvaluatorReleased` really lets other threads run meanwhile. False inside a
  /// load transaction: other threads must not see staged code, so the lock stays held there.
  public var canReleaseEvaluator: Bool { runtime.transaction == nil }

  /// Runs `body` — which must not touch Oxur values other threads can see, nor call into this
  /// machine — with the evaluator lock given up, so other threads evaluate while it blocks.
  /// The lock is taken back (in line behind the threads already waiting) before this returns;
  /// then, if this evaluation was interrupted meanwhile, it throws `interrupted`.
  ///
  /// A host builtin that waits for another thread's `Interpreter` call, a socket or a child
  /// process wraps the wait in this. Inside a load transaction the body runs with the lock
  /// held (`canReleaseEvaluator` is false): a wait there for another evaluation deadlocks.
  ///
  /// Like a safe point, the release lets a reload commit: the calling builtin keeps running
  /// the code it started with, and its caller's next global call runs the new version.
  public func withEvaluatorReleased<T>(_ body: () throws -> T) throws -> T {
    guard canReleaseEvaluator else {
      // Inside a load the lock stays held; a wait that polled an interrupt returns early, and
      // must stop here too: a `receive … (after …)` in a module's top level went back to
      // waiting for ever, and `await` with a timeout reported a timeout that never passed.
      let result = try body()
      try interruptPoint()
      return result
    }
    let depth = runtime.lock.releaseEntirely()
    let result: T
    do {
      defer { waitingForLock { runtime.lock.reacquire(depth: depth, urgent: urgency) } }
      result = try body()
    }
    try interruptPoint()
    return result
  }

  /// True when the evaluation this machine runs has a pending interrupt (read without the
  /// lock by waits that poll for one).
  /// Inside a load (`stagingModule`, set by this machine's thread, which then holds the lock)
  /// that includes an interrupt of the load by a waiter (`LoadInterrupts`).
  var isInterruptRequested: Bool {
    evaluation?.isInterruptRequested ?? false || (stagingModule != nil && runtime.loadInterrupts.isRequested)
  }
}

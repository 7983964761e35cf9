// The host-builtin API: prelude functions a host adds, calling function values, and blocking builtins.

import Foundation

extension Interpreter {
  /// Adds `builtin` to the prelude of this interpreter: every module sees it unqualified, as it
  /// sees `println`. Call it before loading the code that uses it: a name is looked up in the
  /// prelude when the code is compiled. A later builtin of the same name replaces the earlier one
  /// for code compiled afterwards.
  /// `arglists` (`"[options handler]"`) and `doc` (one line) are what `(doc name)` shows.
  public func defineBuiltin(_ builtin: Builtin, arglists: String = "", doc: String? = nil) {
    runtime.lock.withLock {
      if runtime.prelude[builtin.name] == nil { runtime.registry.preludeNames.append(builtin.name) }
      runtime.prelude[builtin.name] = builtin
      if let doc { runtime.hostBuiltinDocs[builtin.name] = (arglists, doc) }
    }
  }

  /// Calls a function value (a closure, a builtin, or a named global, which is late-bound: a
  /// reference such as `app:handle` calls the definition current at this call).
  public func call(function: Value, arguments: [Value] = [], handle: EvaluationHandle? = nil) throws -> Value {
    try evaluating(handle) { machine in try machine.call(function, arguments) }
  }
}

extension Machine {
  /// For a host builtin that waits for something outside Oxur (a server to stop, a reply):
  /// releases the evaluator lock while it waits, so other threads run Oxur meanwhile, and takes
  /// it back before returning. `isDone` is polled every `pollInterval` seconds without the lock.
  /// Throws `interrupted` when this evaluation is interrupted while it waits (and waits for
  /// nothing then); refuses inside a load transaction, which must keep the lock until it commits.
  public func waitWithoutEvaluatorLock(pollInterval: TimeInterval = 0.01, until isDone: () -> Bool) throws {
    guard canReleaseEvaluator else {
      throw OxurError("load", "cannot wait for another thread while a module is being loaded")
    }
    output.flush()
    // withEvaluatorReleased throws `interrupted` once the lock is back.
    try withEvaluatorReleased {
      while !isDone() && !isInterruptRequested { Thread.sleep(forTimeInterval: pollInterval) }
    }
  }
}

// Spawning a process and running it to its end on its own thread, under the evaluator lock.

import Foundation
import OxurSyntax

/// A process's function and arguments, handed to its new thread. Values are immutable (atoms
/// are touched only under the evaluator lock), so handing them over is safe.
private struct ProcessStart: @unchecked Sendable {
  let runtime: Runtime
  let process: OxurProcess
  let function: Value
  let arguments: [Value]
  /// The `(spawn …)` call, where an error that says no place of its own is reported, and its
  /// file, kept so the report can quote it after a failed load has let go of it.
  let span: Span
  let file: SourceFile?
}

extension Runtime {
  /// Starts `function` on `arguments` as a new process and returns it at once. The process's
  /// thread takes the evaluator lock like any evaluation, so it runs at the next hand-over.
  func spawn(_ function: Value, _ arguments: [Value], span: Span = .unknown) throws -> OxurProcess {
    let process = try processes.register(function: Runtime.describe(function), attention: attention)
    // From a top level being loaded: it runs once the load commits, and not at all if it
    // rolls back (its code, and what it calls, would be code that was never committed).
    transaction?.spawned.append(process)
    let start = ProcessStart(
      runtime: self, process: process, function: function, arguments: arguments, span: span, file: span.file)
    guard LargeStack.start(name: nil, { start.runtime.run(start) }) else {
      let error = OxurError("process-limit", "cannot spawn: the system refused a new thread")
      processes.ended(process)
      process.finish(.failure(error))
      throw error
    }
    return process
  }

  /// What `(processes)` shows a process runs: the global a reference names (late-bound, so
  /// reloads change what it runs but not this name), a named function, or `fn`.
  static func describe(_ function: Value) -> String {
    switch function {
    case .functionReference(let reference): return reference.displayName
    case .closure(let closure): return closure.lambda.displayName
    case .builtin(let builtin): return builtin.name
    default: return Printer.readable(function, limit: 40)
    }
  }

  private func run(_ start: ProcessStart) {
    let process = start.process
    lock.acquire()
    let machine: Machine
    do {
      machine = try processes.takeMachine() ?? Machine(runtime: self, depthLimit: stackDepthLimit, initialSlots: 16_384)
    } catch {
      let failure = (error as? OxurError ?? OxurError("internal", "\(error)")).located(start.span)
      reportProblem(
        "process \(process.description) (\(process.function)) ended with an error:\n" + ErrorRenderer.render(failure)
          + "\n")
      lock.release()
      processes.ended(process)
      process.finish(.failure(failure))
      return
    }
    machine.process = process
    machine.evaluation = process.handle
    // Killed before its first turn: the attention raised then may have been cleared by
    // another thread's safe point, so look again.
    process.handle.raiseIfPending()
    machineStarted(machine)
    var outcome: Result<Value, OxurError>
    do {
      // A builtin called directly (`(spawn spawn f)`) passes no safe point: a process killed
      // before its first turn must not run at all.
      if process.wasKilled { throw OxurError("interrupted", "interrupted") }
      outcome = .success(try machine.call(start.function, start.arguments, span: start.span))
    } catch let error as OxurError {
      outcome = .failure(error)
    } catch let failure as LoadFailure {
      outcome = .failure(failure.error)
    } catch let exit as ExitRequest {
      outcome = .failure(
        exit.refused(
          "(exit \(exit.code)) in process \(process.description) ends that process only; main exits the program"))
    } catch {
      outcome = .failure(OxurError("internal", "\(error)"))
    }
    if case .failure(let error) = outcome { outcome = .failure(process.endingError(error)) }
    // A builtin run as the process, or a global gone since the spawn, fails with no place of
    // its own: the `(spawn …)` that started it is the place.
    if case .failure(let error) = outcome, !error.span.isKnown { outcome = .failure(error.located(start.span)) }
    machineFinished(machine)
    machine.process = nil
    machine.evaluation = nil
    if machine.sp != machine.stack { machine.pop(to: machine.stack) }
    if case .failure(let error) = outcome, error.kind != "killed" {
      reportProblem(
        "process \(process.description) (\(process.function)) ended with an error:\n"
          + ErrorRenderer.render(error) + "\n")
    }
    lock.release()
    processes.returnMachine(machine)
    // Its slot frees before its awaiters wake, so a spawn right after an await never meets a
    // limit the awaited process still counted toward.
    processes.ended(process)
    process.finish(outcome)
  }
}

extension Machine {
  /// The process running this evaluation: its own for a spawned process, else the main one.
  var currentProcess: OxurProcess { process ?? runtime.processes.main }

  /// How a wait of this machine learns of an interrupt it cannot be woken for: the main
  /// process polls its evaluation's flag; a spawned process is woken by `kill`.
  var interruptPoll: (() -> Bool)? {
    if process != nil { return nil }
    return { [unowned self] in isInterruptRequested }
  }

  /// Runs a blocking wait of the current process with the evaluator lock released (held
  /// inside a load transaction, see `withEvaluatorReleased`), showing `state` meanwhile.
  /// Output printed so far is flushed first, so a piped program shows it while it waits.
  func blockCurrentProcess<T>(_ state: OxurProcess.State, _ wait: () -> T) throws -> T {
    let process = currentProcess
    output.flush()
    process.setState(state)
    defer { process.setState(.running) }
    return try withEvaluatorReleased(wait)
  }
}

extension Machine {
  /// `spawn`: starts `function` on `arguments` as a process and returns its pid. `span` is the
  /// call's (`SpawnNode`), or unknown when `spawn` was called as a value (`apply`, `map`).
  func spawn(_ function: Value, _ arguments: [Value], span: Span) throws -> Value {
    // A killed process still runs its `finally` forms, which pass no safe point before a
    // builtin: it must not leave a survivor behind (`kill-all` against a fork bomb).
    if process?.wasKilled == true { throw OxurError("interrupted", "interrupted") }
    let checked = try Check.function(function, "spawn")
    return try runtime.spawn(checked, arguments, span: span).pid
  }
}

/// `(spawn f args…)` with the prelude's `spawn`: the builtin's work, knowing the call's place,
/// so a process that fails where none of its own code says where (a builtin run as the process,
/// a global gone since) reports the `spawn` that started it.
final class SpawnNode: Node {
  let operands: [Node]

  init(operands: [Node], span: Span) {
    self.operands = operands
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    var values: [Value] = []
    values.reserveCapacity(operands.count)
    for operand in operands { values.append(try operand.eval(m, fp)) }
    do {
      return try m.spawn(values.first ?? .nil, Array(values.dropFirst()), span: span)
    } catch let error as OxurError {
      throw m.builtinFailed(error, "spawn", span)
    }
  }
}

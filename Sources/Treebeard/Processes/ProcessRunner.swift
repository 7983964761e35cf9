// Spawning a process and running it to its end on its own thread, under the evaluator lock.

import Foundation

/// A process's function and arguments, handed to its new thread. Values are immutable (atoms
/// are touched only under the evaluator lock), so handing them over is safe.
private struct ProcessStart: @unchecked Sendable {
  let runtime: Runtime
  let process: OxurProcess
  let function: Value
  let arguments: [Value]
}

extension Runtime {
  /// Starts `function` on `arguments` as a new process and returns it at once. The process's
  /// thread takes the evaluator lock like any evaluation, so it runs at the next hand-over.
  func spawn(_ function: Value, _ arguments: [Value]) throws -> OxurProcess {
    let process = try processes.register(function: Runtime.describe(function), attention: attention)
    let start = ProcessStart(runtime: self, process: process, function: function, arguments: arguments)
    guard ProcessThread.start({ start.runtime.run(start) }) else {
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
    let machine =
      processes.takeMachine() ?? Machine(runtime: self, depthLimit: stackDepthLimit, initialSlots: 16_384)
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
      outcome = .success(try machine.call(start.function, start.arguments))
    } catch let error as OxurError {
      outcome = .failure(error)
    } catch let failure as LoadFailure {
      outcome = .failure(failure.error)
    } catch let exit as ExitRequest {
      outcome = .failure(
        OxurError(
          "exit", "(exit \(exit.code)) in process \(process.description) ends that process only; main exits the program"
        ))
    } catch {
      outcome = .failure(OxurError("internal", "\(error)"))
    }
    if case .failure(let error) = outcome, process.wasKilled, error.kind == "interrupted" {
      outcome = .failure(OxurError("killed", "process \(process.description) (\(process.function)) was killed"))
    }
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

// SIGINT and SIGTERM for `treebeard run` and `eval`: interrupt the program, flush, exit 130 / 143.

import Foundation
import Treebeard

/// Ctrl-C interrupts the running evaluation at its next safe point, so the program ends with an
/// Oxur "interrupted" error and its stack trace (exit 130). A second Ctrl-C, or SIGTERM, ends the
/// process at once — after writing out what the program printed, which a signal's default
/// action would lose from the output buffer.
///
/// A signal handler may only do async-signal-safe work: it interrupts (two atomic stores) and
/// writes the signal number to a pipe. A thread reading that pipe does the flushing and exiting.
enum ProcessSignals {
  nonisolated(unsafe) static var evaluation: Unmanaged<EvaluationHandle>?
  nonisolated(unsafe) static var pipeWrite: Int32 = -1
  /// Runs on the signal thread before the process exits (removes `.nrepl-port`). Set once,
  /// before `install`.
  nonisolated(unsafe) static var cleanup: (@Sendable () -> Void)?
  /// A server with no program (`treebeard nrepl`): the first Ctrl-C ends the process, cleanly.
  nonisolated(unsafe) static var exitsOnFirstInterrupt = false

  /// Installs the handlers for one program run; `evaluation` is the run's handle.
  static func install(evaluation handle: EvaluationHandle, interpreter: Interpreter) {
    // Once per process (the CLI runs one program); a later run in the same process keeps the
    // first run's handlers and output.
    if pipeWrite >= 0 { return }
    var descriptors: [Int32] = [0, 0]
    guard pipe(&descriptors) == 0 else { return }
    let readEnd = descriptors[0]
    evaluation = Unmanaged.passRetained(handle)
    pipeWrite = descriptors[1]
    let thread = Thread {
      var interrupts = 0
      var byte: UInt8 = 0
      while read(readEnd, &byte, 1) == 1 {
        if Int32(byte) == SIGINT {
          interrupts += 1
          if interrupts < 2 && !exitsOnFirstInterrupt { continue }  // the evaluation's to report
        }
        interpreter.runtime.output.flush()
        interpreter.runtime.errorOutput.flush()
        cleanup?()
        exit(exitsOnFirstInterrupt ? 0 : 128 + Int32(byte))
      }
    }
    thread.name = "treebeard-signals"
    thread.start()
    for signal in [SIGINT, SIGTERM] {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { number in
        if number == SIGINT { ProcessSignals.evaluation?.takeUnretainedValue().interrupt() }
        var byte = UInt8(truncatingIfNeeded: number)
        _ = write(ProcessSignals.pipeWrite, &byte, 1)
      }
      sigemptyset(&action.sa_mask)
      action.sa_flags = SA_RESTART
      sigaction(signal, &action, nil)
    }
    unblock([SIGINT, SIGTERM])
  }

  /// A parent may start us with these signals blocked (some process launchers do); threads
  /// made later inherit this thread's mask, so they are unblocked here.
  static func unblock(_ signals: [Int32]) {
    var set = sigset_t()
    sigemptyset(&set)
    for signal in signals { sigaddset(&set, signal) }
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
  }
}

// SIGINT, SIGTERM and SIGHUP for `treebeard run` and `eval`: interrupt the program, flush, exit 130 / 143 / 129.

import Foundation
import Synchronization
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
  /// A watcher's reload running for the program (`Interpreter.sessionReloads`): Ctrl-C stops it too.
  nonisolated(unsafe) static var sessionReloads: Unmanaged<EvaluationHandle>?
  nonisolated(unsafe) static var pipeWrite: Int32 = -1
  /// Runs on the signal thread before the process exits (removes `.nrepl-port`). Set once,
  /// before `install`.
  nonisolated(unsafe) static var cleanup: (@Sendable () -> Void)?
  /// A server with no program (`treebeard nrepl`): the first Ctrl-C ends the process, cleanly.
  nonisolated(unsafe) static var exitsOnFirstInterrupt = false
  /// SIGHUP was given the handler too (it was not ignored when the handlers were installed).
  nonisolated(unsafe) private static var handlesHangUp = false
  /// Set by the SIGINT handler: `run` looks between the load and `main`, where an interrupt
  /// that arrived after the load's last safe point would otherwise be dropped with the load's
  /// evaluation. Made before the handler is installed (a handler must not initialise it).
  static let interruptRequested = Atomic<Bool>(false)

  /// Installs the handlers for one program run; `evaluation` is the run's handle. A thread of
  /// its own reads the signal pipe (the REPL's and servers' main threads are busy elsewhere).
  /// If no thread can be made the default actions come back: a handler writing to a pipe
  /// nobody reads would leave SIGTERM without effect.
  static func install(evaluation handle: EvaluationHandle, interpreter: Interpreter) {
    guard let readEnd = installHandlers(evaluation: handle, interpreter: interpreter) else { return }
    let started = DetachedThread.start(stackSize: 256 << 10, name: "tb-signals") {
      var interrupts = 0
      var byte: UInt8 = 0
      while read(readEnd, &byte, 1) == 1 { respond(to: byte, interrupts: &interrupts, interpreter: interpreter) }
    }
    if !started {
      for signal in [SIGINT, SIGTERM] { Foundation.signal(signal, SIG_DFL) }
      if handlesHangUp { Foundation.signal(SIGHUP, SIG_DFL) }
    }
  }

  /// Runs `body` (a whole `run` or `eval`) on a large-stack thread and waits for it, reading the
  /// signal pipe meanwhile: the waiting thread does the signal thread's work, so start-up makes
  /// one thread instead of three (a signal thread, and a large-stack thread for each of the
  /// load and `main`): 2.7 → 2.25 ms for `run` of a one-line file (docs/performance.md).
  /// After `body` returns nothing reads the pipe: a signal then still interrupts (a no-op) and
  /// the process goes on to exit with `body`'s status.
  static func runServicingSignals(
    evaluation handle: EvaluationHandle, interpreter: Interpreter, _ body: @escaping @Sendable () -> Int32
  ) -> Int32 {
    // Handlers in place already (a second run in one process): run as any evaluation does.
    if pipeWrite >= 0 { return runReporting(body, interpreter) }
    var finished: [Int32] = [0, 0]
    guard pipe(&finished) == 0 else {
      install(evaluation: handle, interpreter: interpreter)
      return runReporting(body, interpreter)
    }
    defer {
      close(finished[0])
      close(finished[1])
    }
    guard let readEnd = installHandlers(evaluation: handle, interpreter: interpreter) else {
      return runReporting(body, interpreter)
    }
    let status = StatusBox()
    let finishedWrite = finished[1]
    let started = LargeStack.start(name: "treebeard-main") {
      status.value = body()
      var byte: UInt8 = 0
      _ = write(finishedWrite, &byte, 1)
    }
    guard started else {
      Session.report(LargeStack.refused(), interpreter)
      return 1
    }
    var interrupts = 0
    var waiting = [
      pollfd(fd: finished[0], events: Int16(POLLIN), revents: 0),
      pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0),
    ]
    while true {
      if poll(&waiting, nfds_t(waiting.count), -1) < 0 {
        if errno == EINTR { continue }
        break  // cannot wait on both: wait for the program alone, below
      }
      if waiting[0].revents != 0 { break }
      var byte: UInt8 = 0
      if waiting[1].revents != 0, read(readEnd, &byte, 1) == 1 {
        respond(to: byte, interrupts: &interrupts, interpreter: interpreter)
      }
    }
    // Read, not only polled: the read is what orders the program's write of its status
    // before ours (ThreadSanitizer, too, sees a pipe's write and read as a hand-over).
    var byte: UInt8 = 0
    while read(finished[0], &byte, 1) < 0 && errno == EINTR {}
    return status.value
  }

  /// `body` on a large-stack thread, a refused thread reported like any error.
  private static func runReporting(_ body: @escaping @Sendable () -> Int32, _ interpreter: Interpreter) -> Int32 {
    do {
      return try LargeStack.run(body)
    } catch {
      Session.report(error as? OxurError ?? OxurError("internal", "\(error)"), interpreter)
      return 1
    }
  }

  /// The handlers and their pipe, once per process: the pipe's read end, or nil when installed
  /// already (the CLI runs one program; a later run in the same process keeps the first run's
  /// handlers and output) or no pipe could be made.
  private static func installHandlers(evaluation handle: EvaluationHandle, interpreter: Interpreter) -> Int32? {
    if pipeWrite >= 0 { return nil }
    var descriptors: [Int32] = [0, 0]
    guard pipe(&descriptors) == 0 else { return nil }
    evaluation = Unmanaged.passRetained(handle)
    sessionReloads = Unmanaged.passRetained(interpreter.sessionReloads)
    pipeWrite = descriptors[1]
    interruptRequested.store(false, ordering: .relaxed)
    // A closed terminal ended the process by the default action: no output written out, and a
    // server's `.nrepl-port` left for editors to try. Handled as SIGTERM is (status 129) —
    // unless the process was started ignoring it (`nohup`), which it keeps doing.
    var hangUp = sigaction()
    if sigaction(SIGHUP, nil, &hangUp) == 0 {
      let current = hangUp.__sigaction_handler.sa_handler.map { unsafeBitCast($0, to: Int.self) }
      handlesHangUp = current != unsafeBitCast(SIG_IGN, to: Int.self)
    }
    // No array of signals: start-up is measured to the instruction, and building one cost more
    // than the three calls.
    installHandler(for: SIGINT)
    installHandler(for: SIGTERM)
    if handlesHangUp { installHandler(for: SIGHUP) }
    unblock([SIGINT, SIGTERM, SIGHUP])
    return descriptors[0]
  }

  /// Gives `signal` the handler: SIGINT interrupts (two atomic stores each); every one is
  /// written to the pipe for the signal thread.
  private static func installHandler(for signal: Int32) {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { number in
      if number == SIGINT {
        ProcessSignals.interruptRequested.store(true, ordering: .relaxed)
        ProcessSignals.evaluation?.takeUnretainedValue().interrupt()
        ProcessSignals.sessionReloads?.takeUnretainedValue().interrupt()
      }
      var byte = UInt8(truncatingIfNeeded: number)
      _ = write(ProcessSignals.pipeWrite, &byte, 1)
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = SA_RESTART
    sigaction(signal, &action, nil)
  }

  /// A signal read from the pipe: the first Ctrl-C is the evaluation's to report (its handler
  /// interrupted it); a second, or SIGTERM, flushes the output and exits.
  private static func respond(to byte: UInt8, interrupts: inout Int, interpreter: Interpreter) {
    if Int32(byte) == SIGINT {
      interrupts += 1
      if interrupts < 2 && !exitsOnFirstInterrupt { return }
    }
    let status = exitsOnFirstInterrupt ? 0 : 128 + Int32(byte)
    exitAnyway(status, after: 1)
    // Before the flushes, which the deadline may cut short: `.nrepl-port` must go either way.
    cleanup?()
    interpreter.runtime.output.flush()
    interpreter.runtime.errorOutput.flush()
    exit(status)
  }

  /// The status `exitAnyway`'s alarm ends the process with (set on the signal thread, read in
  /// the handler on any thread: atomic, and lock-free, so async-signal-safe).
  private static let deadlineStatus = Atomic<Int32>(1)

  /// Ends the process with `status` in `seconds` unless it has ended by then. Flushing waits
  /// for a pipe nobody reads (a paused pager, a stuck consumer) — and for the program's own
  /// write blocked on it, which holds the output — so SIGTERM and a second Ctrl-C ended
  /// nothing; what can be written in that time is, the rest is lost.
  private static func exitAnyway(_ status: Int32, after seconds: UInt32) {
    deadlineStatus.store(status, ordering: .sequentiallyConsistent)
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in _exit(ProcessSignals.deadlineStatus.load(ordering: .relaxed)) }
    sigemptyset(&action.sa_mask)
    guard sigaction(SIGALRM, &action, nil) == 0 else { return }
    unblock([SIGALRM])
    alarm(seconds)
  }

  /// `body`'s status, written by its thread before it signals the waiting one.
  private final class StatusBox: @unchecked Sendable {
    var value: Int32 = 1
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

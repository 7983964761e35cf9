// What each command-line mode does, as functions returning an exit code (the CLI stays thin).

import Foundation
import OxurSyntax
import Treebeard
import TreebeardWatch

public enum Session {
  /// Defines a host's builtins (the CLI's HTTP server) in each new interpreter.
  public typealias Installer = (Interpreter) -> Void

  /// Errors are coloured on a terminal in every mode; output only at the REPL (a program's
  /// own lines are its business).
  static func makeInterpreter(
    loadPath: [String], arguments: [String] = [], colorsOutput: Bool = false, install: Installer
  ) -> Interpreter {
    let output = StandardOutput()
    let errors = StandardOutput(descriptor: 2, limit: 0)
    let interpreter = Interpreter(
      output: colorsOutput && Colors.enabled(descriptor: 1) ? ColoringOutput(output) : output,
      errorOutput: Colors.enabled(descriptor: 2) ? ColoringOutput(errors) : errors)
    interpreter.runtime.loadPath = loadPath
    interpreter.runtime.programArguments = arguments
    install(interpreter)
    return interpreter
  }

  /// `treebeard` with no file: the REPL (prompted on a terminal, silent when piped).
  /// With `server`, an nREPL server shares the REPL's modules (`treebeard --nrepl`).
  public static func runREPL(
    loadPath: [String], watch: WatchOptions = WatchOptions(), server: ServerStart? = nil, install: Installer = { _ in }
  ) -> Int32 {
    let interpreter = makeInterpreter(loadPath: loadPath, colorsOutput: true, install: install)
    interpreter.runtime.announcesHotLoads = true
    guard let stopServer = startServer(server, interpreter) else { return 1 }
    // SIGTERM removes .nrepl-port on the way out; Ctrl-C stays the REPL's.
    if server != nil {
      ProcessSignals.install(evaluation: EvaluationHandle(interpreter: interpreter), interpreter: interpreter)
    }
    defer { stopServer() }
    let watcher = WatchBuiltins.install(in: interpreter, options: watch)
    defer { watcher.stop() }
    // On the main thread: libedit's Ctrl-C and window-size handling expect the thread the
    // terminal's signals go to. Each entry runs on a large-stack thread `LargeStack` keeps.
    return checkedOutput(REPL(interpreter: interpreter).run(), interpreter)
  }

  /// Starts a server on an interpreter and returns how to stop it (`treebeard nrepl`, `run --nrepl`).
  public typealias ServerStart = (Interpreter) throws -> @Sendable () -> Void

  /// `treebeard nrepl`: no program, only the server, until Ctrl-C or SIGTERM.
  public static func serve(loadPath: [String], start: ServerStart, install: Installer = { _ in }) -> Int32 {
    let interpreter = makeInterpreter(loadPath: loadPath, install: install)
    interpreter.runtime.announcesHotLoads = true
    do {
      ProcessSignals.cleanup = try start(interpreter)
    } catch {
      report(error as? OxurError ?? OxurError("nrepl", "cannot start the nREPL server: \(error)"), interpreter)
      return 1
    }
    ProcessSignals.exitsOnFirstInterrupt = true
    ProcessSignals.install(evaluation: EvaluationHandle(interpreter: interpreter), interpreter: interpreter)
    while true { Thread.sleep(forTimeInterval: 3600) }
  }

  /// `treebeard run FILE ARGS…`: load FILE as a module, then call its `main` if it has one.
  /// With `watch`, the program's modules reload while it runs (`--watch`); with `server`, an
  /// nREPL server runs inside the program (`--nrepl`) until it ends.
  public static func runFile(
    _ file: String, arguments: [String], loadPath: [String], watch: WatchOptions? = nil, server: ServerStart? = nil,
    install: Installer = { _ in }
  ) -> Int32 {
    let interpreter = makeInterpreter(loadPath: loadPath, arguments: arguments, install: install)
    defer { interpreter.runtime.output.flush() }
    let evaluation = EvaluationHandle(interpreter: interpreter)
    guard let stopServer = startServer(server, interpreter) else { return 1 }
    defer { stopServer() }
    // Plain runs wait on the signal pipe while the program runs (one thread fewer at start-up);
    // with a server or a watcher to stop afterwards, a signal thread serves until the process ends.
    let plain = watch == nil && server == nil
    if !plain { ProcessSignals.install(evaluation: evaluation, interpreter: interpreter) }
    let watcher = WatchBuiltins.install(in: interpreter, options: watch ?? WatchOptions())
    defer { watcher.stop() }
    let program: @Sendable () -> Int32 = {
      runProgram(
        file, arguments: arguments, interpreter: interpreter, evaluation: evaluation,
        watcher: watch == nil ? nil : watcher)
    }
    let status =
      plain ? ProcessSignals.runServicingSignals(evaluation: evaluation, interpreter: interpreter, program) : program()
    return checkedOutput(status, interpreter)
  }

  /// Loads FILE and calls its `main`: `runFile`'s work, on whichever thread runs it. Returns the
  /// exit status; `watcher` is told to follow the loaded modules (`--watch`).
  private static func runProgram(
    _ file: String, arguments: [String], interpreter: Interpreter, evaluation: EvaluationHandle, watcher: Watcher?
  ) -> Int32 {
    do {
      let outcome = try interpreter.load(path: file, handle: evaluation)
      if ProcessSignals.interruptRequested.load(ordering: .relaxed) { throw OxurError("interrupted", "interrupted") }
      try watcher?.watchLoadedModules()
      guard
        interpreter.hasFunction(module: outcome.module, name: "main")
          || interpreter.hasMacro(module: outcome.module, name: "main")
      else {
        // A file of definitions without main is most often a typo (`mian`): say so.
        let defined = interpreter.functionNames(module: outcome.module)
        if !defined.isEmpty {
          interpreter.runtime.reportProblem(
            "⚠ no main function in \(file) (defined: \(defined.joined(separator: ", ")))\n")
        }
        return interpreter.runtime.failedLoads > 0 ? 1 : 0
      }
      _ = try interpreter.callMain(module: outcome.module, arguments: arguments, handle: evaluation)
      return interpreter.runtime.failedLoads > 0 ? 1 : 0
    } catch {
      return exitStatus(reporting: error, interpreter)
    }
  }

  /// How a `run` or `eval` that threw ends: `(exit n)` with n; an interrupt, reported, 130;
  /// any other error, reported, 1.
  private static func exitStatus(reporting error: any Error, _ interpreter: Interpreter) -> Int32 {
    if let exit = error as? ExitRequest { return exit.code }
    let failure: OxurError
    if let load = error as? LoadFailure {
      if let exit = load.exit { return exit.code }
      failure = load.error
    } else {
      failure = error as? OxurError ?? OxurError("internal", "\(error)")
    }
    report(failure, interpreter)
    return failure.kind == "interrupted" ? 130 : 1
  }

  /// `treebeard eval 'EXPR'`: print the value of the last form.
  public static func evalExpression(_ expression: String, loadPath: [String], install: Installer = { _ in }) -> Int32 {
    let interpreter = makeInterpreter(loadPath: loadPath, install: install)
    defer { interpreter.runtime.output.flush() }
    let evaluation = EvaluationHandle(interpreter: interpreter)
    let status = ProcessSignals.runServicingSignals(evaluation: evaluation, interpreter: interpreter) {
      do {
        let value = try interpreter.eval(expression, file: "<eval>", handle: evaluation)
        if !value.isVoid { interpreter.runtime.output.write(value.printed + "\n") }
        // A load the expression asked for failed (and was reported): not a success.
        return interpreter.runtime.failedLoads > 0 ? 1 : 0
      } catch {
        return exitStatus(reporting: error, interpreter)
      }
    }
    return checkedOutput(status, interpreter)
  }

  /// `treebeard check FILE`: read, expand and analyze without running.
  public static func checkFile(_ file: String, loadPath: [String] = [], install: Installer = { _ in }) -> Int32 {
    let interpreter = makeInterpreter(loadPath: loadPath, install: install)
    defer { interpreter.runtime.output.flush() }
    // Ctrl-C stops a macro or an imported top level that loops: `check` ignored it.
    let evaluation = EvaluationHandle(interpreter: interpreter)
    let status = ProcessSignals.runServicingSignals(evaluation: evaluation, interpreter: interpreter) {
      do {
        try interpreter.check(path: file, handle: evaluation)
        interpreter.runtime.output.write("✓ \(file): no problems found\n")
        return 0
      } catch {
        // A macro that ran (exit n) while the file was expanded ends the program, as a load would.
        return exitStatus(reporting: error, interpreter)
      }
    }
    return checkedOutput(status, interpreter)
  }

  /// Starts the nREPL server beside a session (none: a stop that does nothing) and makes a
  /// signal's exit stop it too; nil when it could not start, which is reported.
  static func startServer(_ server: ServerStart?, _ interpreter: Interpreter) -> (@Sendable () -> Void)? {
    guard let server else { return {} }
    do {
      let stop = try server(interpreter)
      ProcessSignals.cleanup = stop
      return stop
    } catch {
      report(error as? OxurError ?? OxurError("nrepl", "cannot start the nREPL server: \(error)"), interpreter)
      return nil
    }
  }

  /// A run whose output could not all be written (a full disk, `> /dev/full`) did not succeed,
  /// whatever its own status: it exited 0 with the output lost. Said on error output, then 1.
  static func checkedOutput(_ status: Int32, _ interpreter: Interpreter) -> Int32 {
    interpreter.runtime.output.flush()
    guard status == 0, let failure = interpreter.runtime.output.failure else { return status }
    interpreter.runtime.reportProblem("✗ \(failure)\n")
    return 1
  }

  static func report(_ error: OxurError, _ interpreter: Interpreter) {
    interpreter.runtime.output.flush()
    interpreter.runtime.reportProblem(ErrorRenderer.render(error) + "\n")
  }
}

// `treebeard run --watch` end to end (pipe and terminal), and output that shows as it is printed.

import Foundation
import Testing

/// `treebeard` running in the background: output read as it comes, signals, a bounded wait.
private final class RunningProgram: @unchecked Sendable {
  private let process = Process()
  private let lock = NSLock()
  private var outData = Data()
  private var errData = Data()
  /// End of file seen on stdout and stderr: everything the program wrote has been read.
  private var closedStreams = 0

  init(
    _ arguments: [String], in directory: URL, environment: [String: String] = [:], executable: URL = Executable.url
  ) throws {
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let output = Pipe()
    let error = Pipe()
    process.standardInput = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // A blocking reader thread per stream, not a readabilityHandler: cancelling a handler from
    // inside itself at end of file once crashed libdispatch's event loop in the test process.
    read(output.fileHandleForReading) { program, data in program.outData.append(data) }
    read(error.fileHandleForReading) { program, data in program.errData.append(data) }
  }

  private func read(_ handle: FileHandle, into keep: @escaping @Sendable (RunningProgram, Data) -> Void) {
    Thread.detachNewThread { [self] in
      while true {
        let data = handle.availableData
        lock.withLock {
          if data.isEmpty { closedStreams += 1 } else { keep(self, data) }
        }
        if data.isEmpty { return }
      }
    }
  }

  var out: String { lock.withLock { String(decoding: outData, as: UTF8.self) } }
  var err: String { lock.withLock { String(decoding: errData, as: UTF8.self) } }

  func signal(_ number: Int32) { _ = kill(process.processIdentifier, number) }

  /// The exit status, or nil (after recording an issue and killing it) when it runs past `timeout`.
  func exitStatus(timeout: TimeInterval = 30, sourceLocation: SourceLocation = #_sourceLocation) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning {
      Issue.record("treebeard still running after \(Int(timeout)) s", sourceLocation: sourceLocation)
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      return nil
    }
    // End of file can come late: a process another test spawns meanwhile may inherit our pipes
    // until it execs or exits. Expectations on output wait for it with `shows`, not on this.
    let drained = Date().addingTimeInterval(2)
    while lock.withLock({ closedStreams < 2 }) && Date() < drained { Thread.sleep(forTimeInterval: 0.005) }
    return process.terminationStatus
  }

  /// Waits until the output read so far satisfies `condition`; records an issue (with the
  /// output) when it does not within `timeout`.
  @discardableResult
  func shows(
    _ what: String, timeout: TimeInterval = 20, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: (_ out: String, _ err: String) -> Bool
  ) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition(out, err) {
      if Date() > deadline {
        Issue.record("timed out waiting until \(what)\nstdout: \(out)\nstderr: \(err)", sourceLocation: sourceLocation)
        return false
      }
      Thread.sleep(forTimeInterval: 0.005)
    }
    return true
  }

  deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

@Suite(.serialized) struct RunWatchTests {
  /// A loop prints what `answer` returns; an edit made while it runs switches its output, and
  /// the program stops by itself once it has seen the new code. Output arrives through the pipe
  /// while it runs (flushed at every `sleep`).
  @Test(arguments: ["inotify", "poll"]) func runWatchSwitchesARunningProgram(_ backend: String) throws {
    let directory = ModuleDirectory()
    let program = """
      (module loop)
      (defn answer [] :old)
      (defn main []
        (loop [i 0]
          (let [a (answer)]
            (println a)
            (sleep 10)
            (if (or (= a :new) (> i 3000)) a (recur (+ i 1))))))

      """
    directory.write("loop.oxur", program)
    let running = try RunningProgram(
      ["run", "--watch", "--watch-backend=\(backend)", "loop.oxur"], in: directory.url)
    waitUntil("the old code's output shows while the program runs", timeout: 30) { running.out.contains(":old\n") }
    directory.write(
      "loop.oxur", program.replacingOccurrences(of: "(defn answer [] :old)", with: "(defn answer [] :new)"))
    let status = running.exitStatus()
    #expect(status == 0, "\(running.err)")
    running.shows("the new code's output and the reload line") { out, _ in
      out.contains(":new\n") && out.contains("↻ Auto-reloaded: loop (version 2, ")
    }
    // What a reload says of code running now (hot-reload.md), and nothing else.
    #expect(running.err == "⚠ loop: loop:main running now; that call finishes in version 1's code\n", "\(running.err)")
  }

  /// Copies a program's terminal output to our stdout: the program runs on a pseudo-terminal.
  private static let onTerminal = """
    import os, pty, sys
    pid, master = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], sys.argv[1:])
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        os.write(1, data)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
    """

  /// On a terminal every line shows when printed: a loop that never sleeps (nothing else
  /// flushes) shows its first line, then switches when the file is saved.
  @Test func runWatchOnATerminalShowsEachLineAsPrinted() throws {
    let python = URL(fileURLWithPath: "/usr/bin/python3")
    guard FileManager.default.isExecutableFile(atPath: python.path) else { return }
    let directory = ModuleDirectory()
    let program = """
      (module spin)
      (defn answer [] :old)
      (defn main []
        (loop [last nil i 0]
          (let [a (answer)]
            (when (not= a last) (println a))
            (if (or (= a :new) (> i 100000000)) a (recur a (+ i 1))))))

      """
    directory.write("spin.oxur", program)
    let running = try RunningProgram(
      ["-c", Self.onTerminal, Executable.url.path, "run", "--watch", "spin.oxur"], in: directory.url,
      executable: python)
    waitUntil("the first line shows on the terminal", timeout: 30) { running.out.contains(":old") }
    directory.write(
      "spin.oxur", program.replacingOccurrences(of: "(defn answer [] :old)", with: "(defn answer [] :new)"))
    #expect(running.exitStatus() == 0, "\(running.out)")
    running.shows("the new code's output and the reload line") { out, _ in
      out.contains(":new") && out.contains("↻ Auto-reloaded: spin (version 2, ")
    }
  }

  @Test func runWatchRejectsAnUnknownBackend() throws {
    let result = try Executable.run(["run", "--watch", "--watch-backend=carrier-pigeon", "x.oxur"])
    #expect(result.status != 0)
    #expect(result.stderr.contains("inotify or poll"))
  }

  /// A negative quiet time was taken as none, which reloads half-written saves.
  @Test func runWatchRejectsANegativeDebounce() throws {
    for value in ["-5", "-9223372036854775808"] {
      let result = try Executable.run(["run", "--watch", "--watch-debounce=\(value)", "x.oxur"])
      #expect(result.status != 0)
      #expect(
        result.stderr.contains("--watch-debounce takes milliseconds, 0 or more, not \(value)"), "\(result.stderr)")
    }
  }

  /// Ctrl-C during `run` ends with an Oxur "interrupted" error, its stack trace, and 130.
  @Test func anInterruptedRunReportsWhereItWasAndExits130() throws {
    let directory = ModuleDirectory()
    directory.write(
      "spin.oxur",
      """
      (module spin)
      (defn spin [i] (when (= i 1) (println "spinning")) (sleep 1) (spin (+ i 1)))
      (defn main [] (spin 0))

      """)
    let running = try RunningProgram(["run", "spin.oxur"], in: directory.url)
    waitUntil("the program runs", timeout: 30) { running.out.contains("spinning\n") }
    running.signal(SIGINT)
    #expect(running.exitStatus() == 130)
    running.shows("the interrupted error with its stack trace") { _, err in
      err.contains("✗ Error") && err.contains("interrupted") && err.contains("Stack trace") && err.contains("in spin")
    }
  }

  /// A main that is no function, takes no argument count run can pass, or is a macro: the
  /// first two were reported with no place; a macro main ran nothing and exited 0.
  @Test func aMainThatCannotBeCalledIsPlacedAtItsDefinition() throws {
    let directory = ModuleDirectory()
    let cases = [
      ("(def main 5)", "e.oxur:2:1: main of e is 5, not a function"),
      ("(defn main [a b c] 1)", "e.oxur:2:1: wrong number of arguments to e:main: expected 3, got 0"),
      ("(defmacro main [] 5)", "e.oxur:2:1: main of e is a macro; run calls a function named main"),
    ]
    for (definition, message) in cases {
      directory.write("e.oxur", "(module e)\n\(definition)\n")
      let result = try Executable.run(["run", "e.oxur"], in: directory.url)
      #expect(result.status == 1, "\(definition)")
      #expect(result.stderr.contains("✗ Error at \(message)"), "\(result.stderr)")
    }
    // A main that refers to another function takes its arguments as a defn main would: the
    // referred function's arity was not looked at, and one taking none failed.
    directory.write("e.oxur", "(module e)\n(defn helper [] (println \"ran\"))\n(def main helper)\n")
    let referred = try Executable.run(["run", "e.oxur", "x", "y"], in: directory.url)
    #expect(referred.status == 0, "\(referred.stderr)")
    #expect(referred.stdout == "ran\n")
  }

  /// `treebeard check` ignored Ctrl-C: a macro that loops (or an imported top level that
  /// sleeps) held it until SIGKILL.
  @Test func ctrlCStopsACheckWhoseMacroLoops() throws {
    let directory = ModuleDirectory()
    directory.write("b.oxur", "(module b)\n(defmacro m [] (spit \"expanding\" \"\") (loop [] (recur)))\n(m)\n")
    let running = try RunningProgram(["check", "b.oxur"], in: directory.url)
    waitUntil("the macro runs", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("expanding")) }
    running.signal(SIGINT)
    #expect(running.exitStatus() == 130)
    running.shows("the interrupted error") { _, err in err.contains("✗ Error") && err.contains("interrupted") }
  }

  /// Ctrl-C while the file loads ends the run before `main`: a load whose forms call nothing
  /// passed no safe point, and the interrupt was dropped with the load's evaluation.
  @Test func anInterruptDuringTheLoadEndsTheRunBeforeMain() throws {
    let directory = ModuleDirectory()
    var lines = ["(module bigload)"]
    for index in 0..<30_000 { lines.append("(defn f\(index) [x] (+ x \(index)))") }
    lines.append("(defn main [] (println \"main ran\"))")
    directory.write("bigload.oxur", lines.joined(separator: "\n") + "\n")
    let running = try RunningProgram(["run", "bigload.oxur"], in: directory.url)
    Thread.sleep(forTimeInterval: 0.1)
    running.signal(SIGINT)
    #expect(running.exitStatus() == 130)
    running.shows("the interrupted error, and main never ran") { out, err in
      err.contains("interrupted") && !out.contains("main ran")
    }
  }

  /// A save whose top level never ends held the evaluator in the watcher's reload: Ctrl-C
  /// interrupted only `main`, which waited behind it for good. It stops the reload too (rolled
  /// back), and then `main`.
  @Test func ctrlCStopsAWatchReloadThatNeverEnds() throws {
    let directory = ModuleDirectory()
    directory.write("app.oxur", "(module app)\n(defn main [] (println \"up\") (loop [] (sleep 5) (recur)))\n")
    let running = try RunningProgram(["run", "--watch", "app.oxur"], in: directory.url)
    running.shows("the program runs") { out, _ in out.contains("up\n") }
    Thread.sleep(forTimeInterval: 0.3)
    directory.write(
      "app.oxur",
      "(module app)\n(def started (spit \"spinning\" \"\"))\n(def spin (loop [] (recur)))\n"
        + "(defn main [] (loop [] (sleep 5) (recur)))\n")
    waitUntil("the reload spins", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("spinning")) }
    running.signal(SIGINT)
    #expect(running.exitStatus() == 130)
    // Placed on line 3: at the loop (3:11), or at the form (3:1) when the signal lands while
    // that line is still being analyzed, which a slow build (ThreadSanitizer in CI) makes likely.
    running.shows("the reload stopped and rolled back") { _, err in
      (err.contains("app.oxur:3:11: interrupted") || err.contains("app.oxur:3:1: interrupted"))
        && err.contains("Module not reloaded")
    }
  }

  /// A closed terminal (SIGHUP) ends a run as SIGTERM does, writing out its output: status 129.
  @Test func aHangUpEndsARunWithItsOutput() throws {
    let directory = ModuleDirectory()
    directory.write(
      "app.oxur", "(module app)\n(defn main [] (println \"up\") (spit \"ready\" \"\") (loop [] (recur)))\n")
    let running = try RunningProgram(["run", "app.oxur"], in: directory.url)
    waitUntil("the program runs", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("ready")) }
    running.signal(SIGHUP)
    #expect(running.exitStatus() == 129)
    running.shows("the buffered line written out") { out, _ in out == "up\n" }
  }

  @Test func anInterruptedEvalExits130() throws {
    let running = try RunningProgram(
      ["eval", "(do (println \"looping\") (loop [i 0] (sleep 1) (recur (+ i 1))))"],
      in: FileManager.default.temporaryDirectory)
    waitUntil("the loop runs", timeout: 30) { running.out.contains("looping\n") }
    running.signal(SIGINT)
    #expect(running.exitStatus() == 130)
    running.shows("the interrupted error") { _, err in err.contains("interrupted") }
  }

  /// Output still in the buffer when SIGTERM ends the program is written out first; `(flush)`
  /// writes it at once, with no sleep or exit needed.
  @Test func flushAndSigtermWriteOutBufferedOutput() throws {
    let directory = ModuleDirectory()
    directory.write(
      "busy.oxur",
      """
      (module busy)
      (defn main []
        (println "flushed")
        (flush)
        (println "pending")
        (spit "ready" "yes")
        (loop [i 0] (recur (+ i 1))))

      """)
    let running = try RunningProgram(["run", "busy.oxur"], in: directory.url)
    waitUntil("(flush) shows the first line", timeout: 30) { running.out.contains("flushed\n") }
    waitUntil("the program is busy", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("ready")) }
    #expect(!running.out.contains("pending"), "a pipe is not line-buffered: the busy loop holds it")
    running.signal(SIGTERM)
    #expect(running.exitStatus() == 143)
    running.shows("the pending line written out at SIGTERM") { out, _ in out.contains("pending\n") }
    #expect(running.out == "flushed\npending\n", "\(running.out)")
  }

  /// A program writing to a pipe nobody reads blocks in its write; SIGTERM flushed the same
  /// pipe on the way out, and the process never ended.
  @Test(arguments: [[SIGTERM], [SIGINT, SIGINT]])
  func aSignalEndsAProgramBlockedOnAFullPipe(signals: [Int32]) throws {
    let directory = ModuleDirectory()
    directory.write(
      "chatty.oxur",
      """
      (module chatty)
      (defn main []
        (spit "ready" "yes")
        (loop [] (println "a line nobody reads, again and again and again") (recur)))

      """)
    let process = Process()
    process.executableURL = Executable.url
    process.arguments = ["run", "chatty.oxur"]
    process.currentDirectoryURL = directory.url
    let unread = Pipe()
    process.standardOutput = unread
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    waitUntil("the program runs", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("ready")) }
    // The pipe holds 64 KiB: the loop fills it at once and blocks.
    Thread.sleep(forTimeInterval: 0.3)
    for signal in signals {
      kill(process.processIdentifier, signal)
      Thread.sleep(forTimeInterval: 0.1)
    }
    #expect(waitUntil("the process ends", timeout: 15) { !process.isRunning })
    if !process.isRunning { #expect(process.terminationStatus == 128 + signals[0]) }
    withExtendedLifetime(unread) {}
  }
}

// A program that outgrows the process's memory limits gets an Oxur error; the host lives on.

import Foundation
import Testing

@testable import Treebeard

/// Runs `treebeard` under a shell's `ulimit` (the limit is the test's subject, so it is set for
/// the child alone). Ends it and records a failure if it has not finished within a minute:
/// before `LargeStack` reported a refused thread, a too-low limit made `eval` wait for ever.
private func runLimited(_ limit: String, _ arguments: [String], stdin: String = "") throws -> ProcessResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/sh")
  process.arguments = ["-c", "ulimit \(limit) && exec \"$0\" \"$@\"", Executable.url.path] + arguments
  let input = Pipe()
  let output = Pipe()
  let error = Pipe()
  process.standardInput = input
  process.standardOutput = output
  process.standardError = error
  try process.run()
  input.fileHandleForWriting.write(Data(stdin.utf8))
  try input.fileHandleForWriting.close()
  let finished = DispatchSemaphore(value: 0)
  let reader = OutputReader(output: output, error: error)
  Thread.detachNewThread {
    reader.readAll()
    finished.signal()
  }
  if finished.wait(timeout: .now() + 60) == .timedOut {
    process.terminate()
    Issue.record("treebeard \(arguments) under ulimit \(limit) did not finish within a minute")
    finished.wait()
  }
  process.waitUntilExit()
  return ProcessResult(status: process.terminationStatus, stdout: reader.out, stderr: reader.err)
}

private final class OutputReader: @unchecked Sendable {
  let output: Pipe
  let error: Pipe
  var out = ""
  var err = ""
  init(output: Pipe, error: Pipe) {
    self.output = output
    self.error = error
  }

  func readAll() {
    let errorText = ErrorText(error)
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
      errorText.read()
      done.signal()
    }
    out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    done.wait()
    err = errorText.text
  }
}

private final class ErrorText: @unchecked Sendable {
  let pipe: Pipe
  var text = ""
  init(_ pipe: Pipe) { self.pipe = pipe }
  func read() { text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
}

/// An address-space limit about 400 MB above what treebeard takes at rest (1 GiB of it the
/// evaluation thread's stack reservation): room to run, not to build gigabytes.
private let addressLimit = "-v 1600000"

@Suite struct MemoryLimitTests {
  /// One block larger than what is left is refused before it is asked for (Swift would trap).
  @Test func aRepeatLargerThanTheLimitIsAnErrorNotACrash() throws {
    let result = try runLimited(addressLimit, ["eval", "(count (repeat 99999999 1))"])
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stderr.contains("out of memory: (repeat 99999999 …) needs 1525 MB"), "\(result.stderr)")
    #expect(result.stderr.contains("(ulimit -v)"))
    #expect(!result.stderr.contains("Fatal error"))
  }

  /// The data limit (`ulimit -d`) is watched as well as the address space.
  @Test func theDataLimitIsWatchedToo() throws {
    let result = try runLimited("-d 1600000", ["eval", "(count (join \",\" (repeat 30000000 \"abcdefgh\")))"])
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stderr.contains("out of memory"), "\(result.stderr)")
    #expect(result.stderr.contains("(ulimit -d)"), "\(result.stderr)")
  }

  /// Memory taken a little at a time (a vector grown in a loop) is noticed by the monitor, and
  /// the program stops with an error at its next safe point instead of failing an allocation.
  @Test func aLoopGrowingPastTheLimitStopsWithAnError() throws {
    let directory = ModuleDirectory()
    directory.write(
      "grow.oxur",
      """
      (module grow)
      (defn main []
        (println "growing")
        (loop [v [] i 0] (recur (conj v (str "row " i)) (inc i))))

      """)
    let result = try runLimited(addressLimit, ["run", directory.path("grow.oxur")])
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout == "growing\n")
    #expect(result.stderr.contains("out of memory: the process reached"), "\(result.stderr)")
    #expect(result.stderr.contains("the running evaluation was stopped"))
    #expect(result.stderr.contains("in grow:main"), "a stack trace: \(result.stderr)")
  }

  /// After an out-of-memory error the REPL answers the next entries: what the failed entry built
  /// was freed, and the session's one evaluation thread keeps its stack.
  @Test func theReplGoesOnAfterAnOutOfMemoryError() throws {
    let result = try runLimited(
      addressLimit, [],
      stdin: """
        (def kept (vec (range 1000)))
        (count (loop [v [] i 0] (recur (conj v [i i i]) (inc i))))
        (+ 1 2)
        (count (repeat 99999999 0))
        (count kept)
        (count (loop [v [] i 0] (if (< i 100000) (recur (conj v i) (inc i)) v)))

        """)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == "kept\n3\n1000\n100000\n", "\(result.stdout)")
    #expect(result.stderr.components(separatedBy: "out of memory").count == 3, "\(result.stderr)")
  }

  /// A limit too low for the evaluation thread's stack is reported at once (it used to hang).
  @Test func aLimitTooLowForTheEvaluationThreadIsAnErrorNotAHang() throws {
    for arguments in [["eval", "(+ 1 2)"], ["run", "/nonexistent.oxur"]] {
      let result = try runLimited("-v 1000000", arguments)
      #expect(result.status == 1, "\(arguments): \(result.stderr)")
      #expect(result.stderr.contains("cannot start an evaluation thread"), "\(result.stderr)")
    }
    let repl = try runLimited("-v 1000000", [], stdin: "(+ 1 2)\n")
    #expect(repl.status == 1)
    #expect(repl.stderr.contains("cannot start an evaluation thread"), "\(repl.stderr)")
  }

  /// `apply` counts before it copies: more arguments than a call can take fail at once.
  @Test func applyOfMoreArgumentsThanACallTakesIsRefusedBeforeCopying() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    #expect(throws: OxurError.self) { try interpreter.eval("(apply + (repeat 5000000 1))") }
    let fits = try interpreter.eval("(apply + (repeat 100000 1))")
    #expect(fits.printed == "100000")
  }

  /// `take` walks only as far as it takes (it copied the whole collection first).
  @Test func takeReadsOnlyWhatItTakes() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let cases = [
      "(take 2 (repeat 5000000 1))": "[1 1]", "(take 3 [1 2 3 4 5])": "[1 2 3]", "(take 0 [1 2])": "[]",
      "(take -1 [1 2])": "[]", "(take 9 (list 1 2))": "[1 2]", "(take 2 \"abc\")": "[\\a \\b]",
      "(take 5 #{7})": "[7]", "(take 1 nil)": "[]", "(take 2 {:a 1})": "[[:a 1]]",
    ]
    for (source, expected) in cases {
      let value = try interpreter.eval(source)
      #expect(value.printed == expected, "\(source)")
    }
  }
}

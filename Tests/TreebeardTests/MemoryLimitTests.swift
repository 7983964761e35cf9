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

  /// `repeat` built an array, then the vector from it: 240 MB of elements peaked at 480 MB and
  /// was refused here. It builds the vector in place now, so only the elements count.
  @Test func aRepeatBuiltInPlaceNeedsNoCopy() throws {
    let result = try runLimited(addressLimit, ["eval", "(count (repeat 15000000 1))"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == "15000000\n", "\(result.stdout)")
  }

  /// One line holding a vector literal of millions of numbers, under `ulimit -v`: the reader asked
  /// for gigabytes at once (20 million numbers; `ReaderMemoryTests` checks the reader's side),
  /// the analysis for a node a number, and the report of a failure copied the whole line into
  /// an array of characters; each trapped (exit 134). Now each is an error, or the literal
  /// fits, and the REPL goes on. (Sizes kept small: the tests run the debug build.)
  @Test(arguments: [1_000_000, 3_000_000])
  func aHugeLiteralOnOneLineIsAnErrorOrFitsButNeverACrash(_ count: Int) throws {
    let line = "(count [" + String(repeating: "1 ", count: count) + "])\n(+ 1 2)\n"
    let result = try runLimited(addressLimit, [], stdin: line)
    #expect(result.status == 0, "\(result.stderr.prefix(2000))")
    #expect(!result.stderr.contains("Fatal error"))
    #expect(result.stdout.hasSuffix("3\n"), "the REPL went on: \(result.stdout.suffix(200))")
    if !result.stdout.hasPrefix("\(count)\n") {
      // Out of memory, or no room left for the evaluation thread's stack: an error either way.
      #expect(result.stderr.hasPrefix("✗ "), "\(result.stderr.prefix(2000))")
    }
  }

  /// `take` of two elements of a large vector copies two: it copied every element first,
  /// which here does not fit.
  @Test func takeOfAFewElementsOfALargeVectorFits() throws {
    let result = try runLimited(
      "-v 2000000", [], stdin: "(def big (repeat 12000000 1))\n(take 2 big)\n(count (vec big))\n")
    #expect(result.stdout.hasPrefix("big\n[1 1]\n"), "\(result.stdout) \(result.stderr)")
    #expect(result.stderr.contains("out of memory: vec's elements needs"), "\(result.stderr)")
  }

  /// Builtins whose loops call builtins or build in Swift pass no safe point of the evaluator's:
  /// they take the monitor's signal themselves (each of these trapped).
  @Test(arguments: [
    "(count (partition 2 (range 10000000)))", "(count (map vector (range 10000000)))",
    "(count (group-by identity (range 10000000)))", "(let [v (vec (range 5000000))] (count (concat v v v v v v)))",
    "(count (split (join \",\" (range 20000000)) \",\"))",
  ])
  func builtinLoopsStopWithAnError(_ source: String) throws {
    let result = try runLimited(addressLimit, ["eval", source])
    #expect(result.status == 1, "\(source): \(result.stderr)")
    #expect(result.stderr.contains("out of memory"), "\(source): \(result.stderr)")
  }

  /// Builtins that make one block from a string (its chars, the replaced text, the printed
  /// text) asked for it without the guard, and Swift trapped (`Fatal error: failed to allocate`).
  @Test(arguments: [
    "(count (vec S))", "(count (reverse S))", "(count (frequencies S))", "(count (map int S))",
    "(count (replace S \"x\" \"yyyyyyyyyyyyyyyy\"))", "(count (pr-str (vec (repeat 6 S))))",
    "(count (str (vec (repeat 6 S))))",
  ])
  func blocksMadeFromAStringAreRefusedNotTrapped(_ template: String) throws {
    // S: a 32 MiB string, made by doubling.
    let text = "(loop [i 0 s \"x\"] (if (< i 25) (recur (inc i) (str s s)) s))"
    let source = template.replacingOccurrences(of: "S", with: text)
    let result = try runLimited(addressLimit, ["eval", source])
    #expect(result.status == 1, "\(template): \(result.stderr)")
    #expect(result.stderr.contains("out of memory"), "\(template): \(result.stderr)")
    #expect(!result.stderr.contains("Fatal error"), "\(template): \(result.stderr)")
  }

  /// Freed memory is not given back to the system, so after two such errors use stays near the
  /// limit: the third program growing must still be stopped, not trap (the heap then grows only
  /// by what is asked, and near the limit any growth is signalled).
  @Test func aThirdProgramGrowingNearTheLimitIsStoppedToo() throws {
    let grow = "(count (loop [v [] i 0] (recur (conj v [i i]) (inc i))))"
    let result = try runLimited(
      addressLimit, [], stdin: "\(grow)\n\(grow)\n\(grow)\n\(grow)\n(count (partition 2 (range 1000000)))\n(+ 1 2)\n")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.hasSuffix("3\n"), "\(result.stdout)")
    #expect(result.stderr.components(separatedBy: "out of memory").count >= 5, "\(result.stderr)")
    #expect(!result.stderr.contains("Fatal error"))
  }

  /// A limit leaving little room past the evaluation thread's 1 GiB does not stop programs that
  /// take no memory: the headroom is a quarter of that room at most.
  @Test func aLowLimitStillRunsAProgramThatTakesNoMemory() throws {
    let result = try runLimited(
      "-v 1300000", ["eval", "(do (defn f [n a] (if (= n 0) a (f (- n 1) (+ a 1)))) (f 300000 0))"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == "300000\n")
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
    let repl = try runLimited("-v 1000000", [], stdin: "(+ 1 2)\n(+ 3 4)\n")
    #expect(repl.stdout == "")
    #expect(repl.stderr.components(separatedBy: "cannot start an evaluation thread").count == 3, "\(repl.stderr)")
  }

  /// A value stack that cannot be had is an error (`allocate` trapped: a `spawn` or an HTTP
  /// request under `ulimit -v` ended the process).
  @Test func aMachineWhoseStackCannotBeHadIsAnError() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let error = #expect(throws: OxurError.self) { try Machine(runtime: interpreter.runtime, slots: 1 << 50) }
    #expect(error?.kind == "out-of-memory")
    #expect(throws: OxurError.self) { try Machine(runtime: interpreter.runtime, slots: Int.max) }
  }

  /// `apply` counts before it copies: more arguments than a call can take fail at once.
  @Test func applyOfMoreArgumentsThanACallTakesIsRefusedBeforeCopying() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let error = #expect(throws: OxurError.self) { try interpreter.eval("(apply + 1 (repeat 5000000 1))") }
    #expect(error?.kind == "stack-overflow")
    #expect(error?.message.hasPrefix("apply: 5000001 arguments are more than a call can take") == true)
    let fits = try interpreter.eval("(apply + (repeat 100000 1))")
    #expect(fits.printed == "100000")
  }

  /// `take` over every kind of collection, now that it walks vectors and lists only as far as
  /// it takes (the limit test above shows that part).
  @Test func takeTakesFromEveryKindOfCollection() throws {
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

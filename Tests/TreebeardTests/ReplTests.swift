// End to end REPL behaviour: Ctrl-C keeps the session, namespaces, REPL state across reloads.

import Foundation
import Testing

@Suite struct ReplTests {
  @Test func controlCInterruptsTheEvaluationAndKeepsTheSession() throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    #expect(repl.send("(def kept 41)").out == "kept\n")
    // Ctrl-C only once the loop runs: one pressed while nothing runs is dropped.
    repl.submit(#"(do (spit "running.txt" "") (loop [i 0] (recur (inc i))))"#)
    if waitUntil("the loop runs", { FileManager.default.fileExists(atPath: directory.path("running.txt")) }) {
      repl.interrupt()
    }
    let answer = repl.answer()
    // Placed at the loop the interrupt stopped, with its line.
    #expect(answer.err.hasPrefix("✗ Error at <repl:4>:1:29: interrupted\n"), "\(answer.err)")
    #expect(repl.send("(inc kept)").out == "42\n")
    #expect(repl.close() == 0)
  }

  /// A deep recursion's stack pages are given back when its evaluation ends: the evaluation
  /// thread waits for the next entry, and kept them resident until the REPL exited.
  @Test func aDeepRecursionsStackIsGivenBackAfterIt() throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    func residentPages(_ source: String) -> Int? {
      let printed = repl.send(source).out.trimmingCharacters(in: CharacterSet(charactersIn: "\"\n"))
      return printed.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
    _ = repl.send("(defn deep [n] (if (= n 0) 0 (+ 1 (deep (- n 1)))))")
    let statm = #"(slurp "/proc/self/statm")"#
    guard let before = residentPages(statm), let during = residentPages("(do (deep 99000) \(statm))"),
      let after = residentPages(statm)
    else { return #expect(Bool(false), "no /proc/self/statm") }
    // 4 KiB pages: the recursion touched tens of megabytes of stack.
    #expect(during - before > 2_500, "before \(before), during \(during)")
    #expect(after - before < (during - before) / 4, "before \(before), during \(during), after \(after)")
    #expect(repl.send("(deep 10)").out == "10\n")
    #expect(repl.close() == 0)
  }

  /// The same in the REPL: an entry waiting behind a watcher's endless reload got no answer,
  /// whatever Ctrl-C did; now the reload stops, the old version stays, the session goes on.
  @Test func ctrlCStopsAWatchReloadThatNeverEndsInTheREPL() throws {
    let directory = ModuleDirectory()
    directory.write("wm.oxur", "(module wm)\n(defn f [] 1)\n")
    let repl = try ReplSession(in: directory.url)
    _ = repl.send(#"(load "wm.oxur")"#)
    _ = repl.send("(watch)")
    directory.write(
      "wm.oxur", "(module wm)\n(defn f [] 2)\n(def started (spit \"spinning\" \"\"))\n(def spin (loop [] (recur)))\n")
    waitUntil("the reload spins", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("spinning")) }
    repl.interrupt()
    let answer = repl.send("(wm:f)")
    #expect(answer.out.hasSuffix("1\n"), "\(answer)")
    // The watcher reports before it gives the evaluator back, so before the entry answers.
    #expect(answer.err.contains("Module not reloaded (keeping version 1)"), "\(answer)")
    #expect(answer.err.contains("save again to retry"), "\(answer)")
    #expect(repl.close() == 0)
  }

  /// A process's load whose top level never ends held the evaluator, and the REPL's next entry
  /// waited behind it with no way out: Ctrl-C now stops that load, and the session goes on.
  @Test func ctrlCStopsAProcesssEndlessLoadTheEntryWaitsBehind() throws {
    let directory = ModuleDirectory()
    directory.write(
      "forever.oxur", "(module forever)\n(def started (spit \"spinning\" \"\"))\n(def spin (loop [] (recur)))\n")
    let repl = try ReplSession(in: directory.url)
    // The pause keeps the load from taking the evaluator before this entry's answer is shown.
    _ = repl.send(#"(def p (spawn (fn [] (sleep 300) (load "forever.oxur"))))"#)
    waitUntil("the load spins", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("spinning")) }
    repl.submit("(+ 1 2)")
    Thread.sleep(forTimeInterval: 0.3)
    repl.interrupt()
    let stopped = repl.answer(timeout: 30)
    // The entry answers, and says nothing of an interrupt: what Ctrl-C stopped was the load.
    #expect(stopped.out.hasSuffix("3\n"), "\(stopped)")
    #expect(!stopped.err.contains("✗ Error: interrupted"), "\(stopped)")
    #expect(stopped.err.contains("Module not loaded: forever"), "\(stopped)")
    #expect(repl.send("(+ 40 2)").out.hasSuffix("42\n"))
    #expect(repl.send("(alive? p)").out.hasSuffix("false\n"))
    #expect(repl.close() == 0)
  }

  /// The REPL printed an entry's value after its evaluation, reading `*print-length*` then:
  /// behind a process that took the evaluator meanwhile (here a builtin busy for seconds) it
  /// waited, and a Ctrl-C in that wait belonged to no evaluation. The next entry, typed ahead,
  /// then cleared it and ran to the end. The value is now shown inside the evaluation, and a
  /// Ctrl-C after an entry was read stops it even while it waits for the evaluator.
  @Test func ctrlCStopsAnEntryTypedAheadWhileAProcessHoldsTheEvaluator() throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    repl.type("(def p (spawn (fn [] (spit \"busy\" \"\") (reduce + (range 6000000)))))\n")
    repl.submit("(loop [i 0] (if (< i 30000000) (recur (inc i)) :finished))")
    waitUntil("the process is busy", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("busy")) }
    Thread.sleep(forTimeInterval: 0.3)
    repl.interrupt()
    let stopped = repl.answer(timeout: 120)
    #expect(stopped.err.contains("interrupted"), "\(stopped)")
    #expect(!stopped.out.contains(":finished"), "\(stopped)")
    #expect(repl.send("(await p)").out.hasSuffix("17999997000000\n"))
    #expect(repl.close() == 0)
  }

  /// A load stopped by Ctrl-C printed its error twice: once as a failed load, again as the
  /// interrupt of the entry. Once now, followed by what the load kept.
  @Test func anInterruptedLoadIsReportedOnce() throws {
    let directory = ModuleDirectory()
    directory.write(
      "loopy.oxur", "(module loopy)\n(def started (spit \"spinning\" \"\"))\n(def spin (loop [] (recur)))\n")
    let repl = try ReplSession(in: directory.url)
    repl.submit(#"(load "loopy.oxur")"#)
    waitUntil("the load spins", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("spinning")) }
    repl.interrupt()
    let stopped = repl.answer(timeout: 60)
    #expect(stopped.err.components(separatedBy: "interrupted").count == 2, "\(stopped)")
    #expect(stopped.err.contains("loopy.oxur:3:"), "\(stopped)")
    #expect(stopped.err.hasSuffix("✗ Module not loaded: loopy\n"), "\(stopped)")
    #expect(repl.send("(+ 1 1)").out.hasSuffix("2\n"))
    #expect(repl.close() == 0)
  }

  /// A huge result under a large `*print-length*` printed for seconds whatever Ctrl-C did:
  /// showing it is part of the entry's evaluation now, and an interrupt stops it.
  @Test func ctrlCStopsShowingAHugeResult() throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    _ = repl.send("(def *print-length* 100000000)")
    // Thirty times one vector of a million: 30 M numbers to show, 8 MB to hold.
    _ = repl.send("(def big (let [v (vec (range 1000000))] (vec (repeat 30 v))))")
    repl.submit("big")
    Thread.sleep(forTimeInterval: 0.5)
    repl.interrupt()
    let stopped = repl.answer(timeout: 120)
    #expect(stopped.err.contains("interrupted"), "\(stopped.err)")
    #expect(stopped.out.utf8.count < 1_000_000, "\(stopped.out.utf8.count) bytes shown")
    #expect(repl.send("(count big)").out.hasSuffix("30\n"))
    #expect(repl.close() == 0)
  }

  /// After `(in-module calc)`, `*1` and `*e` were unknown names: they live in `user`. They are
  /// the session's in every module, as Clojure's are in every namespace.
  @Test func sessionVariablesWorkInEveryModule() throws {
    let directory = ModuleDirectory()
    directory.write("calc.oxur", "(module calc)\n(defn add [a b] (+ a b))\n")
    let repl = try ReplSession(in: directory.url)
    _ = repl.send(#"(load "calc.oxur")"#)
    _ = repl.send("(in-module calc)")
    // One entry each: the answer markers the session sends after an entry set `*1` too.
    #expect(repl.send("(+ 1 2) (add *1 10)").out.hasSuffix("3\n13\n"))
    #expect(repl.send("(/ 1 0) (:kind *e)").out.hasSuffix(":division-by-zero\n"))
    #expect(repl.close() == 0)
  }

  /// `*1` and `*e` were unknown names in a session's first entry ("did you mean *?"); they
  /// are nil until there is a result or an error to hold.
  @Test func sessionVariablesAreNilInTheFirstEntry() throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    #expect(repl.send("[*1 *2 *3 *e]").out == "[nil nil nil nil]\n")
    #expect(repl.close() == 0)
  }

  /// `read-line` in a piped session reads the line after the entry: the REPL's buffered read
  /// of standard input had taken it, `read-line` saw the end, and the line ran as code.
  @Test func readLineInAPipedSessionReadsTheNextLine() throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    repl.submit("(def n (read-line))\nAlice")
    #expect(repl.answer().out == "n\n")
    #expect(repl.send("n").out == "\"Alice\"\n")
    #expect(repl.close() == 0)
  }

  /// A save whose reload Ctrl-C stopped is not remembered as failed content: saved again
  /// unchanged, it is tried again (and, fixed, loads).
  @Test func aSaveStoppedByAnInterruptIsTriedAgainWhenSavedAgain() throws {
    let directory = ModuleDirectory()
    directory.write("wm.oxur", "(module wm)\n(defn f [] 1)\n")
    let repl = try ReplSession(in: directory.url)
    _ = repl.send(#"(load "wm.oxur")"#)
    _ = repl.send("(watch)")
    let slow = "(module wm)\n(defn f [] 2)\n(def started (spit \"spinning\" \"\"))\n(def wait (sleep 1500))\n"
    directory.write("wm.oxur", slow)
    waitUntil("the reload runs", timeout: 30) { FileManager.default.fileExists(atPath: directory.path("spinning")) }
    repl.interrupt()
    let stopped = repl.send("(wm:f)")
    #expect(stopped.out.hasSuffix("1\n"), "\(stopped)")
    // Said before the watcher gives the evaluator back, so before the entry answers.
    #expect(stopped.err.contains("save again to retry"), "\(stopped)")
    // The same content again: loads this time (its top level takes 1.5 s).
    directory.write("wm.oxur", slow)
    waitUntil("the same save loads", timeout: 30) { repl.send("(wm:f)").out.hasSuffix("2\n") }
    #expect(repl.close() == 0)
  }

  /// Ctrl-C at a piped REPL's continuation prompt discards the unfinished entry, as on a terminal.
  @Test func ctrlCDiscardsAnUnfinishedPipedEntry() throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    #expect(repl.send("(def kept 1)").out == "kept\n")
    repl.type("(+ 100\n")
    Thread.sleep(forTimeInterval: 0.3)
    repl.interrupt()
    Thread.sleep(forTimeInterval: 0.3)
    #expect(repl.send("(+ 2 3)").out.hasSuffix("5\n"))
    #expect(repl.close() == 0)
  }

  @Test func replDefinitionsSurviveReloadsAndInModuleSwitches() throws {
    let directory = ModuleDirectory()
    directory.write("svc.oxur", "(module svc)\n(defn handler [x] [:v1 x])\n")
    let repl = try ReplSession(in: directory.url)
    _ = repl.send(#"(load "svc.oxur")"#)
    _ = repl.send("(defn call-it [x] (svc:handler x))")
    #expect(repl.send("(call-it 1)").out == "[:v1 1]\n")
    directory.write("svc.oxur", "(module svc)\n(defn handler [x] [:v2 x])\n(defn helper [] :inside)\n")
    #expect(repl.send("(reload-all)").out == "✓ Reloaded 1 module(s): svc v2\n")
    #expect(repl.send("(call-it 2)").out == "[:v2 2]\n")
    // in-module: REPL input now compiles into svc, where unqualified names are svc's.
    _ = repl.send("(in-module svc)")
    #expect(repl.send("(helper)").out == ":inside\n")
    _ = repl.send("(in-module user)")
    #expect(repl.send("(call-it 3)").out == "[:v2 3]\n")
    #expect(repl.close() == 0)
  }

  @Test func replSurvivesEveryKindOfRuntimeFailure() throws {
    let script = """
      (defn deep [n] (if (= n 0) 0 (+ 1 (deep (- n 1)))))
      (deep 1000000)
      (+ 9223372036854775807 1)
      (nth [1] 5)
      (match 3 (1 :one))
      ((fn [a] a))
      (undefined-thing)
      (deep 10)
      """
    let result = try Executable.run([], stdin: script)
    #expect(result.status == 0)
    #expect(result.stdout == "deep\n10\n")
    for message in [
      "stack overflow", "integer overflow", "out of range", "no match", "wrong number of arguments",
      "unknown name: undefined-thing",
    ] {
      #expect(result.stderr.contains(message), "\(message)")
    }
  }

  /// On a terminal (a pseudo-terminal from `script`): the prompt, the banner, and the persistent
  /// history file written through libedit when the system has it.
  @Test func terminalSessionShowsThePromptAndKeepsHistory() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
      if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("CI has no /usr/bin/script: untested") }
      return
    }
    let home = ModuleDirectory()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    process.arguments = ["-q", "-c", Executable.url.path, "/dev/null"]
    process.environment = ["HOME": home.url.path, "TERM": "dumb", "PATH": "/usr/bin:/bin"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data("(+ 1 2)\n:doc map\n:a-keyword\n(in-module calc)\n(+ 2 2)\n:quit\n".utf8))
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
    // The pseudo-terminal ends lines with \r\n; the prompt line echoes the input, the next is the value.
    let lines = text.components(separatedBy: "\r\n")
    #expect(lines.contains("Treebeard — Oxur with hot code loading. :help for help, :quit to leave."), "\(lines)")
    let prompt = lines.firstIndex(of: "treebeard> (+ 1 2)")
    #expect(prompt != nil, "\(lines)")
    if let prompt { #expect(lines.dropFirst(prompt + 1).first == "3", "\(lines)") }
    // After (in-module calc) the prompt names the module.
    let inCalc = lines.firstIndex(of: "treebeard:calc> (+ 2 2)")
    #expect(inCalc != nil, "\(lines)")
    if let inCalc { #expect(lines.dropFirst(inCalc + 1).first == "4", "\(lines)") }
    let hasLibedit = ["/usr/lib/x86_64-linux-gnu/libedit.so.2", "/usr/lib/aarch64-linux-gnu/libedit.so.2"]
      .contains { FileManager.default.fileExists(atPath: $0) }
    if !hasLibedit && ProcessInfo.processInfo.environment["CI"] != nil {
      Issue.record("CI has no libedit.so.2: line editing and history are untested")
    }
    if hasLibedit {
      let history = (try? String(contentsOfFile: home.path(".treebeard_history"), encoding: .utf8)) ?? ""
      #expect(history.contains("(+ 1 2)") || history.contains("(+\\0401\\0402)"), "\(history)")
      // Commands are kept too (they were not).
      #expect(history.contains(":doc map") || history.contains(":doc\\040map"), "\(history)")
      #expect(!history.contains(":quit"), "\(history)")
      // A keyword alone is a form: remembered once (it was twice).
      #expect(history.components(separatedBy: ":a-keyword").count == 2, "\(history)")
    }
  }
}

// docs/hot-reload.md §4 and §7 across threads: old code finishes, sleep is a safe point, commits between calls.

import Foundation
import Testing

@testable import Treebeard

@Suite struct ReloadAcrossThreadsTests {
  func interpreter() -> Interpreter { Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput()) }

  /// §4: "A call that is already running finishes in the code it started with. Its next call to any
  /// global function runs the newest version" — with the reload committed from another thread.
  @Test func aRunningCallFinishesInOldCodeWhileAnotherThreadCommits() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "worker.oxur",
      """
      (module worker)
      (defn label [] :old)
      (defn run []
        (user:entered)
        (loop [i 0]
          (if (= (label) :new)
            [:v1-body-finished (label) (pos? i)]
            (recur (inc i)))))
      """)
    let interpreter = interpreter()
    let entered = Checkpoint("entered", in: interpreter)
    try interpreter.load(path: path)
    let call = Background { try interpreter.eval("(worker:run)").printed }
    guard entered.wait("worker:run starts") else { return interpreter.interrupt() }
    directory.write("worker.oxur", "(module worker)\n(defn label [] :new)\n(defn run [] [:v2-body])\n")
    let reload = Background { try interpreter.reload(path: path) }
    #expect(try reload.wait("the reload commits while worker:run runs")?.get().version == 2)
    guard let result = call.wait("worker:run sees the reload") else { return interpreter.interrupt() }
    #expect(try result.get() == "[:v1-body-finished :new true]")
    #expect(try interpreter.eval("(worker:run)").printed == "[:v2-body]")
  }

  /// §7: "A running evaluation checks an attention flag … while it waits in `(sleep ms)`": a reload
  /// from another thread commits while the evaluation sleeps, not after the sleep.
  @Test func sleepIsASafePoint() throws {
    let directory = ModuleDirectory()
    let path = directory.write("ticker.oxur", "(module ticker)\n(defn label [] :old)\n")
    let interpreter = interpreter()
    let sleeping = Checkpoint("sleeping", in: interpreter)
    let slept = Counter()
    interpreter.define(
      name: "slept",
      value: .builtin(
        Builtin("slept", arity: 0...0) { _, _ in
          slept.increment()
          return .nil
        }))
    try interpreter.load(path: path)
    // No call and no loop between the checkpoint and the end of the 30 s sleep: only sleep itself
    // can hand the evaluator over.
    let sleeper = Background { try interpreter.eval("(do (sleeping) (sleep 30000) (slept) (ticker:label))").printed }
    guard sleeping.wait("the evaluation starts sleeping") else { return }
    directory.write("ticker.oxur", "(module ticker)\n(defn label [] :new)\n")
    let reload = Background { try interpreter.reload(path: path) }
    let committed = reload.wait("the reload commits during the sleep", timeout: 25)
    #expect(try committed?.get().version == 2)
    #expect(slept.value == 0, "the reload waited for the sleep to end")
    // The sleep is also where an interrupt lands (§9: "or in (sleep ms)").
    interpreter.interrupt()
    #expect(oxurError(sleeper.wait("the interrupted sleep ends"))?.kind == "interrupted")
    #expect(slept.value == 0)
  }

  /// §7's example: a loop that sleeps on one thread sees the reload the host commits on another,
  /// and its next `(ticker:label)` returns the new value.
  @Test func aSleepingLoopPicksUpTheHostsReload() throws {
    let directory = ModuleDirectory()
    let path = directory.write("ticker.oxur", "(module ticker)\n(defn label [] :old)\n")
    let interpreter = interpreter()
    let running = Checkpoint("running", in: interpreter)
    try interpreter.load(path: path)
    let loop = Background {
      try interpreter.eval(
        "(loop [i 0] (if (= (ticker:label) :new) i (do (when (= i 0) (running)) (sleep 10) (recur (inc i)))))"
      ).printed
    }
    guard running.wait("the loop runs") else { return interpreter.interrupt() }
    directory.write("ticker.oxur", "(module ticker)\n(defn label [] :new)\n")
    let reload = Background { try interpreter.reload(path: path) }
    #expect(try reload.wait("the reload commits")?.get().version == 2)
    guard let result = loop.wait("the loop ends") else { return interpreter.interrupt() }
    #expect((Int(try result.get()) ?? 0) >= 1)
  }
}

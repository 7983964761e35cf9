// Ctrl-C while Oxur code runs a load: the load is rolled back and says so, and the code that ran it stops.

import Foundation
import Testing
@testable import Treebeard

@Suite struct InterruptedLoadTests {
  /// An interpreter whose `(entered)` tells the test that a module's endless top level started.
  private func interpreterWithEntrance() -> (Interpreter, BufferedOutput, DispatchSemaphore) {
    let (interpreter, _, errors) = bufferedInterpreter()
    let entered = defineEntrance(in: interpreter)
    return (interpreter, errors, entered)
  }

  /// `(load …)` reports a failed load instead of throwing it, and reported an interrupt the same
  /// way: the interrupt was spent on the load, so the program that ran it went on as if no
  /// Ctrl-C had come (`treebeard run` printed what followed and exited 1, not 130).
  @Test func anInterruptThatStopsALoadStopsTheCodeThatRanIt() throws {
    let directory = ModuleDirectory()
    let path = directory.write("slow.oxur", "(module slow)\n(defn f [] 1)\n(entered)\n(loop [] (recur))\n")
    let (interpreter, errors, entered) = interpreterWithEntrance()
    let handle = EvaluationHandle(interpreter: interpreter)
    try interpreter.eval("(def went-on (atom false))")
    let running = Background {
      try interpreter.eval("(do (load \"\(path)\") (reset! went-on true) :went-on)", handle: handle)
    }
    #expect(entered.wait(timeout: .now() + 60) == .success, "the top level started")
    handle.interrupt()
    let result = running.wait("the interrupted evaluation ends")
    #expect(oxurError(result)?.kind == "interrupted", "\(String(describing: result))")
    #expect(try interpreter.eval("@went-on") == .bool(false))
    // Reported once, by whoever reports the interrupt, with what the load kept after it.
    #expect(errors.take() == "")
    let reported = oxurError(result).map(ErrorRenderer.render) ?? ""
    #expect(reported.contains("✗ Module not loaded: slow"), "\(reported)")
    // Where it stopped: the top-level form that was running when the interrupt came.
    #expect(reported.contains("slow.oxur:4:1: interrupted"), "\(reported)")
    #expect(reported.contains("(loop [] (recur))"), "\(reported)")
    #expect(!interpreter.modules().contains { $0.name == "slow" })
  }

  /// A module's top level waiting with a timeout: the main process's waits poll for an
  /// interrupt, but inside a load (the lock held) the poll's answer was dropped — `receive`
  /// went back to waiting (Ctrl-C did nothing) and `await` reported a timeout that never passed.
  @Test(arguments: [
    "(def x (receive (:never 1) (after 100000 :timed-out)))",
    "(def p (spawn (fn [] (sleep 100000))))\n(def x (await p 100000))",
    "(def x (sleep 100000))",
  ])
  func anInterruptEndsATimedWaitInAModulesTopLevel(topLevel: String) throws {
    let directory = ModuleDirectory()
    let path = directory.write("waits.oxur", "(module waits)\n(entered)\n\(topLevel)\n")
    let (interpreter, errors, entered) = interpreterWithEntrance()
    let handle = EvaluationHandle(interpreter: interpreter)
    let running = Background { try interpreter.eval("(load \"\(path)\")", handle: handle) }
    #expect(entered.wait(timeout: .now() + 60) == .success, "the top level started")
    Thread.sleep(forTimeInterval: 0.2)
    handle.interrupt()
    let result = running.wait("the interrupted load ends", timeout: 20)
    // Not stopped, the load holds the evaluator: nothing after this could run.
    guard oxurError(result)?.kind == "interrupted" else {
      Issue.record("the load went on: \(String(describing: result))")
      return
    }
    #expect(errors.take() == "")
    #expect(oxurError(result).map(ErrorRenderer.render)?.hasSuffix("✗ Module not loaded: waits") == true)
    #expect(try interpreter.eval("(+ 40 2)").printed == "42")
    _ = try? interpreter.eval("(kill-all)")
  }

  /// The same for a reload: the version it would replace stays, and `catch` cannot keep the
  /// code going (an interrupt is never caught).
  @Test func anInterruptedReloadKeepsTheVersionAndIsNotCaught() throws {
    let directory = ModuleDirectory()
    let path = directory.write("slow.oxur", "(module slow)\n(defn f [] :v1)\n")
    let (interpreter, errors, entered) = interpreterWithEntrance()
    try interpreter.load(path: path)
    directory.write("slow.oxur", "(module slow)\n(defn f [] :v2)\n(entered)\n(loop [] (recur))\n")
    let handle = EvaluationHandle(interpreter: interpreter)
    let running = Background {
      try interpreter.eval("(try (reload \"\(path)\") :went-on (catch e :caught))", handle: handle)
    }
    #expect(entered.wait(timeout: .now() + 60) == .success, "the top level started")
    handle.interrupt()
    let result = running.wait("the interrupted evaluation ends")
    #expect(oxurError(result)?.kind == "interrupted", "\(String(describing: result))")
    #expect(errors.take() == "")
    #expect(
      oxurError(result).map(ErrorRenderer.render)?.hasSuffix("✗ Module not reloaded (keeping version 1)") == true)
    #expect(try interpreter.eval("(slow:f)") == .keyword("v1"))
    #expect(interpreter.modules().first { $0.name == "slow" }?.version == 1)
    // Nothing is left pending: the next evaluation on the handle runs to its end.
    #expect(try interpreter.eval("(slow:f)", handle: handle) == .keyword("v1"))
  }

  /// `Interpreter.interrupt()` while a reload waits for the lock reaches the reload too. It
  /// reached only the evaluation holding the lock, which handed the lock over and then waited
  /// for ever behind a top level that never ends (found by the reload-mode fuzzer).
  @Test func anInterruptReachesALoadWaitingForTheLock() throws {
    let directory = ModuleDirectory()
    let path = directory.write("forever.oxur", "(module forever)\n(defn f [] 1)\n(loop [] (recur))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    let holding = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    interpreter.defineBuiltin(
      Builtin("hold", arity: 0...0) { _, _ in
        holding.signal()
        release.wait()
        return .nil
      })
    let holder = Background { try interpreter.eval("(do (hold) (loop [i 0] (if (< i 100000000) (recur (+ i 1)) i)))") }
    #expect(holding.wait(timeout: .now() + 60) == .success, "the first evaluation holds the lock")
    let loading = Background { try interpreter.load(path: path) }
    waitUntil("the load waits for the lock", timeout: 60) { interpreter.runtime.lock.waitingCount == 1 }
    interpreter.interrupt()  // once, while the load is in line
    release.signal()
    let loaded = loading.wait("the load ends", timeout: 30)
    if !loading.isFinished { interpreter.interrupt() }  // a failing run: stop the load, so the rest can run
    #expect(oxurError(loaded)?.kind == "interrupted", "\(String(describing: loaded))")
    #expect(oxurError(holder.wait("the first evaluation ends", timeout: 60))?.kind == "interrupted")
    #expect(!interpreter.modules().contains { $0.name == "forever" })
    #expect(try interpreter.eval("(+ 1 2)") == .int(3), "the next call is not interrupted")
  }

  /// A macro that rewraps its arguments one level deeper at each step expands, uninterrupted,
  /// for seconds before the depth limit (found by the fuzzer): each expansion is a safe point.
  @Test func anInterruptStopsAnExpandingMacro() throws {
    let (interpreter, _, entered) = interpreterWithEntrance()
    try interpreter.eval("(defmacro grow [c & body] (do (entered) `(if ~c (grow ~c (n ~@body)) nil)))")
    let handle = EvaluationHandle(interpreter: interpreter)
    let running = Background { try interpreter.eval("(grow false 5 2)", handle: handle) }
    #expect(entered.wait(timeout: .now() + 60) == .success, "the expansion started")
    handle.interrupt()
    let result = running.wait("the interrupted expansion ends")
    #expect(oxurError(result)?.kind == "interrupted", "\(String(describing: result))")
    #expect(try interpreter.eval("(+ 1 2)") == .int(3))
  }
  /// A spawned process's load whose top level never ends held the evaluator for good, and an
  /// evaluation in line behind it could not be stopped: its interrupt reached only itself,
  /// which was not running. An interrupt of a waiting evaluation now stops that load too.
  @Test func interruptingAWaitingEvaluationStopsTheLoadAheadOfIt() throws {
    let directory = ModuleDirectory()
    let path = directory.write("forever.oxur", "(module forever)\n(defn f [] 1)\n(entered)\n(loop [] (recur))\n")
    let (interpreter, errors, entered) = interpreterWithEntrance()
    try interpreter.eval("(def p (spawn (fn [] (load \"\(path)\") :loaded)))")
    #expect(entered.wait(timeout: .now() + 60) == .success, "the process's load started")
    // The REPL's prompt reads the current module: that waited behind the load too.
    let prompt = Background { interpreter.currentModule }
    #expect(prompt.wait("the current module is read while the load runs", timeout: 10).map { try? $0.get() } == "user")
    let handle = EvaluationHandle(interpreter: interpreter)
    let waiting = Background { try interpreter.eval("(+ 1 2)", handle: handle) }
    waitUntil("the evaluation waits for the lock", timeout: 60) { interpreter.runtime.lock.waitingCount >= 1 }
    handle.interrupt()
    let result = waiting.wait("the waiting evaluation ends", timeout: 30)
    // A failing run: the load still holds the evaluator, so nothing below could answer.
    guard waiting.isFinished else { return }
    // Interrupted before it ran a safe point, or run to its end: either way, it ended.
    let ended: Bool
    switch result {
    case .success(let value)?: ended = value == .int(3)
    case .failure?: ended = oxurError(result)?.kind == "interrupted"
    case nil: ended = false
    }
    #expect(ended, "\(String(describing: result))")
    #expect(!interpreter.modules().contains { $0.name == "forever" }, "the load rolled back")
    waitUntil("the process ends", timeout: 30) { (try? interpreter.eval("(alive? p)")) == .bool(false) }
    #expect(errors.take().contains("✗ Module not loaded: forever"))
    #expect(try interpreter.eval("(+ 40 2)") == .int(42))
  }
  /// The interrupt came while the evaluation slept with the evaluator released, so it was not
  /// waiting for the lock yet; woken by it, the evaluation then waited for ever to take the
  /// lock back from a process's load that never ends.
  @Test func anInterruptDuringAReleasedWaitStopsTheLoadItWakesBehind() throws {
    let directory = ModuleDirectory()
    let path = directory.write("forever.oxur", "(module forever)\n(entered)\n(loop [] (recur))\n")
    let (interpreter, errors, entered) = interpreterWithEntrance()
    let handle = EvaluationHandle(interpreter: interpreter)
    let sleeping = Background { try interpreter.eval("(sleep 100000)", handle: handle) }
    Thread.sleep(forTimeInterval: 0.2)  // in its sleep, the evaluator released
    try interpreter.eval("(spawn (fn [] (load \"\(path)\")))")
    #expect(entered.wait(timeout: .now() + 60) == .success, "the process's load started")
    handle.interrupt()
    let result = sleeping.wait("the interrupted sleep ends", timeout: 30)
    guard sleeping.isFinished else { return }  // a failing run: the load holds the evaluator
    #expect(oxurError(result)?.kind == "interrupted", "\(String(describing: result))")
    #expect(errors.take().contains("✗ Module not loaded: forever"))
    #expect(try interpreter.eval("(+ 40 2)") == .int(42))
  }
}

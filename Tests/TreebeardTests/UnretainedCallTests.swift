// Global calls run a binding's closure without retaining it: a binding that lets go of a running closure must keep it alive.

import Foundation
import Testing

@testable import Treebeard

/// Allocates enough to reuse freed memory, so code running in a freed closure would read garbage
/// (or crash) instead of passing by luck.
private let churn = "(dotimes [i 2000] (vec (range 40)) (str \"garbage\" i))"

@Suite struct UnretainedCallTests {
  /// A function that redefines its own global while running keeps its captures and its code
  /// until it returns; the next call runs the new value.
  @Test func aFunctionThatRedefinesItselfFinishesInItsOwnCode() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let value = try interpreter.eval(
      """
      (def f (let [v [1 2 3]] (fn [n] (def f nil) \(churn) (+ n (count v) (count (str v))))))
      (f 1)
      """)
    #expect(value == .int(1 + 3 + 7))
    #expect(try interpreter.eval("f") == .nil)
  }

  /// The same through `defn` at the REPL (an in-place redefinition), with an error raised after
  /// the redefinition: the stack trace reads the running function's name from its code.
  @Test func aRedefinedRunningFunctionStillNamesItselfInATrace() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    _ = try interpreter.eval(
      """
      (defn g [n]
        (defn g [n] (* n 100))
        \(churn)
        (if (> n 0) (throw (str "boom " n)) n))
      """)
    do {
      _ = try interpreter.eval("(g 5)")
      Issue.record("expected the old g to throw")
    } catch let error as OxurError {
      #expect(error.message.contains("boom 5"))
      #expect(error.trace.contains { $0.function.contains("g") })
    }
    #expect(try interpreter.eval("(g 5)") == .int(500))
  }

  /// A function that reloads its own module more times than the history keeps: the version it
  /// runs in leaves the history (its bindings are freed) while its frame is still running.
  @Test func aFunctionOutlivesItsVersionLeavingTheHistory() throws {
    let directory = ModuleDirectory()
    let path = directory.path("selfload.oxur")
    func source(_ generation: Int) -> String {
      """
      (module selfload)
      (defn answer [] \(generation))
      (defn churn-reloads [times]
        (let [tag [:old \(generation)]]
          (dotimes [i times]
            (spit "\(path)" (str "(module selfload)\\n(defn answer [] " (+ 1000 i) ")\\n"
                                 "(defn churn-reloads [t] :new)\\n"))
            (reload "\(path)"))
          \(churn)
          [tag (answer)]))
      """
    }
    directory.write("selfload.oxur", source(1))
    let (interpreter, _, _) = bufferedInterpreter()
    _ = try interpreter.load(path: path)
    let limit = interpreter.runtime.registry.historyLimit
    let result = try interpreter.eval("(selfload:churn-reloads \(limit + 8))")
    #expect(Printer.readable(result) == "[[:old 1] \(1000 + limit + 7)]")
    #expect(try interpreter.eval("(selfload:churn-reloads 1)") == .keyword("new"))
  }

  /// A process blocked inside an old version's function while the host reloads that module
  /// past the history limit: when it wakes, it finishes in the code it started in.
  @Test func aProcessSleepingInOldCodeSurvivesManyReloads() throws {
    let directory = ModuleDirectory()
    func source(_ generation: Int) -> String {
      """
      (module sleeper)
      (defn wait-then-answer []
        (let [mine [:generation \(generation)]]
          (receive (:go (do \(churn) (str mine))))))
      """
    }
    let path = directory.write("sleeper.oxur", source(1))
    let (interpreter, _, _) = bufferedInterpreter()
    defer { interpreter.runtime.processes.killAll() }
    _ = try interpreter.load(path: path)
    _ = try interpreter.eval("(def p (spawn sleeper:wait-then-answer))")
    _ = waitUntil("the process waits in receive", timeout: 30) {
      (try? interpreter.eval("(processes)")).map { Printer.readable($0).contains(":waiting") } ?? false
    }
    for generation in 2...(interpreter.runtime.registry.historyLimit + 10) {
      directory.write("sleeper.oxur", source(generation))
      _ = try interpreter.reload(path: path)
    }
    let answer = try interpreter.eval("(send p :go) (await p 30000)")
    #expect(answer == .string("[:generation 1]"))
  }

  /// A tail call into a global whose binding the caller just replaced.
  @Test func aTailCallIntoAReplacedGlobalRunsTheNewValue() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let value = try interpreter.eval(
      """
      (defn target [n] [:first n])
      (defn hop [n] (defn target [n] [:second n]) (target n))
      (hop 7)
      """)
    #expect(Printer.readable(value) == "[:second 7]")
  }

  /// The closure a binding let go of is freed once its last frame returns (no leak), including
  /// when the frame ends with an error.
  @Test func aReleasedClosureIsFreedWhenItsLastFrameEnds() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    _ = try interpreter.eval("(defn h [n] (defn h [n] 0) (if (> n 0) (throw \"out\") n))")
    weak var original: Closure?
    if case .closure(let closure)? = interpreter.global("h") { original = closure }
    #expect(original != nil)
    #expect(throws: OxurError.self) { try interpreter.eval("(h 1)") }
    #expect(original == nil)
    _ = try interpreter.eval("(defn k [n] (defn k [n] 0) n)")
    weak var second: Closure?
    if case .closure(let closure)? = interpreter.global("k") { second = closure }
    #expect(try interpreter.eval("(k 3)") == .int(3))
    #expect(second == nil)
  }
}

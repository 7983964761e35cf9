// Regression tests for issue 6: nothing an Oxur program does may crash, hang or starve the host.

import Foundation
import OxurSyntax
import Testing

@testable import Treebeard

/// Holds a value across threads; the tests hand it over and wait, so there is no race.
private final class ValueBox: @unchecked Sendable {
  var value: Value?
  init(_ value: Value?) { self.value = value }
}

private func makeInterpreter() -> Interpreter {
  Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
}

/// Evaluates on a large stack (the tree walker needs one) and returns the last value, once the
/// caller holds its only reference: `eval` hands the value back through its worker thread, which
/// may let go of it a moment after returning.
private func evaluate(_ source: String) throws -> Value {
  let box = ValueBox(
    try LargeStack.run {
      let interpreter = makeInterpreter()
      return try interpreter.eval(source)
    })
  let deadline = Date().addingTimeInterval(10)
  while !holdsOnlyReference(box) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
  return box.value ?? .nil
}

/// Whether `box` holds the only reference to the object behind its value.
private func holdsOnlyReference(_ box: ValueBox) -> Bool {
  func unique<T: AnyObject>(_ object: T, _ wrap: (T) -> Value) -> Bool {
    var object = object
    box.value = nil
    defer { box.value = wrap(object) }
    return isKnownUniquelyReferenced(&object)
  }
  switch box.value {
  case .vector(let x): return unique(x) { .vector($0) }
  case .list(let x?): return unique(x) { .list($0) }
  case .map(let x): return unique(x) { .map($0) }
  case .set(let x): return unique(x) { .set($0) }
  case .variant(let x): return unique(x) { .variant($0) }
  case .atom(let x): return unique(x) { .atom($0) }
  case .closure(let x): return unique(x) { .closure($0) }
  case .structInstance(let x): return unique(x) { .structInstance($0) }
  default: return true
  }
}

/// A weak reference to the heap object behind a value.
private final class WeakObject: @unchecked Sendable {
  weak var object: AnyObject?
}

/// Evaluates `source` in an interpreter that is gone when this returns, keeping only a weak
/// reference to the object behind the result: nil afterwards means it was freed (waiting a
/// moment for `eval`'s worker thread, which may let go of the result just after returning).
private func weakResult(_ source: String) throws -> WeakObject {
  let weak = WeakObject()
  try LargeStack.run {
    let interpreter = makeInterpreter()
    switch try interpreter.eval(source) {
    case .atom(let object): weak.object = object
    case .vector(let object): weak.object = object
    case .closure(let object): weak.object = object
    default: Issue.record("unexpected value from \(source)")
    }
  }
  let deadline = Date().addingTimeInterval(2)
  while weak.object != nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
  return weak
}

@Suite struct HostSafetyTests {
  // MARK: Defect 9/10: freeing deeply nested values never recurses on the host stack.

  static let nestings: [String] = [
    "[v]", "(list v)", "{:k v}", "{v 1}", "#{v}", "(Some v)", "(atom v)", "(let [w v] (fn [] w))",
    "(struct Box :x v)", "[1 2 3 v]", "(vec (concat (range 40) [v]))",
  ]

  @Test(arguments: nestings)
  func deepValueIsFreedOnASmallStackThread(_ wrap: String) throws {
    let source = """
      (defstruct Box x)
      (loop [i 0 v 0] (if (< i 100000) (recur (inc i) \(wrap)) v))
      """
    let box = ValueBox(try evaluate(source))
    onSmallStack(128 << 10) { box.value = nil }
    #expect(box.value == nil)
  }

  @Test func deepListIsFreedInLinearTime() throws {
    // Quadratic freeing took seconds at 50k; 400k deep would take minutes.
    let box = ValueBox(try evaluate("(loop [i 0 v ()] (if (< i 400000) (recur (inc i) (list v)) v))"))
    let start = Date()
    onSmallStack(128 << 10) { box.value = nil }
    #expect(Date().timeIntervalSince(start) < 20)
  }

  /// Without a thread-specific slot (all taken by the host), per-thread state still is per
  /// thread and kept: freeing's nesting depth must survive between calls on one thread.
  @Test func hostThreadStateWithoutASlotIsStillPerThread() {
    let first = HostThreadState.fromThreadDictionary()
    #expect(first === HostThreadState.fromThreadDictionary())
    final class Other: @unchecked Sendable { var state: HostThreadState? }
    let other = Other()
    onSmallStack(256 << 10) { other.state = HostThreadState.fromThreadDictionary() }
    #expect(other.state != nil && other.state !== first)
  }

  @Test func replDropsADeepValueWhenItLeavesStarThree() throws {
    let deep = "(loop [i 0 v 0] (if (< i 200000) (recur (inc i) [v]) v))"
    let result = try Executable.run(["repl"], stdin: "\(deep)\n(count *1)\n2\n3\n4\n")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("4"))
  }

  // MARK: Defect 13: text is written whole or not at all.

  @Test func spitWritesTextLongerThanTheDisplayLimit() throws {
    let directory = ModuleDirectory()
    let path = directory.path("big.out")
    let written = try evaluate(#"(do (spit "\#(path)" (vec (range 10000000))) :ok)"#)
    #expect(written == .keyword("ok"))
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    // "[0 1 … 9999999]": the digits of 0…9999999, 9,999,999 spaces and two brackets.
    #expect(data.count == 68_888_890 + 9_999_999 + 2)
    #expect(String(decoding: data.suffix(8), as: UTF8.self) == "9999999]")
  }

  @Test func replSaysWhenItCutsAHugeValue() throws {
    let tree = "(defn t [n] (if (= n 0) [1] (let [s (t (dec n))] [s s])))"
    let result = try Executable.run(["repl"], stdin: "\(tree)\n(t 26)\n:after\n")
    #expect(result.status == 0)
    let lines = result.stdout.split(separator: "\n")
    let huge = lines.first { $0.count > 1_000_000 }
    #expect(huge?.hasSuffix("…") == true)
    #expect(lines.last?.hasSuffix(":after") == true)
  }

  // MARK: Defect 12: long-running builtins stop on Ctrl-C.

  /// `repeat` ran 100,000,000 copies (six seconds, 3.4 GB) with no safe point.
  @Test(arguments: [
    "(count (flatten (t 40)))", "(count (pr-str (t 40)))", "(count (str [(t 40)]))", "(count (repeat 100000000 :x))",
  ])
  func controlCStopsALongBuiltin(_ input: String) throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    _ = repl.send("(defn t [n] (if (= n 0) [1] (let [s (t (dec n))] [s s])))")
    let answer = interruptWhileRunning(input, in: repl, directory: directory)
    #expect(answer.err.contains("interrupted"), "\(answer)")
    #expect(repl.send("(+ 1 2)").out == "3\n")
    #expect(repl.close() == 0)
  }

  @Test(arguments: ["(count (set xs))", "(count (into #{} xs))", "(count (distinct xs))", "(count (frequencies xs))"])
  func controlCStopsHashingValuesThatHashAlike(_ input: String) throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    // Hashing looks 128 levels deep, so these differ only where the hash does not look.
    _ = repl.send("(defn nest [n x] (if (= n 0) x [(nest (dec n) x)]))")
    #expect(repl.send("(def xs (vec (map (fn [i] (nest 200 i)) (range 20000))))", timeout: 60).out == "xs\n")
    let answer = interruptWhileRunning(input, in: repl, directory: directory)
    #expect(answer.err.contains("interrupted"), "\(answer)")
    #expect(repl.send("(+ 1 2)").out == "3\n")
    #expect(repl.close() == 0)
  }

  // MARK: Stack traces collapse cycles of frames and count only what was recorded.

  @Test func mutualRecursionTraceShowsTheCycleOnce() throws {
    let source = """
      (defn a [n] (if (= n 0) 0 (+ 1 (b (dec n)))))
      (defn b [n] (if (= n 0) 0 (+ 1 (a (dec n)))))
      (a 1000000)
      (defn f [n] (if (= n 0) 0 (+ 1 (f (dec n)))))
      (f 1000000)

      """
    let result = try Executable.run(["repl"], stdin: source)
    let text = result.stdout + result.stderr
    #expect(text.contains("↑ these 2 frames repeat 12 times"), "\(text)")
    // The middle of the mutual recursion is counted, and its outermost frames are still shown.
    #expect(text.contains("… 99968 more frames not recorded\n"), "\(text)")
    #expect(text.contains("in user:a called at <repl:3>:1:1\n"), "\(text)")
    // Direct recursion is one entry with its exact count, then the call that started it.
    #expect(
      text.contains("in user:f called at <repl:4>:1:32 (99999 times)\n  in user:f called at <repl:5>:1:1\n"), "\(text)")
  }

  @Test func traceLinesPreferTheCycleCoveringMostFrames() {
    let here = Span(file: nil, line: 1, column: 1)
    func frames(_ names: String) -> [ErrorRenderer.Frame] {
      names.map { ErrorRenderer.Frame(function: String($0), span: here) }
    }
    #expect(ErrorRenderer.traceLines(frames("x")).count == 1)
    #expect(ErrorRenderer.traceLines(frames("aaab")).map { $0.hasSuffix("(3 times)") } == [true, false])
    let cycle = ErrorRenderer.traceLines(frames("abcabcabcz"))
    #expect(cycle.count == 5)
    #expect(cycle[3].contains("these 3 frames repeat 3 times"))
    // `a b a b` is a cycle of two, not four separate frames; `a a` inside is not split out.
    #expect(ErrorRenderer.traceLines(frames("abab")).count == 3)
  }

  // MARK: Defect 15: what a reference cycle keeps alive is exactly the cycle (docs: Memory).

  @Test func atomThatHoldsItselfIsKeptAndNothingElse() throws {
    #expect(try weakResult("(let [a (atom nil)] (reset! a a) a)").object != nil)
    #expect(try weakResult("(let [a (atom nil)] (reset! a [1 a]) a)").object != nil)
    #expect(try weakResult("(let [a (atom nil)] (reset! a (fn [] @a)) a)").object != nil)
    // Values made alongside the cycle but not reachable from it are freed.
    #expect(try weakResult("(let [a (atom nil) v (vec (range 100))] (reset! a a) v)").object == nil)
    #expect(try weakResult("(let [v (vec (range 100)) a (atom nil)] (reset! a (fn [] @a)) v)").object == nil)
    // What the cycle holds is kept with it.
    #expect(try weakResult("(let [v (vec (range 100)) a (atom nil)] (reset! a [a v]) v)").object != nil)
  }

  @Test func atomsWithoutCyclesOrWithBrokenCyclesAreFreed() throws {
    #expect(try weakResult("(let [a (atom nil)] (reset! a 1) a)").object == nil)
    #expect(try weakResult("(let [a (atom nil) b (atom a)] (reset! a 2) a)").object == nil)
    #expect(try weakResult("(let [a (atom nil)] (reset! a a) (reset! a nil) a)").object == nil)
    #expect(try weakResult("(let [a (atom nil)] (reset! a (fn [] @a)) (reset! a nil) a)").object == nil)
  }
}

/// Sends `input` to the REPL and presses Ctrl-C once it has started (a file it writes first
/// says so): a Ctrl-C at the prompt is dropped, so it must arrive while the input runs.
private func interruptWhileRunning(
  _ input: String, in repl: ReplSession, directory: ModuleDirectory
) -> (out: String, err: String) {
  let marker = directory.path("running.txt")
  try? FileManager.default.removeItem(atPath: marker)
  repl.submit("(do (spit \"running.txt\" \"\") \(input))")
  if waitUntil("the input runs", { FileManager.default.fileExists(atPath: marker) }) { repl.interrupt() }
  return repl.answer(timeout: 20)
}

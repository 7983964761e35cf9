// Regression tests for issue 6: nothing an Oxur program does may crash, hang or starve the host.

import Foundation
import Testing

@testable import Treebeard

/// Holds a value across threads; the tests hand it over and wait, so there is no race.
private final class ValueBox: @unchecked Sendable {
  var value: Value?
  init(_ value: Value?) { self.value = value }
}

/// Runs `body` on a thread with a small stack, as an embedder's worker thread might have.
private func onSmallStack(_ size: Int = 128 << 10, _ body: @escaping @Sendable () -> Void) {
  let done = DispatchSemaphore(value: 0)
  let thread = Thread {
    body()
    done.signal()
  }
  thread.stackSize = size
  thread.start()
  done.wait()
}

private func makeInterpreter() -> Interpreter {
  Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
}

/// Evaluates on a large stack (the tree walker needs one) and returns the last value.
private func evaluate(_ source: String) throws -> Value {
  try LargeStack.run {
    let interpreter = makeInterpreter()
    return try interpreter.eval(source)
  }
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
    onSmallStack { box.value = nil }
    #expect(box.value == nil)
  }

  @Test func deepListIsFreedInLinearTime() throws {
    // Quadratic freeing took seconds at 50k; 400k deep would take minutes.
    let box = ValueBox(try evaluate("(loop [i 0 v ()] (if (< i 400000) (recur (inc i) (list v)) v))"))
    let start = Date()
    onSmallStack { box.value = nil }
    #expect(Date().timeIntervalSince(start) < 20)
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
}

// Regressions for host crashes found by fuzzing (Fuzz/README.md, inputs in Fuzz/regressions).
// The Oxur-level ones are spec files under spec/fuzz/; these need a small stack or a small
// machine, which only Swift can set up.

import Foundation
import OxurSyntax
import Testing

@testable import Treebeard

@Suite struct FuzzRegressionTests {
  /// Carries values to another thread, which takes the only references.
  final class Holder: @unchecked Sendable {
    var values: [Value] = []
    var results: [String] = []
  }

  static let deepBuilders = [
    "(loop [v [] i 0] (if (< i 100000) (recur [v] (inc i)) v))",
    "(loop [v () i 0] (if (< i 100000) (recur (list v) (inc i)) v))",
    "(loop [v {} i 0] (if (< i 100000) (recur {:a v} (inc i)) v))",
    "(loop [v (atom 0) i 0] (if (< i 100000) (recur (atom v) (inc i)) v))",
    "(loop [v identity i 0] (if (< i 100000) (recur (fn [x] (v x)) (inc i)) v))",
    "(loop [v None i 0] (if (< i 100000) (recur (Some v) (inc i)) v))",
    // Functions made by `comp`, `partial` and `constantly` hold their arguments (Swift closures'
    // captures are freed by recursion; a chain of 6,000,000 `comp`s crashed the release CLI).
    "(loop [v identity i 0] (if (< i 100000) (recur (comp inc v) (inc i)) v))",
    "(loop [v identity i 0] (if (< i 100000) (recur (partial v) (inc i)) v))",
    "(loop [v 0 i 0] (if (< i 100000) (recur (constantly v) (inc i)) v))",
  ]

  /// Values nested 100,000 deep used to overflow the stack of whichever thread freed them
  /// (deinit recursed per level), compared them (`==`) or hashed them.
  @Test func deepValuesAreComparedPrintedHashedAndFreedOnASmallStack() throws {
    let holder = Holder()
    do {
      let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
      for source in Self.deepBuilders {
        holder.values.append(try interpreter.eval(source))
        holder.values.append(try interpreter.eval(source))
      }
    }
    onSmallStack {
      var values = holder.values
      holder.values = []
      var index = 0
      while index + 1 < values.count {
        _ = values[index] == values[index + 1]
        var set = Set<Value>()
        set.insert(values[index])
        holder.results.append(values[index].printed)
        index += 2
      }
      values.removeAll()
    }
    #expect(holder.results.count == Self.deepBuilders.count)
    #expect(holder.results[0].hasPrefix("[[[[") && holder.results[0].contains("…"))
  }

  /// `=` on values too deep for the stack is an Oxur error, not a crash (nor a silent `false`).
  @Test func comparingTooDeepValuesIsAStackOverflowError() throws {
    let holder = Holder()
    do {
      let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
      holder.values.append(try interpreter.eval(Self.deepBuilders[0]))
      holder.values.append(try interpreter.eval(Self.deepBuilders[0]))
    }
    onSmallStack {
      let values = holder.values
      holder.values = []
      do {
        holder.results.append("\(try Value.checkedEqual(values[0], values[1]))")
      } catch let error as OxurError {
        holder.results.append(error.kind)
      } catch {
        holder.results.append("\(error)")
      }
      holder.results.append("\(try! Value.checkedEqual(.int(1), .int(1)))")
    }
    #expect(holder.results == ["stack-overflow", "true"])
  }

  /// Calls with up to 256 arguments pushed them unchecked; nested in each other's arguments
  /// they ran past the end of the machine's value stack.
  @Test func nestedWideCallsStayInsideTheValueStack() throws {
    let runtime = Runtime(output: BufferedOutput(), errorOutput: BufferedOutput())
    let arguments = Array(repeating: "1", count: 255).joined(separator: " ")
    let depth = 20
    let source = String(repeating: "(+ \(arguments) ", count: depth) + "1" + String(repeating: ")", count: depth)
    let outcome = try LargeStack.run { () -> String in
      let machine = try Machine(runtime: runtime, slots: 4096)
      do {
        let value = try runtime.evaluate(
          source: SourceFile(name: "wide", text: source), module: "user", machine: machine)
        return value.printed
      } catch let error as OxurError {
        return error.message
      }
    }
    #expect(outcome.contains("stack overflow"))
    // With room enough, the same code runs.
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    #expect(try interpreter.eval(source).printed == "\(255 * depth + 1)")
  }
}

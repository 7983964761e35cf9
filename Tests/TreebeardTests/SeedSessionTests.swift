// End to end: the seed's section 9 REPL session, driven through the real executable's stdin.

import Foundation
import Testing

@Suite struct SeedSessionTests {
  static let wrongCalculator = """
    (module calculator)
    (export add multiply)

    ;; Oops: add is wrong in this first version.
    (defn add [a b] (+ a b 1))
    (defn multiply [a b] (* a b))
    """

  static let fixedCalculator = """
    (module calculator)
    (export add multiply)

    (defn add [a b] (+ a b))
    (defn multiply [a b] (* a b))
    """

  /// Line 12 column 7 holds an unexpected `{`, as in the seed's message.
  static let brokenCalculator = """
    (module calculator)
    (export add multiply)

    (defn add [a b]
      (+ a b))

    (defn multiply [a b]
      (* a b))

    (defn divide [a b]
      (let [q (/ a b)]
          } q)))
    """

  @Test func sectionNineSession() throws {
    let directory = ModuleDirectory()
    directory.write("calculator.oxur", SeedSessionTests.wrongCalculator)
    directory.write("broken_calculator.oxur", SeedSessionTests.brokenCalculator)
    let repl = try ReplSession(in: directory.url)

    var answer = repl.send(#"(load "calculator.oxur")"#)
    #expect(answer.out == "✓ Loaded module: calculator (version 1)\n")
    #expect(repl.send("(calculator:add 2 3)").out == "6\n")

    directory.write("calculator.oxur", SeedSessionTests.fixedCalculator)
    answer = repl.send(#"(reload "calculator.oxur")"#)
    // The seed's line, with the time it took and what changed (DESIGN.md §7, issue 8).
    #expect(answer.out.maskingTimings == "✓ Reloaded module: calculator (version 2, _ ms) ~add\n")
    #expect(repl.send("(calculator:add 2 3)").out == "5\n")

    answer = repl.send(#"(reload "broken_calculator.oxur")"#)
    #expect(answer.out == "")
    #expect(answer.err.contains("✗ Parse error at broken_calculator.oxur:12:7: unexpected '}'"))
    #expect(answer.err.hasSuffix("✗ Module not reloaded (keeping version 2)\n"))
    #expect(repl.send("(calculator:add 2 3)").out == "5\n")

    answer = repl.send(#"(reload "calculator.oxur")"#)
    #expect(answer.out.maskingTimings == "✓ Reloaded module: calculator (version 3, _ ms)\n")
    #expect(repl.send("(calculator:multiply 4 5)").out == "20\n")

    let table = repl.send("(modules)").out
    #expect(table.contains("calculator  3"))
    #expect(repl.close() == 0)
  }
}

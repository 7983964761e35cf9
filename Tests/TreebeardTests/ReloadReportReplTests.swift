// Issue 8 items 4–7 through the real executable's piped REPL, editing files between inputs.

import Foundation
import Testing

@Suite struct ReloadReportReplTests {
  /// The reload line names the changes; a comment-only edit names none; a REPL redefinition is
  /// a hot load; warnings go to standard error before the line; stats and history answer.
  @Test func reloadLinesWarningsStatsAndHistory() throws {
    let directory = ModuleDirectory()
    directory.write(
      "calculator.oxur",
      "(module calculator)\n(defn add [a b] (+ a b))\n(defn old-helper [] 1)\n")
    directory.write("app.oxur", "(module app)\n(import calculator)\n(defn run [] (calculator:old-helper))\n")
    let repl = try ReplSession(in: directory.url)
    #expect(
      repl.send(#"(load "app.oxur")"#).out == "✓ Loaded module: app (version 1)\n  ↳ calculator (version 1, imported)\n"
    )

    directory.write(
      "calculator.oxur", "(module calculator)\n(defn add [a b] (+ a b 0))\n(defn subtract [a b] (- a b))\n")
    var answer = repl.send(#"(reload "calculator.oxur")"#)
    #expect(answer.out.maskingTimings == "✓ Reloaded module: calculator (version 2, _ ms) ~add +subtract -old-helper\n")
    #expect(answer.err == "⚠ calculator: old-helper was removed but app still uses it at app.oxur:3\n")

    directory.write(
      "calculator.oxur",
      ";; only comments and layout changed\n(module calculator)\n(defn add [a b]\n  (+ a b 0))\n"
        + "(defn subtract [a b] (- a b)) ; same\n")
    answer = repl.send(#"(reload "calculator.oxur")"#)
    #expect(answer.out.maskingTimings == "✓ Reloaded module: calculator (version 3, _ ms)\n")

    #expect(repl.send("(defn greet [] :hi)").out == "greet\n")
    #expect(repl.send("(defn greet [] :hello)").out == "✓ Hot-loaded: greet (v1 → v2)\ngreet\n")
    #expect(repl.send("(:changed (reload-stats calculator))").out == "[]\n")
    #expect(repl.send("(:version (reload-stats calculator))").out == "3\n")

    let history = repl.send("(history calculator)").out.split(separator: "\n")
    #expect(history.count == 4)
    #expect(history.first == "version      loaded at  hash      changes")
    #expect(history[1].hasSuffix("loaded (2 definitions)"))
    #expect(history[2].hasSuffix("~add +subtract -old-helper"))
    #expect(history[3].hasPrefix("3 (current)") && history[3].hasSuffix("no definition changed"))

    // *1 and friends are the session's, not the user's: user counts only greet.
    let table = repl.send("(modules)").out
    #expect(table.contains("\nuser        1        (repl)          "), "\(table)")
    #expect(table.split(separator: "\n").last?.hasSuffix("1            -") == true, "\(table)")
    #expect(repl.close() == 0)
  }

  /// A dry run prints the plan and leaves versions, content hashes and `(modules)` as they were.
  @Test func dryRunLeavesEverythingAsItWas() throws {
    let directory = ModuleDirectory()
    directory.write("calculator.oxur", "(module calculator)\n(export add)\n(defn add [a b] (+ a b))\n")
    directory.write("app.oxur", "(module app)\n(import calculator)\n(defn run [] (calculator:add 1 2))\n")
    let repl = try ReplSession(in: directory.url)
    _ = repl.send(#"(load "app.oxur")"#)
    let table = repl.send("(modules)").out
    // Dropping the export list makes everything public: no export disappears.
    directory.write("calculator.oxur", "(module calculator)\n(defn add [a b c] (+ a b c))\n")
    let answer = repl.send(#"(reload "calculator.oxur" :dry-run)"#)
    #expect(
      answer.out.maskingTimings == """
        ◇ Dry run: reload calculator would make version 2 (_ ms)
          changes: ~add
          ⚠ calculator: add no longer takes 2 argument(s) (now 3); app calls it with 2 at app.oxur:3
        ◇ Nothing committed (calculator stays at version 1)

        """)
    #expect(answer.err == "")
    #expect(repl.send("(modules)").out == table)
    #expect(repl.send("(app:run)").out == "3\n")
    #expect(repl.send("(count (reload-stats))").out == "2\n")
    // The file still differs from the loaded version, so reload-all finds it: its hash is unchanged.
    #expect(repl.send("(reload-all)").out == "✓ Reloaded 1 module(s): calculator v2\n")
    #expect(repl.close() == 0)
  }
}

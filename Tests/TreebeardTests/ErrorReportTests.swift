// Friendlier error reports (issue 13 item 4): did-you-mean, long lines cut, control characters escaped.

import Foundation
import OxurSyntax
import Testing

@testable import Treebeard

@Suite struct ErrorReportTests {
  @Test func unknownNamesSuggestTheClosestKnownName() throws {
    let piped = try Executable.run([], stdin: "(defn square [x] (* x x))\n(sqare 3)\n(prnitln 1)\n(zzzzzz 1)\n")
    #expect(piped.stderr.contains("unknown name: sqare (did you mean square?)"))
    #expect(piped.stderr.contains("unknown name: prnitln (did you mean println?)"))
    #expect(piped.stderr.contains("unknown name: zzzzzz\n"))
    let directory = ModuleDirectory()
    let path = directory.write("m.oxur", "(module m)\n(defn total [xs] (reduce + 0 xs))\n(defn f [] (totl [1]))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    do {
      try interpreter.load(path: path)
      Issue.record("a typo loaded")
    } catch let failure as LoadFailure {
      #expect(failure.error.message == "unknown name: totl (did you mean total?)")
    }
  }

  /// A qualified name offered prelude names and the caller's own ("b:g (did you mean *?)"):
  /// only the names module b offers answer it, qualified, as the load-time check says.
  @Test func aQualifiedUnknownNameSuggestsOnlyThatModulesNames() throws {
    let directory = ModuleDirectory()
    let path = directory.write("b.oxur", "(module b)\n(defn helper [] 1)\n(defn- hidden [] 2)\n(export helper)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    func message(_ code: String) -> String {
      do {
        _ = try interpreter.eval(code)
        return "no error"
      } catch let error as OxurError { return error.message } catch { return "\(error)" }
    }
    #expect(message("(b:g)") == "unknown name: b:g (module b defines no g)")
    #expect(message("(b:helpr)") == "unknown name: b:helpr (module b defines no helpr; did you mean b:helper?)")
    #expect(message("(b:hiden)") == "unknown name: b:hiden (module b defines no hiden)")
    let user = directory.write("u.oxur", "(module u)\n(import b)\n(defn f [] (b:helpr))\n")
    do {
      try interpreter.load(path: user)
      Issue.record("a typo loaded")
    } catch let failure as LoadFailure {
      #expect(failure.error.message == "unknown name: b:helpr (module b defines no helpr; did you mean b:helper?)")
    }
  }

  @Test func suggestionsAreCloseAndStable() {
    #expect(Suggestions.closest(to: "mapv", among: ["map", "mapcat", "max"]) == "map")
    #expect(Suggestions.closest(to: "ab", among: ["xy", "abc"]) == "abc")
    #expect(Suggestions.closest(to: "abcdef", among: ["uvwxyz"]) == nil)
    // A one-letter name is one edit from every other: `p` was offered `*`, `(doc "")` too.
    #expect(Suggestions.closest(to: "p", among: ["*", "+", "-"]) == nil)
    #expect(Suggestions.closest(to: "", among: ["*", "a"]) == nil)
    #expect(Suggestions.closest(to: "p", among: ["*", "pr"]) == "pr")
    #expect(Suggestions.closest(to: "cat", among: ["bat", "cab"]) == "bat")
  }

  /// A 1 MB line in an error report prints a window around the caret, not the megabyte.
  @Test func longLinesAreCutAroundTheCaret() throws {
    let long = String(repeating: "a", count: 1_000_000)
    let result = try Executable.run([], stdin: "(+ 1 (str \"\(long)\" (/ 1 0)))\n")
    #expect(result.stderr.utf8.count < 2_000, "\(result.stderr.utf8.count) bytes of report")
    #expect(result.stderr.contains("…"))
    let file = SourceFile(
      name: "t", text: String(repeating: "b", count: 500) + "X" + String(repeating: "c", count: 500))
    let excerpt = try #require(Span(file: file, line: 1, column: 501).excerpt())
    let lines = excerpt.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 2)
    // The caret stands under the X, which is shown.
    let caret = try #require(lines[1].firstIndex(of: "^"))
    let offset = lines[1].distance(from: lines[1].startIndex, to: caret)
    #expect(Array(lines[0])[offset] == "X")
  }

  /// Files with Windows line endings quote their lines like any other ("\r\n" is one Swift
  /// Character, so splitting on "\n" made such a file one line: runtime errors quoted nothing
  /// and a parse error on line 1 quoted the whole file).
  @Test func windowsLineEndingsQuoteTheRightLine() throws {
    let file = SourceFile(name: "w.oxur", text: "(module w)\r\n(defn f []\r\n  (+ 1 :x))\r\n")
    #expect(file.lines == ["(module w)", "(defn f []", "  (+ 1 :x))", ""])
    #expect(Span(file: file, line: 3, column: 3).excerpt() == " 3 |   (+ 1 :x))\n   |   ^")
    #expect(SourceFile(name: "n", text: "a\nb\r\n\r\nc\r").lines == ["a", "b", "", "c"])
    let directory = ModuleDirectory()
    let path = directory.write("crlf.oxur", "(module crlf)\r\n(defn f []\r\n  (+ 1 :x))\r\n")
    let report = try Executable.run([], stdin: "(load \(Printer.readable(.string(path))))\n(crlf:f)\n")
    #expect(report.stderr.contains(" 3 |   (+ 1 :x))\n   |   ^"), "\(report.stderr)")
  }

  /// A reload form in a program file that fails where the loader knows no place (a missing
  /// file, a directory, no such module) reports the failing call: which of many loads it was.
  /// At a prompt too: the failing load may sit in a function defined lines before.
  @Test func reloadFormsInAFileReportTheirCallSite() throws {
    let directory = ModuleDirectory()
    let program = directory.write(
      "prog.oxur",
      "(defn main []\n  (load \"ok.oxur\")\n  (load \"missing.oxur\")\n  (rollback nosuch)\n  (reload-all \"nodir\"))\n"
    )
    directory.write("ok.oxur", "(module ok)\n(defn f [] 1)\n")
    let result = try Executable.run(["run", program], in: directory.url)
    #expect(result.stderr.contains("prog.oxur:3:3: file not found"), "\(result.stderr)")
    #expect(result.stderr.contains(" 3 |   (load \"missing.oxur\")"), "\(result.stderr)")
    #expect(result.stderr.contains("prog.oxur:4:3: cannot roll back nosuch: no such module is loaded"))
    #expect(result.stderr.contains("prog.oxur:5:3: reload-all: nodir is not a directory"))
    let typed = try Executable.run(
      [], stdin: "(load \"missing.oxur\")\n(defn f []\n  (load \"missing.oxur\"))\n(f)\n", in: directory.url)
    #expect(typed.stderr.hasPrefix("✗ Error at <repl:1>:1:1: file not found"), "\(typed.stderr)")
    #expect(typed.stderr.contains(" 1 | (load \"missing.oxur\")\n   | ^\n"), "\(typed.stderr)")
    #expect(typed.stderr.contains("✗ Error at <repl:2>:2:3: file not found"), "\(typed.stderr)")
  }

  /// A function a builtin called (`map` calling `await`) has no call in the source: its frame
  /// said `called at <unknown>:0:0`. It now says a builtin called it; the builtin's frame
  /// below has the place.
  @Test func aFrameABuiltinCalledSaysSoInsteadOfAnUnknownPlace() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    do {
      _ = try interpreter.eval("(map await [(spawn (fn [] (/ 1 0)))])")
      Issue.record("expected division by zero")
    } catch let error as OxurError {
      let report = ErrorRenderer.render(error)
      #expect(!report.contains("<unknown>"), "\(report)")
      #expect(report.contains("in await called by the builtin below\n  in map called at <eval>:1:1"), "\(report)")
    }
    // An Oxur function a builtin called was shown "called at" its own definition, a call that
    // never was.
    do {
      _ = try interpreter.eval("(defn area [s] (/ 1 s))\n(map area [1 0])")
      Issue.record("expected division by zero")
    } catch let error as OxurError {
      let report = ErrorRenderer.render(error)
      #expect(report.contains("in user:area called by the builtin below\n  in map called at <eval>:2:1"), "\(report)")
    }
  }

  @Test func controlCharactersAreShownEscaped() throws {
    let file = SourceFile(name: "t", text: "(+ \"\u{1b}[31m\" (/ 1 0))")
    let excerpt = try #require(Span(file: file, line: 1, column: 12).excerpt())
    #expect(!excerpt.contains("\u{1b}"))
    #expect(excerpt.contains("\\u{1b}[31m"))
    let lines = excerpt.split(separator: "\n")
    let caret = try #require(lines[1].firstIndex(of: "^"))
    let offset = lines[1].distance(from: lines[1].startIndex, to: caret)
    #expect(Array(lines[0])[offset] == "(")
  }

  /// Issue 13: `(t 30)` reported "31 times" and lost the call site that started the recursion.
  @Test func deepRecursionCountsEveryFrameAndKeepsTheOuterCallSite() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "tt.oxur",
      "(module tt)\n(defn t [n] (if (= n 0) (throw \"boom\") (+ 1 (t (- n 1)))))\n(defn main [] (t 30))\n")
    let result = try Executable.run(["run", path])
    #expect(result.status == 1)
    #expect(
      result.stderr.hasSuffix(
        """
        Stack trace (innermost first):
          in tt:t called at \(path):2:45 (30 times)
          in tt:t called at \(path):3:15
          in tt:main called at \(path):3:1

        """), "\(result.stderr)")
  }
}

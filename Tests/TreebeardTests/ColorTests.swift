// Issue 13: colour on a terminal, NO_COLOR (no-color.org) and --color=never|always|auto.

import Foundation
import Testing
import Treebeard

@testable import TreebeardREPL

@Suite struct ColorTests {
  private static func stripped(_ text: String) -> String {
    text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
  }

  @Test func errorsAreRedWithACaretWhenColourIsOn() throws {
    let result = try Executable.run(["eval", "--color=always", "(/ 1 0)"])
    #expect(result.stderr.hasPrefix("\u{1B}[31m✗ Error at <eval>:1:1: division by zero\u{1B}[0m\n"), "\(result.stderr)")
    #expect(result.stderr.contains("\u{1B}[31m\u{1B}[1m ^\u{1B}[0m"))
    #expect(ColorTests.stripped(result.stderr) == (try Executable.run(["eval", "--color=never", "(/ 1 0)"])).stderr)
  }

  /// Off on a pipe (auto), off with NO_COLOR even when a terminal would have it, on with always.
  @Test func autoNeverAndNoColor() throws {
    let piped = try Executable.run(["eval", "(/ 1 0)"])
    #expect(!piped.stderr.contains("\u{1B}"))
    let noColor = try Executable.run(["eval", "(/ 1 0)"], environment: ["NO_COLOR": "1"])
    #expect(!noColor.stderr.contains("\u{1B}"))
    #expect(!Colors.enabled(descriptor: 0, environment: ["NO_COLOR": "1"]))
    #expect(!Colors.enabled(descriptor: 0, environment: ["TERM": "dumb"]))
    #expect(Colors.enabled(descriptor: 0, environment: ["NO_COLOR": "1", "TREEBEARD_COLOR": "always"]))
    #expect(!Colors.enabled(descriptor: 0, environment: ["TREEBEARD_COLOR": "never"]))
    let refused = try Executable.run(["eval", "--color=sometimes", "1"])
    #expect(refused.status == 64)
    #expect(refused.stderr.contains("--color must be auto, always or never"))
  }

  /// REPL results are coloured lightly and reload lines by kind; the text is unchanged.
  @Test func replResultsAndReloadLines() throws {
    let directory = ModuleDirectory()
    let path = directory.write("m.oxur", "(module m)\n(defn f [] 1)\n")
    let result = try Executable.run(
      ["--color=always"], stdin: "[1 \"a \\\" b\" :k -2 nil 3.5]\n(load \"\(path)\")\n")
    #expect(
      result.stdout.hasPrefix(
        "[\u{1B}[36m1\u{1B}[0m \u{1B}[32m\"a \\\" b\"\u{1B}[0m \u{1B}[35m:k\u{1B}[0m \u{1B}[36m-2\u{1B}[0m nil \u{1B}[36m3.5\u{1B}[0m]\n"
      ),
      "\(result.stdout)")
    #expect(result.stdout.contains("\u{1B}[32m✓ Loaded module: m (version 1)\u{1B}[0m\n"))
    #expect(ColorTests.stripped(result.stdout) == "[1 \"a \\\" b\" :k -2 nil 3.5]\n✓ Loaded module: m (version 1)\n")
  }

  @Test func highlightNeverChangesTheText() {
    for text in ["[1 2 3]", "{:a \"x\\\\\" :b [-1 -x]}", "\"unterminated", "(struct m:P :x 1)", "#{:k}", "", "-"] {
      #expect(ColorTests.stripped(Colors.highlight(text)) == text, "\(text)")
    }
  }

  /// A character literal `\"` opened a string that coloured the rest of the value green, and
  /// the number in `#<pid 1>` was coloured with its `>`.
  @Test func characterLiteralsAndOpaqueValuesAreNotColoured() {
    #expect(Colors.highlight("[\\\" 1 \\a]") == "[\\\" \u{1B}[36m1\u{1B}[0m \\a]")
    #expect(Colors.highlight("[#<pid 1> 2]") == "[#<pid 1> \u{1B}[36m2\u{1B}[0m]")
    for text in ["\\", "#<", "#<pid", "[\\", "#", "\\\"\"x\""] {
      #expect(ColorTests.stripped(Colors.highlight(text)) == text, "\(text)")
    }
  }

  /// A line is coloured by how it starts, even when it arrives in pieces.
  @Test func partialWritesColourOnlyLineStarts() {
    let buffer = BufferedOutput()
    let sink = ColoringOutput(buffer)
    sink.write("✓ Loa")
    sink.write("ded\n✗ bad\nplain ✓\n")
    #expect(buffer.take() == "\u{1B}[32m✓ Loa\u{1B}[0mded\n\u{1B}[31m✗ bad\u{1B}[0m\nplain ✓\n")
  }
}

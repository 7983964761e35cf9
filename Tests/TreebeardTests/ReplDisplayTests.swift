// What the REPL shows for a result (issue 13 item 4): big collections elided with a count.

import Foundation
import Testing
import Treebeard

@Suite struct ReplDisplayTests {
  @Test func aMillionElementVectorDoesNotFloodTheTerminal() throws {
    let result = try Executable.run(
      [], stdin: "(def v (vec (range 1000000)))\nv\n(count (pr-str v))\n(into {} (map (fn [i] [i i]) (range 1002)))\n")
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 4)
    #expect(lines[1].hasPrefix("[0 1 2 "))
    #expect(lines[1].hasSuffix(" 998 999 … (999000 more)]"))
    #expect(lines[1].utf8.count < 5_000)
    // *1 and pr-str keep the whole value.
    #expect(lines[2] == "6888891")  // 5,888,890 digits, 999,999 spaces, 2 brackets
    #expect(lines[3].hasSuffix(" … (2 more)}"))
  }

  @Test func smallValuesPrintWhole() {
    #expect(Printer.summary(.vector(PersistentVector.from((0..<3).map { .int($0) }))) == "[0 1 2]")
    #expect(
      Printer.summary(.vector(PersistentVector.from((0..<5).map { .int($0) })), elementLimit: 2) == "[0 1 … (3 more)]")
  }
}

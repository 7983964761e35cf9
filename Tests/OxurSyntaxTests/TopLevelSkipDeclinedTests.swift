// Which forms `readTopLevel`'s skip was offered and declined (the loader then asks no reuse question twice).

import Testing

@testable import OxurSyntax

@Suite struct TopLevelSkipDeclinedTests {
  @Test func declinedOnlyWhereASkipWasOfferedAndRefused() throws {
    let file = SourceFile(name: "t.oxur", text: "(a 1)\n(b 2)\n(c 3)\n")
    let plain = try Reader.readTopLevel(file)
    #expect(plain.map(\.skipDeclined) == [false, false, false])
    let all = plain
    let forms = try Reader.readTopLevel(file) { _, line, _ in
      line == 2 ? (all[1].end, all[1].endLine, all[1].endColumn) : nil
    }
    #expect(forms.map { $0.form == nil } == [false, true, false])
    #expect(forms.map(\.skipDeclined) == [true, false, true])
  }
}

// Reading top-level forms with their extents, and stepping over forms a caller vouches for.

import Testing

@testable import OxurSyntax

@Suite struct TopLevelReadTests {
  let text = "(a 1)\n  (b \"é\"\n   2) ; note\n#_ (gone) (c)\n"

  @Test func extentsAndPlacesOfEveryForm() throws {
    let file = SourceFile(name: "t.oxur", text: text)
    let forms = try Reader.readTopLevel(file)
    #expect(forms.map(\.line) == [1, 2, 4])
    #expect(forms.map(\.column) == [1, 3, 11])
    let bytes = Array(text.utf8)
    let texts = forms.map { String(decoding: bytes[$0.start..<$0.end], as: UTF8.self) }
    #expect(texts == ["(a 1)", "(b \"é\"\n   2)", "(c)"])
    #expect(forms.allSatisfy { $0.form != nil })
    #expect(forms.map(\.endLine) == [1, 3, 4] && forms.map(\.endColumn) == [6, 6, 14])
  }

  /// The expected count is only room made ahead: any number, even an absurd one, reads the same.
  @Test func anExpectedCountChangesNothingButRoom() throws {
    let file = SourceFile(name: "t.oxur", text: text)
    let plain = try Reader.readTopLevel(file).map(\.start)
    for expected in [Int.min, -1, 0, 1, 3, 1_000, Int.max] {
      #expect(try Reader.readTopLevel(file, expectedCount: expected).map(\.start) == plain)
    }
  }

  /// A skipped form is not built; the forms after it keep their true lines and columns, and
  /// `seek` reads it after all.
  @Test func aVouchedFormIsSteppedOverAndCanBeReadLater() throws {
    let file = SourceFile(name: "t.oxur", text: text)
    let all = try Reader.readTopLevel(file)
    var asked: [Int] = []
    let forms = try Reader.readTopLevel(file) { _, line, _ in
      asked.append(line)
      return line == 2 ? (all[1].end, all[1].endLine, all[1].endColumn) : nil
    }
    // Asked at every top-level start, the `#_` discard's included (its bytes are not a form's).
    #expect(asked == [1, 2, 4, 4])
    #expect(forms[1].form == nil)
    #expect(forms[1].start == all[1].start && forms[1].end == all[1].end)
    #expect(forms[2].line == 4 && forms[2].column == 11 && forms[2].form?.span.column == 11)
    var reader = Reader(file)
    reader.seek(offset: forms[1].start, line: forms[1].line, column: forms[1].column)
    let again = try #require(try reader.next())
    #expect(again.span.line == 2 && again.span.column == 3)
    #expect(again.listElements?.count == 3)
  }

  /// A skip that points backwards or past the end is not followed: the form is read.
  @Test func impossibleSkipsAreIgnored() throws {
    let file = SourceFile(name: "t.oxur", text: text)
    let backwards = try Reader.readTopLevel(file) { offset, line, column in (offset, line, column) }
    #expect(backwards.allSatisfy { $0.form != nil })
    let pastTheEnd = try Reader.readTopLevel(file) { _, line, _ in (1 << 40, line + 1, 1) }
    #expect(pastTheEnd.allSatisfy { $0.form != nil })
  }
}

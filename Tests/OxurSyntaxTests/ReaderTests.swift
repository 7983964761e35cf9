// Reader unit tests: every literal kind, spans, errors, and that nothing traps.

import Testing

@testable import OxurSyntax

@Suite struct ReaderTests {
  func read(_ text: String) throws(ReadError) -> [Syntax] {
    try Reader.readAll(SourceFile(name: "t.oxur", text: text))
  }

  @Test func numbers() throws {
    let forms = try read("42 -7 0xff 0b101 1_000_000 3.14 1e9 -0.5 ##Inf ##-Inf")
    let kinds = forms.map(\.kind)
    guard case .int(42) = kinds[0], case .int(-7) = kinds[1], case .int(255) = kinds[2], case .int(5) = kinds[3],
      case .int(1_000_000) = kinds[4], case .float(3.14) = kinds[5], case .float(1e9) = kinds[6],
      case .float(-0.5) = kinds[7], case .float(let inf) = kinds[8], case .float(let negInf) = kinds[9]
    else {
      Issue.record("unexpected kinds \(kinds)")
      return
    }
    #expect(inf == .infinity && negInf == -.infinity)
  }

  @Test func overflowingLiteralIsAnError() {
    #expect(throws: ReadError.self) { try read("99999999999999999999") }
    #expect((try? read("-9223372036854775808")) != nil)
  }

  @Test func spansAreOneBased() throws {
    let forms = try read("\n  (a\n   b)")
    #expect(forms[0].span.line == 2 && forms[0].span.column == 3)
    guard case .list(let items) = forms[0].kind else { return }
    #expect(items[1].span.line == 3 && items[1].span.column == 4)
  }

  @Test func stringsAndChars() throws {
    let forms = try read(#""a\nb\t\"\\ \u{1F333}" \a \newline \space \u{41}"#)
    guard case .string(let s) = forms[0].kind else { return }
    #expect(s == "a\nb\t\"\\ 🌳")
    guard case .char(let a) = forms[1].kind, case .char(let n) = forms[2].kind, case .char(let sp) = forms[3].kind,
      case .char(let u) = forms[4].kind
    else { return }
    #expect(a == "a" && n == "\n" && sp == " " && u == "A")
  }

  @Test func qualifiedSymbolsAndKeywords() throws {
    let forms = try read("calculator:add :name x:i64")
    guard case .symbol(let module, let name) = forms[0].kind, case .keyword(let k) = forms[1].kind else { return }
    #expect(module == "calculator" && name == "add" && k == "name")
  }

  @Test func sugarAndDiscard() throws {
    let forms = try read("'x `(a ~b ~@c) @d #_ ignored #{1 2} {:a 1}, [1,2]")
    #expect(forms.count == 6)
    #expect(forms[0].isCall(to: "quote"))
    #expect(forms[1].isCall(to: "quasiquote"))
    #expect(forms[2].isCall(to: "deref"))
  }

  @Test func errorsCarryPositionAndIncompleteness() {
    do {
      _ = try read("(+ 1\n  (* 2")
      Issue.record("expected an error")
    } catch {
      #expect(error.isIncomplete)
      #expect(error.message.contains("unclosed"))
    }
    do {
      _ = try read("(a))")
      Issue.record("expected an error")
    } catch {
      #expect(!error.isIncomplete)
      #expect(error.span.column == 4)
      #expect(error.message.contains("unexpected ')'"))
    }
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let text = String(repeating: "(", count: 100_000)
    #expect(throws: ReadError.self) { try read(text) }
  }

  @Test func arbitraryBytesNeverTrap() {
    var generator = SystemRandomNumberGenerator()
    let alphabet = Array("()[]{}#_~@'`\\\";:abc123 .-+eEx\n\t,^ü🌳")
    for _ in 0..<2000 {
      let length = Int.random(in: 0..<40, using: &generator)
      let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
      _ = try? read(text)
    }
  }
}

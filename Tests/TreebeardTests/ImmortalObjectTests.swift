// Interned symbols and keywords and the prelude's builtins are immortal: no atomic reference counting.

import Testing

@testable import Treebeard

@Suite struct ImmortalObjectTests {
  /// A retain leaves an immortal object's count as it was; an ordinary object's goes up.
  private func retainIsCounted(_ object: AnyObject) -> Bool {
    let before = _getRetainCount(object)
    let unmanaged = Unmanaged.passUnretained(object).retain()
    let after = _getRetainCount(object)
    unmanaged.release()
    return after != before
  }

  @Test func internedNamesAndBuiltinsAreImmortal() {
    let symbol = Symbol.intern("immortal-test-\(Int.random(in: 0..<1_000_000))")
    #expect(!retainIsCounted(symbol))
    #expect(!retainIsCounted(Symbol.intern("calc:immortal-test")))
    #expect(!retainIsCounted(Keyword.intern("immortal-test-keyword")))
    if let plus = Prelude.standard["+"] { #expect(!retainIsCounted(plus)) } else { Issue.record("no +") }
    #expect(retainIsCounted(ResolutionLog()))
  }

  /// Every interpreter starts from the one table: the same builtin objects, and a host
  /// builtin added to one interpreter is not seen by another.
  @Test func interpretersShareThePreludeTable() throws {
    let first = Interpreter(output: BufferedOutput())
    let second = Interpreter(output: BufferedOutput())
    #expect(first.runtime.prelude["map"] === second.runtime.prelude["map"])
    first.defineBuiltin(Builtin("only-here", arity: 0...0) { _, _ in .int(1) })
    #expect(try first.eval("(only-here)").printed == "1")
    #expect(second.runtime.prelude["only-here"] == nil)
    #expect(Prelude.standard["only-here"] == nil)
  }
}

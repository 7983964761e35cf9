// read-line: standard input for programs, an evaluation's own input for hosts and nREPL sessions.

import Foundation
import Testing
import Treebeard

/// Lines given up front, as a host would hand over a request body.
final class FixedInput: InputSource, @unchecked Sendable {
  private var buffer = LineBuffer()
  init(_ text: String) { buffer.append(text.utf8) }
  func nextLine() -> InputLine { buffer.take(ended: true) }
}

/// Input that never comes.
final class SilentInput: InputSource, @unchecked Sendable {
  func nextLine() -> InputLine { .waiting }
}

@Suite struct ReadLineTests {
  @Test func aProgramReadsItsStandardInputLineByLine() throws {
    let directory = ModuleDirectory()
    let file = directory.write(
      "echo.oxur", "(defn main [] (println (read-line)) (println (read-line)) (println (read-line)))\n")
    let result = try Executable.run(["run", file], stdin: "first\r\nsecond")
    #expect(result.stdout == "first\nsecond\nnil\n")
    #expect(result.status == 0)
  }

  /// Lines taken from the front without moving the rest: CRLF, a line split over reads, a
  /// last line without a newline, and many lines past the compaction point, all as written.
  @Test func aLineBufferGivesEveryLineAsWritten() {
    var buffer = LineBuffer()
    buffer.append(ArraySlice(Array("one\r\ntw".utf8)))
    #expect(buffer.take(ended: false) == .line("one"))
    #expect(buffer.take(ended: false) == .waiting)
    buffer.append(ArraySlice(Array("o\n\nthree".utf8)))
    #expect(buffer.take(ended: false) == .line("two"))
    #expect(buffer.take(ended: false) == .line(""))
    #expect(buffer.take(ended: false) == .waiting)
    #expect(buffer.take(ended: true) == .line("three"))
    #expect(buffer.take(ended: true) == .endOfInput)
    let lines = (0..<40_000).map { "line \($0) " + String(repeating: "x", count: $0 % 37) }
    for (index, line) in lines.enumerated() {
      buffer.append(ArraySlice(Array((line + "\n").utf8)))
      // Take about two lines for every three appended, so bytes pile up and get compacted.
      if index % 3 != 0 { _ = buffer.take(ended: false) }
    }
    var taken: [String] = []
    while case .line(let line) = buffer.take(ended: true) { taken.append(line) }
    #expect(taken == Array(lines.suffix(taken.count)))
    #expect(taken.count == 40_000 - lines.indices.filter { $0 % 3 != 0 }.count)
  }

  /// A REPL fed a long piped session answers every entry (taking each line had copied
  /// everything behind it: quadratic in the input).
  @Test func aLongPipedSessionIsAnsweredWhole() throws {
    let entries = (1...20_000).map { "(+ \($0) 1)" }.joined(separator: "\n") + "\n"
    let result = try Executable.run([], stdin: entries)
    let answers = result.stdout.split(separator: "\n")
    #expect(answers.count == 20_000, "\(answers.count) answers")
    #expect(answers.last == "20001")
  }

  @Test func anEvaluationReadsItsOwnInput() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let handle = EvaluationHandle(interpreter: interpreter)
    handle.input = FixedInput("alpha\nbeta\n")
    #expect(
      try interpreter.eval("[(read-line) (read-line) (read-line)]", handle: handle).printed
        == "[\"alpha\" \"beta\" nil]")
  }

  @Test func waitingForInputHoldsUpNoOtherThreadAndAnInterruptStopsIt() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let handle = EvaluationHandle(interpreter: interpreter)
    handle.input = SilentInput()
    let entered = Checkpoint("entered", in: interpreter)
    let reader = Background { try interpreter.eval("(entered) (read-line)", handle: handle) }
    entered.wait("the reader started")
    #expect(try interpreter.eval("(+ 1 2)") == .int(3))
    handle.interrupt()
    #expect(oxurError(reader.wait("the reader"))?.kind == "interrupted")
  }
}

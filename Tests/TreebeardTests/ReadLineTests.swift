// read-line: standard input for programs, an evaluation's own input for hosts and nREPL sessions.

import Foundation
import Testing
import Treebeard

/// Lines given up front, as a host would hand over a request body.
final class FixedInput: InputSource, @unchecked Sendable {
  private var buffer: [UInt8]
  init(_ text: String) { buffer = Array(text.utf8) }
  func nextLine() -> InputLine { InputBuffer.take(&buffer, ended: true) }
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

// Every kind of broken reload, between good ones, while another thread calls the module: each failure says so and changes nothing.

import Foundation
import Synchronization
import Testing
import Treebeard

@Suite struct FailedReloadStormTests {
  private static func good(_ number: Int) -> String {
    "(module svc)\n(defonce hits (atom 0))\n(defn answer \"Version \(number).\" [] :v\(number))\n(defn --check-- [] true)\n"
  }

  /// A way to break `svc.oxur` (and what the failure must name), undone by the next good save.
  private struct Breakage: Sendable {
    let name: String
    let expected: String
    let apply: @Sendable (ModuleDirectory, String) throws -> Void
  }

  private static func writing(_ name: String, _ expected: String, _ text: String) -> Breakage {
    Breakage(name: name, expected: expected) { directory, _ in directory.write("svc.oxur", text) }
  }

  private static let breakages: [Breakage] = [
    writing("read error", "unclosed '('", "(module svc)\n(defn answer [] :bad\n"),
    writing("malformed form", "let needs", "(module svc)\n(defn answer [] (let [x] x))\n"),
    writing("unknown name", "unknown name: nope", "(module svc)\n(defn answer [] (nope))\n"),
    writing("top level throws", "division by zero", "(module svc)\n(defn answer [] :bad)\n(/ 1 0)\n"),
    writing(
      "check fails", "--check-- of svc returned false",
      "(module svc)\n(defn answer [] :bad)\n(defn --check-- [] false)\n"),
    writing(
      "failing import", "broken.oxur:2:12: unclosed '('",
      "(module svc)\n(import broken)\n(defn answer [] :bad)\n"),
    writing("empty file", "is empty", ""),
    writing(
      "top level set! of its defonce then throws", "division by zero",
      "(module svc)\n(defonce hits (atom 0))\n(set! hits :clobbered)\n(defn answer [] :bad)\n(/ 1 0)\n"),
    Breakage(name: "not UTF-8", expected: "not valid UTF-8") { directory, path in
      try Data(Array("(module svc)\n(defn answer [] \"caf".utf8) + [0xE9, 0x22, 0x29, 0x0A]).write(
        to: URL(fileURLWithPath: path))
    },
    Breakage(name: "a directory", expected: "is a directory") { _, path in
      try FileManager.default.removeItem(atPath: path)
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    },
    Breakage(name: "deleted", expected: "is gone") { _, path in try FileManager.default.removeItem(atPath: path) },
  ]

  /// What `(history svc)` prints.
  private func printedHistory(_ interpreter: Interpreter, _ output: BufferedOutput) throws -> String {
    _ = output.take()
    try interpreter.eval("(history svc)")
    return output.take()
  }

  /// Between good reloads, each breakage fails with its own message and the kept version, and
  /// leaves the module table, the answer, the `defonce` value and the history exactly as they
  /// were; a caller looping on another thread meanwhile only ever sees committed versions.
  @Test func eachBrokenReloadBetweenGoodOnesChangesNothingAndSaysSo() throws {
    let directory = ModuleDirectory()
    directory.write("broken.oxur", "(module broken)\n(defn f [] (\n")
    let path = directory.write("svc.oxur", Self.good(1))
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    let stop = Atomic<Bool>(false)
    let caller = Background { () -> Set<String> in
      var seen: Set<String> = []
      while !stop.load(ordering: .sequentiallyConsistent) {
        seen.insert(try interpreter.call(module: "svc", function: "answer").printed)
      }
      return seen
    }
    var number = 1
    for round in 0..<20 {
      for breakage in Self.breakages {
        let before = interpreter.modules()
        let history = try printedHistory(interpreter, output)
        let hits = try interpreter.eval("@svc:hits")
        try breakage.apply(directory, path)
        let outcome = Result { try interpreter.reload(path: path) }
        guard case .failure(let error) = outcome, let failure = error as? LoadFailure else {
          Issue.record("round \(round), \(breakage.name): the reload did not fail: \(outcome)")
          continue
        }
        #expect(failure.report.contains(breakage.expected), "\(breakage.name): \(failure.report)")
        #expect(
          failure.report.hasSuffix("✗ Module not reloaded (keeping version \(number))"),
          "\(breakage.name): \(failure.report)")
        #expect(interpreter.modules() == before, "\(breakage.name)")
        #expect(try interpreter.eval("(svc:answer)") == .keyword("v\(number)"), "\(breakage.name)")
        #expect(try printedHistory(interpreter, output) == history, "\(breakage.name)")
        #expect(try interpreter.eval("@svc:hits") == hits, "\(breakage.name)")
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        number += 1
        directory.write("svc.oxur", Self.good(number))
        let committed = try interpreter.reload(path: path)
        #expect(committed.version == number, "after \(breakage.name)")
      }
    }
    #expect(!interpreter.modules().contains { $0.name == "broken" }, "a failed import never stays")
    stop.store(true, ordering: .sequentiallyConsistent)
    guard case .success(let seen)? = caller.wait("the caller stops") else {
      Issue.record("the caller failed")
      return
    }
    let committed = Set((1...number).map { ":v\($0)" })
    #expect(seen.isSubset(of: committed), "only committed answers: \(seen.subtracting(committed))")
  }
}

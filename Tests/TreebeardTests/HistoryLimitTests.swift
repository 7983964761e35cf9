// How many versions each module keeps for rollback (DESIGN.md §4): `(history-limit)`, the Swift API and `--history-limit`.

import Foundation
import Testing

@testable import Treebeard

@Suite struct HistoryLimitTests {
  /// The versions `(history m)` lists, oldest first.
  private func listedVersions(_ interpreter: Interpreter, _ output: BufferedOutput, _ module: String) throws -> [String]
  {
    _ = output.take()
    try interpreter.eval("(history \(module))")
    return output.take().split(separator: "\n").dropFirst().compactMap {
      $0.split(separator: " ").first.map(String.init)
    }
  }

  /// DESIGN.md §4 says the history is configurable (0 = unlimited); only Swift inside the
  /// library could set it.
  @Test func theLimitIsSetFromOxurAndAppliesAtOnce() throws {
    let directory = ModuleDirectory()
    let path = directory.write("h.oxur", "(module h)\n(defn f [] 0)\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    for round in 1...5 {
      directory.write("h.oxur", "(module h)\n(defn f [] \(round))\n")
      try interpreter.reload(path: path)
    }
    #expect(try interpreter.eval("(history-limit)") == .int(16))
    #expect(try listedVersions(interpreter, output, "h") == ["1", "2", "3", "4", "5", "6"])
    try interpreter.eval("(history-limit 2)")
    #expect(interpreter.historyLimit == 2)
    // Lowered, it drops the oldest kept versions now, not at the module's next commit.
    #expect(try listedVersions(interpreter, output, "h") == ["4", "5", "6"])
    directory.write("h.oxur", "(module h)\n(defn f [] 9)\n")
    try interpreter.reload(path: path)
    #expect(try listedVersions(interpreter, output, "h") == ["5", "6", "7"])
    try interpreter.eval("(history-limit 0)")
    for round in 10...13 {
      directory.write("h.oxur", "(module h)\n(defn f [] \(round))\n")
      try interpreter.reload(path: path)
    }
    #expect(try listedVersions(interpreter, output, "h") == ["5", "6", "7", "8", "9", "10", "11"])
    // A version the limit dropped cannot be rolled back to; one kept can.
    try interpreter.eval("(history-limit 3)")
    #expect(throws: (any Error).self) { try interpreter.rollback(module: "h", to: 7) }
    do {
      try interpreter.eval("(history-limit 0)")
      try interpreter.rollback(module: "h", to: 2)
      Issue.record("a dropped version was rolled back to")
    } catch let failure as LoadFailure {
      // 0 keeps every version: "the history keeps 0" read as if none were.
      #expect(failure.error.message.hasSuffix("(kept versions: 8–10; the history keeps every version)"))
    }
    try interpreter.eval("(history-limit 3)")
    try interpreter.rollback(module: "h", to: 8)
    #expect(try interpreter.eval("(h:f)") == .int(10))
  }

  @Test func aNegativeLimitOrOneSetInsideALoadIsRefused() throws {
    let (interpreter, _, errors) = bufferedInterpreter()
    do {
      try interpreter.eval("(history-limit -1)")
      Issue.record("a negative limit was taken")
    } catch let error as OxurError {
      #expect(error.message == "history-limit must be 0 (keep every version) or more, got -1")
    }
    #expect(throws: OxurError.self) { try interpreter.setHistoryLimit(-3) }
    #expect(interpreter.historyLimit == 16)
    let directory = ModuleDirectory()
    let path = directory.write("in.oxur", "(module in)\n(history-limit 1)\n")
    try interpreter.eval("(load \"\(path)\")")
    #expect(errors.take().contains("history-limit cannot change inside a load"))
    #expect(interpreter.historyLimit == 16)
  }

  /// `(history m)` in m's own top level (or its migrator) said m was not loaded: its current
  /// version then is the staged one, numbered 0.
  @Test func historyWorksWhileTheModuleIsBeingReloaded() throws {
    let directory = ModuleDirectory()
    let path = directory.write("s.oxur", "(module s)\n(defn f [] 1)\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("s.oxur", "(module s)\n(defn f [] 2)\n(history s)\n")
    try interpreter.eval("(reload \"\(path)\")")
    #expect(errors.take() == "")
    let printed = output.take()
    #expect(printed.contains("1 (current)"), "\(printed)")
    #expect(printed.contains("✓ Reloaded module: s (version 2"), "\(printed)")
  }

  @Test func theExecutableTakesTheLimit() throws {
    let directory = ModuleDirectory()
    let program = directory.write(
      "prog.oxur",
      """
      (module prog)
      (defn main []
        (spit "h.oxur" "(module h)\\n(defn f [] 0)\\n")
        (load "h.oxur")
        (loop [n 1]
          (when (<= n 4)
            (spit "h.oxur" (str "(module h)\\n(defn f [] " n ")\\n"))
            (reload "h.oxur")
            (recur (+ n 1))))
        (println "limit" (history-limit))
        (history h))
      """)
    let result = try Executable.run(["run", "--history-limit", "1", program], in: directory.url)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("limit 1\n"), "\(result.stdout)")
    let rows = result.stdout.split(separator: "\n").filter { $0.first?.isNumber == true }.map { $0.prefix(1) }
    #expect(rows == ["4", "5"], "\(result.stdout)")
    for arguments in [["--history-limit=-2"], ["--history-limit", "-2"]] {
      let refused = try Executable.run(["run"] + arguments + [program], in: directory.url)
      #expect(refused.status != 0)
      #expect(
        refused.stderr.contains("--history-limit must be 0 (keep every version) or more, not -2"), "\(refused.stderr)")
    }
  }
}

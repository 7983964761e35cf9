// End to end REPL behaviour: Ctrl-C keeps the session, namespaces, REPL state across reloads.

import Foundation
import Testing

@Suite struct ReplTests {
  @Test func controlCInterruptsTheEvaluationAndKeepsTheSession() throws {
    let directory = ModuleDirectory()
    let repl = try ReplSession(in: directory.url)
    #expect(repl.send("(def kept 41)").out == "kept\n")
    repl.interrupt(after: 0.5)
    let answer = repl.send("(loop [i 0] (recur (inc i)))")
    #expect(answer.err.contains("interrupted"))
    #expect(repl.send("(inc kept)").out == "42\n")
    #expect(repl.close() == 0)
  }

  @Test func replDefinitionsSurviveReloadsAndInModuleSwitches() throws {
    let directory = ModuleDirectory()
    directory.write("svc.oxur", "(module svc)\n(defn handler [x] [:v1 x])\n")
    let repl = try ReplSession(in: directory.url)
    _ = repl.send(#"(load "svc.oxur")"#)
    _ = repl.send("(defn call-it [x] (svc:handler x))")
    #expect(repl.send("(call-it 1)").out == "[:v1 1]\n")
    directory.write("svc.oxur", "(module svc)\n(defn handler [x] [:v2 x])\n(defn helper [] :inside)\n")
    #expect(repl.send("(reload-all)").out == "✓ Reloaded 1 module(s): svc v2\n")
    #expect(repl.send("(call-it 2)").out == "[:v2 2]\n")
    // in-module: REPL input now compiles into svc, where unqualified names are svc's.
    _ = repl.send("(in-module svc)")
    #expect(repl.send("(helper)").out == ":inside\n")
    _ = repl.send("(in-module user)")
    #expect(repl.send("(call-it 3)").out == "[:v2 3]\n")
    #expect(repl.close() == 0)
  }

  @Test func replSurvivesEveryKindOfRuntimeFailure() throws {
    let script = """
      (defn deep [n] (if (= n 0) 0 (+ 1 (deep (- n 1)))))
      (deep 1000000)
      (+ 9223372036854775807 1)
      (nth [1] 5)
      (match 3 (1 :one))
      ((fn [a] a))
      (undefined-thing)
      (deep 10)
      """
    let result = try Executable.run([], stdin: script)
    #expect(result.status == 0)
    #expect(result.stdout == "deep\n10\n")
    for message in [
      "stack overflow", "integer overflow", "out of range", "no match", "wrong number of arguments",
      "unknown name: undefined-thing",
    ] {
      #expect(result.stderr.contains(message), "\(message)")
    }
  }

  /// On a terminal (a pseudo-terminal from `script`): the prompt, the banner, and the persistent
  /// history file written through libedit when the system has it.
  @Test func terminalSessionShowsThePromptAndKeepsHistory() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
    let home = ModuleDirectory()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    process.arguments = ["-q", "-c", Executable.url.path, "/dev/null"]
    process.environment = ["HOME": home.url.path, "TERM": "dumb", "PATH": "/usr/bin:/bin"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data("(+ 1 2)\n:quit\n".utf8))
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    try? input.fileHandleForWriting.close()
    process.waitUntilExit()
    #expect(text.contains("treebeard> "))
    #expect(text.contains("3"))
    let hasLibedit = ["/usr/lib/x86_64-linux-gnu/libedit.so.2", "/usr/lib/aarch64-linux-gnu/libedit.so.2"]
      .contains { FileManager.default.fileExists(atPath: $0) }
    if hasLibedit {
      let history = (try? String(contentsOfFile: home.path(".treebeard_history"), encoding: .utf8)) ?? ""
      #expect(history.contains("(+ 1 2)") || history.contains("(+\\0401\\0402)"), "\(history)")
    }
  }
}

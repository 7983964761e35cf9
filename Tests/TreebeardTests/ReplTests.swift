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
}

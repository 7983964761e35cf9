// Uses only the public embedding API (plain `import Treebeard`), as a host application would.

import Foundation
import Testing
import Treebeard

@Suite struct EmbeddingAPITests {
  @Test func hostLoadsCallsReloadsAndInspects() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("embed-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("pricing.oxur").path
    try "(module pricing)\n(defn price [qty] (* qty 10))\n".write(toFile: path, atomically: true, encoding: .utf8)

    let output = BufferedOutput()
    let interpreter = Interpreter(output: output)
    let loaded = try interpreter.load(path: path)
    var expected = LoadOutcome(module: "pricing", version: 1, isReload: false)
    expected.milliseconds = loaded.milliseconds  // the time the load took varies run to run
    #expect(loaded == expected)
    #expect(try interpreter.call(module: "pricing", function: "price", arguments: [.int(3)]).printed == "30")

    try "(module pricing)\n(defn price [qty] (* qty 9))\n".write(toFile: path, atomically: true, encoding: .utf8)
    let reloaded = try interpreter.reload(path: path)
    #expect(reloaded.version == 2 && reloaded.isReload)
    #expect(try interpreter.call(module: "pricing", function: "price", arguments: [.int(3)]).printed == "27")

    #expect(try interpreter.reloadAll().isEmpty)
    try interpreter.eval(#"(println "hello from" (pricing:price 1))"#)
    #expect(output.take() == "hello from 9\n")

    let info = interpreter.modules().first { $0.name == "pricing" }
    #expect(info?.version == 2)
    #expect(info?.path == path)
    #expect(info?.definitions == 1)
  }

  @Test func errorsAreValuesNotCrashes() throws {
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    do {
      try interpreter.eval("(+ 1 :a)")
      Issue.record("expected an error")
    } catch let error as OxurError {
      #expect(error.kind == "type")
      #expect(ErrorRenderer.render(error).contains("<eval>:1:1"))
    }
    #expect(throws: LoadFailure.self) { try interpreter.load(path: "/nonexistent/file.oxur") }
    #expect(throws: OxurError.self) { try interpreter.call(module: "nowhere", function: "f") }
  }
}

@Suite struct HostCallbackTests {
  /// A Swift builtin the host defines may call back into the same interpreter.
  @Test func hostBuiltinCanCallBackIntoTheInterpreter() throws {
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.eval("(defn double [x] (* 2 x))")
    let callback = Builtin("host-twice", arity: 1...1) { _, arguments in
      try interpreter.call(module: "user", function: "double", arguments: [arguments[0]])
    }
    interpreter.define(name: "host-twice", value: .builtin(callback))
    #expect(try interpreter.eval("(+ 1 (host-twice 20))").printed == "41")
  }
}

// The nREPL server's ops, sessions and failure handling, driven over a raw socket.

import Foundation
import Testing
import TreebeardNREPL

@testable import Treebeard

@Suite struct NREPLServerTests {
  final class Running: @unchecked Sendable {
    let interpreter: Interpreter
    let server: NREPLServer
    let port: Int
    let output: BufferedOutput

    init() throws {
      let (interpreter, output, _) = bufferedInterpreter()
      self.interpreter = interpreter
      self.output = output
      server = NREPLServer(interpreter: interpreter)
      port = try server.start()
    }

    func client() throws -> NREPLTestClient { try NREPLTestClient(port: port) }

    deinit { server.stop() }
  }

  @Test func describeListsTheOpsAndVersions() throws {
    let running = try Running()
    let client = try running.client()
    let answer = client.request(["op": .string("describe")])
    let ops = answer.first?["ops"]?.dictionary ?? [:]
    for op in ["eval", "load-file", "interrupt", "clone", "close", "ls-sessions", "completions", "lookup", "refresh"] {
      #expect(ops[op] != nil, "missing op \(op)")
    }
    let versions = answer.first?["versions"]?.dictionary
    #expect(versions?["treebeard"]?.dictionary?["version-string"]?.text == TreebeardVersion.string)
    #expect(versions?["nrepl"] != nil)
    #expect(answer.statuses == ["done"])
  }

  @Test func evalAnswersOneValuePerFormWithItsOutputThenDone() throws {
    let running = try Running()
    let client = try running.client()
    let session = try #require(client.clone())
    let answer = client.eval("(println \"hello\") (+ 1 2) [1 2]", session: session)
    #expect(answer.out == "hello\n")
    #expect(answer.values == ["nil", "3", "[1 2]"])
    #expect(answer.last?.statuses == ["done"])
    // Every response names the request and the session.
    #expect(answer.allSatisfy { $0["session"]?.text == session && $0["id"] != nil })
    // The output came before the value of the form that printed it.
    let outIndex = answer.firstIndex { $0["out"] != nil } ?? Int.max
    let threeIndex = answer.firstIndex { $0["value"]?.text == "3" } ?? -1
    #expect(outIndex < threeIndex)
    // The program's own output stays where it was.
    #expect(running.output.take() == "")
  }

  @Test func anErrorAnswersErrExAndEvalErrorPointingIntoTheEditorsBuffer() throws {
    let running = try Running()
    let client = try running.client()
    let answer = client.eval(
      "(+ 1 2)\n(/ 1 0)\n(+ 3 4)", session: nil,
      extra: ["file": .string("/src/app.oxur"), "line": .integer(10), "column": .integer(5)])
    #expect(answer.values == ["3"])  // the form after the error does not run
    #expect(answer.err.contains("/src/app.oxur:11:1"), "\(answer.err)")
    #expect(answer.err.contains("division by zero"))
    #expect(answer.contains { $0["ex"]?.text == "oxur.error/division-by-zero" })
    #expect(answer.statuses == ["eval-error", "done"])
    // *e is the error.
    #expect(client.eval("(:kind *e)", session: nil).values == [":division-by-zero"])
    // A first form in the buffer's column 5 reports that column.
    let placed = client.eval("(/ 1 0)", session: nil, extra: ["line": .integer(7), "column": .integer(5)])
    #expect(placed.err.contains(":7:5"), "\(placed.err)")
  }

  @Test func eachSessionHasItsOwnResultsAndModule() throws {
    let running = try Running()
    let client = try running.client()
    let first = try #require(client.clone())
    let second = try #require(client.clone())
    _ = client.eval("(+ 100 1)", session: first)
    _ = client.eval("(+ 200 2)", session: second)
    #expect(client.eval("*1", session: first).values == ["101"])
    #expect(client.eval("*1", session: second).values == ["202"])
    _ = client.eval("(/ 1 0)", session: second)
    #expect(client.eval("(:kind *e)", session: second).values == [":division-by-zero"])
    #expect(client.eval("*e", session: first).values == ["nil"] || client.eval("*e", session: first).err != "")
    let switched = client.eval("(in-module alpha) (def x 1)", session: first)
    #expect(switched.last?["ns"]?.text == "alpha")
    _ = client.eval("(def x 2)", session: second)
    #expect(client.eval("x", session: first).values == ["1"])
    #expect(client.eval("x", session: second).values == ["2"])
    #expect(client.eval("[alpha:x user:x]", session: second).values == ["[1 2]"])
    // The program's (and the terminal REPL's) current module did not move.
    #expect(running.interpreter.currentModule == "user")
    // `ns` names the module to evaluate in.
    #expect(client.eval("x", session: second, extra: ["ns": .string("alpha")]).values == ["1"])
    let listed = client.request(["op": .string("ls-sessions")]).first?["sessions"]?.list?.compactMap(\.text) ?? []
    #expect(Set([first, second]).isSubset(of: Set(listed)))
    #expect(client.request(["op": .string("close"), "session": .string(first)]).statuses.contains("session-closed"))
    #expect(client.eval("1", session: first).statuses.contains("unknown-session"))
  }

  @Test func interruptFromAnotherConnectionStopsAnEndlessLoopAndOnlyIt() throws {
    let running = try Running()
    let looping = try running.client()
    let other = try running.client()
    let session = try #require(looping.clone())
    let busy = try #require(other.clone())
    #expect(
      other.request(["op": .string("interrupt"), "session": .string(session)]).statuses == ["session-idle", "done"])
    let loopID = looping.send([
      "op": .string("eval"), "session": .string(session),
      "code": .string("(println \"started\") (loop [] (recur))"),
    ])
    // Wait for the loop to run (its output arrives) before interrupting it.
    var seen: [[String: Bencode]] = []
    while let message = looping.read(), message["out"] == nil { seen.append(message) }
    // While the loop runs, another session evaluates (the lock is handed over at safe points).
    #expect(other.eval("(* 6 7)", session: busy).values == ["42"])
    let mismatch = other.request([
      "op": .string("interrupt"), "session": .string(session), "interrupt-id": .string("other-id"),
    ])
    #expect(mismatch.statuses.contains("interrupt-id-mismatch"))
    #expect(
      other.request(["op": .string("interrupt"), "session": .string(session), "interrupt-id": .string(loopID)])
        .statuses == ["done"])
    let answer = looping.responses(to: loopID)
    #expect(answer.statuses == ["interrupted", "done"])
    #expect(answer.err.contains("interrupted"))
    // The session is usable again, and the interrupt does not leak into its next eval.
    #expect(looping.eval("(+ 1 1)", session: session).values == ["2"])
  }

  /// completions, lookup and info took the evaluator lock and waited for ever behind another
  /// session's load whose top level never ends (an interrupt found no eval to stop); they now
  /// answer "nothing found" after a second. An eval waiting behind the load is what an
  /// interrupt frees: it stops the load, and the answers come back.
  @Test func lookupsAnswerWhileAnotherSessionsLoadHoldsTheEvaluator() throws {
    let running = try Running()
    let directory = ModuleDirectory()
    let path = directory.write("forever.oxur", "(module forever)\n(defn f [] 1)\n(entered)\n(loop [] (recur))\n")
    let entered = defineEntrance(in: running.interpreter)
    let loader = try running.client()
    let editor = try running.client()
    let loading = try #require(loader.clone())
    let session = try #require(editor.clone())
    #expect(editor.eval("(def answer 42)", session: session).values == ["answer"])
    let loadID = loader.send([
      "op": .string("eval"), "session": .string(loading), "code": .string("(load \"\(path)\")"),
    ])
    #expect(entered.wait(timeout: .now() + 60) == .success, "the load holds the evaluator")
    // `ns` names a module: knowing which modules there are takes the evaluator too.
    let completions = editor.request([
      "op": .string("completions"), "session": .string(session), "prefix": .string("ans"), "ns": .string("other"),
    ])
    #expect(completions.statuses == ["done"])
    #expect(completions.first?["completions"]?.list?.isEmpty == true)
    // A second request while the first look-up still waits answers at once, queueing nothing.
    let info = editor.request(["op": .string("info"), "session": .string(session), "sym": .string("answer")])
    #expect(info.statuses == ["no-info", "done"])
    let waitingID = editor.send(["op": .string("eval"), "session": .string(session), "code": .string("(+ 1 2)")])
    waitUntil("the eval waits for the lock", timeout: 30) { running.interpreter.runtime.lock.waitingCount >= 1 }
    _ = editor.request(["op": .string("interrupt"), "session": .string(session), "interrupt-id": .string(waitingID)])
    #expect(!editor.responses(to: waitingID).statuses.isEmpty)
    #expect(loader.responses(to: loadID).err.contains("interrupted"))
    waitUntil("names are found again", timeout: 30) {
      editor.request(["op": .string("completions"), "session": .string(session), "prefix": .string("ans")])
        .first?["completions"]?.list?.count == 1
    }
  }

  /// An interrupt naming an eval that still waits behind another in its session drops it and
  /// answers it as interrupted (it used to answer session-idle or a mismatch, and the eval ran
  /// later, endlessly); the running eval is untouched until interrupted in its turn.
  @Test func interruptingAQueuedEvalDropsItAndAnswersIt() throws {
    let running = try Running()
    let client = try running.client()
    let other = try running.client()
    let session = try #require(client.clone())
    let firstID = client.send([
      "op": .string("eval"), "session": .string(session), "code": .string("(println \"first\") (loop [] (recur))"),
    ])
    while let message = client.read(), message["out"] == nil {}
    let queuedID = client.send([
      "op": .string("eval"), "session": .string(session), "code": .string("(loop [] (recur))"),
    ])
    #expect(
      other.request(["op": .string("interrupt"), "session": .string(session), "interrupt-id": .string(queuedID)])
        .statuses == ["done"])
    #expect(client.responses(to: queuedID).statuses == ["interrupted", "done"])
    #expect(
      other.request(["op": .string("interrupt"), "session": .string(session), "interrupt-id": .string(firstID)])
        .statuses == ["done"])
    #expect(client.responses(to: firstID).statuses == ["interrupted", "done"])
    #expect(client.eval("(+ 1 1)", session: session).values == ["2"])
  }

  @Test func outputStreamsWhileTheCodeRuns() throws {
    let running = try Running()
    let client = try running.client()
    let session = try #require(client.clone())
    let id = client.send([
      "op": .string("eval"), "session": .string(session),
      "code": .string("(loop [i 0] (println (str \"tick \" i)) (sleep 2) (recur (+ i 1)))"),
    ])
    var ticks = 0
    while ticks < 3, let message = client.read() {
      #expect(!message.statuses.contains("done"))
      if message["out"]?.text?.hasPrefix("tick") == true { ticks += 1 }
    }
    #expect(ticks == 3)
    client.send(["op": .string("interrupt"), "session": .string(session)])
    #expect(client.responses(to: id).statuses.contains("interrupted"))
  }

  @Test func aClientThatDisconnectsMidEvalLeaksNothingAndStopsNothingElse() throws {
    let running = try Running()
    let staying = try running.client()
    let stayingSession = try #require(staying.clone())
    do {
      let leaving = try running.client()
      let session = try #require(leaving.clone())
      leaving.send([
        "op": .string("eval"), "session": .string(session), "code": .string("(println 1) (loop [] (recur))"),
      ])
      _ = leaving.read()
      leaving.disconnect()
    }
    // Its session is closed and its loop interrupted; the other connection's session stays.
    waitUntil("the leaving client's session is closed") { running.server.openSessions == 1 }
    waitUntil("the connection is gone") { running.server.openConnections == 1 }
    #expect(staying.eval("(+ 2 2)", session: stayingSession).values == ["4"])
    // Nothing holds the evaluator: the embedding host gets it at once.
    #expect(try running.interpreter.eval("(+ 5 5)") == .int(10))
  }

  @Test(arguments: ["x", "i12x", "d2:opi1ee" + String(repeating: "l", count: 100), "99999999999999999999:"])
  func malformedInputClosesThatConnectionOnly(_ garbage: String) throws {
    let running = try Running()
    let healthy = try running.client()
    let hostile = try running.client()
    hostile.sendRaw(Array(garbage.utf8))
    #expect(hostile.isClosedByServer())
    #expect(healthy.eval("(+ 1 2)", session: nil).values == ["3"])
  }

  @Test func aPlaceThatIsNotASmallIntegerIsRefusedAndTheConnectionStays() throws {
    let running = try Running()
    let client = try running.client()
    // 2^62 and up was malformed to the decoder, which closed the connection.
    let huge = client.request(["op": .string("eval"), "code": .string("1"), "line": .bigInteger("4611686018427387904")])
    #expect(huge.statuses == ["error", "done"])
    #expect(huge.err == "eval: line must be an integer\n")
    let stringColumn = client.request(["op": .string("eval"), "code": .string("1"), "column": .string("3")])
    #expect(stringColumn.err == "eval: column must be an integer\n")
    #expect(client.eval("(+ 1 2)", session: nil).values == ["3"])
  }

  @Test func anOversizedMessageClosesThatConnectionOnly() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let server = NREPLServer(interpreter: interpreter, maximumMessageBytes: 1024)
    let port = try server.start()
    defer { server.stop() }
    let healthy = try NREPLTestClient(port: port)
    let hostile = try NREPLTestClient(port: port)
    hostile.sendRaw(Array("d4:code100000:".utf8) + [UInt8](repeating: 65, count: 2000))
    #expect(hostile.isClosedByServer())
    #expect(healthy.eval("(+ 1 2)", session: nil).values == ["3"])
  }

  @Test func unknownOpsAndMessagesThatAreNotDictionariesAreAnswered() throws {
    let running = try Running()
    let client = try running.client()
    #expect(client.request(["op": .string("no-such-op")]).statuses == ["error", "unknown-op", "done"])
    client.sendRaw(Array("li1ee".utf8))
    #expect(client.read()?.statuses.contains("error") == true)
    #expect(client.eval("1", session: "no-such-session").statuses.contains("unknown-session"))
    // (exit) from a session does not end the process.
    let exit = client.eval("(do 1\n (exit 3))", session: nil)
    #expect(exit.statuses == ["eval-error", "done"])
    // Located at the call, like any other error (it had no place).
    #expect(exit.err.contains("✗ Error at <nrepl>:2:2: (exit 3) does not end the process"), "\(exit.err)")
    #expect(client.eval("(+ 1 1)", session: nil).values == ["2"])
  }

  @Test func loadFileReloadsAsATransactionAndTheOldVersionAnswersAfterAFailure() throws {
    let running = try Running()
    let directory = ModuleDirectory()
    let path = directory.write("worker.oxur", "(module worker)\n(defn tick [] 1)\n")
    let client = try running.client()
    func load(_ text: String) -> [[String: Bencode]] {
      client.request([
        "op": .string("load-file"), "file": .string(text), "file-path": .string(path),
        "file-name": .string("worker.oxur"),
      ])
    }
    let first = load("(module worker)\n(defn tick [] 1)\n")
    #expect(first.statuses == ["done"])
    #expect(first.values == [":worker"])
    #expect(client.eval("(worker:tick)", session: nil).values == ["1"])
    // The editor's unsaved buffer is what loads, not the file on disk.
    let second = load("(module worker)\n(defn tick [] 2)\n")
    #expect(second.out.contains("worker"), "\(second.out)")
    #expect(client.eval("(worker:tick)", session: nil).values == ["2"])
    let broken = load("(module worker)\n(defn tick [] (undefined-thing))\n")
    #expect(broken.statuses == ["eval-error", "done"])
    #expect(broken.err.contains("undefined-thing"), "\(broken.err)")
    #expect(client.eval("(worker:tick)", session: nil).values == ["2"])
    #expect(try running.interpreter.call(module: "worker", function: "tick") == .int(2))
  }

  /// `load-file` printed only the reloaded module's line: the macro users it expanded again
  /// were committed without a word, where the REPL's `load` lists them.
  @Test func loadFileListsTheMacroUsersItExpandsAgain() throws {
    let running = try Running()
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n")
    let client = directory.write("client.oxur", "(module client)\n(import macs)\n(defn f [] (macs:tag 1))\n")
    try running.interpreter.load(path: client)
    let nrepl = try running.client()
    let answer = nrepl.request([
      "op": .string("load-file"), "file": .string("(module macs)\n(defmacro tag [x] `[:v2 ~x])\n"),
      "file-path": .string(macros), "file-name": .string("macs.oxur"),
    ])
    #expect(answer.statuses == ["done"])
    #expect(answer.out.contains("\n  ↳ client (version 2, re-expanded: it uses macros of macs) ~f\n"), "\(answer.out)")
    #expect(try running.interpreter.eval("(client:f)").printed == "[:v2 1]")
  }

  @Test func refreshReloadsChangedModules() throws {
    let running = try Running()
    let directory = ModuleDirectory()
    let path = directory.write("counter.oxur", "(module counter)\n(defn n [] 1)\n")
    try running.interpreter.load(path: path)
    let client = try running.client()
    directory.write("counter.oxur", "(module counter)\n(defn n [] 22)\n")
    let answer = client.request(["op": .string("refresh")])
    #expect(answer.compactMap { $0["reloading"]?.list }.flatMap { $0 }.compactMap(\.text) == ["counter"])
    #expect(answer.statuses == ["ok", "done"])
    #expect(try running.interpreter.call(module: "counter", function: "n") == .int(22))
    directory.write("counter.oxur", "(module counter)\n(defn n [] (\n")
    let failed = client.request(["op": .string("refresh-all")])
    #expect(failed.statuses == ["error", "done"])
    #expect(try running.interpreter.call(module: "counter", function: "n") == .int(22))
  }

  @Test func completionsAndLookupDescribeTheNamesInScope() throws {
    let running = try Running()
    let directory = ModuleDirectory()
    let path = directory.write("geometry.oxur", "(module geometry)\n(defn area [width height] (* width height))\n")
    try running.interpreter.load(path: path)
    let client = try running.client()
    _ = client.eval("(defn my-helper [a b] (+ a b))", session: nil)
    let found = client.request(["op": .string("completions"), "prefix": .string("my-")])
    let candidates = found.first?["completions"]?.list?.compactMap(\.dictionary) ?? []
    #expect(candidates.contains { $0["candidate"]?.text == "my-helper" && $0["type"]?.text == "function" })
    let qualified = client.request(["op": .string("completions"), "prefix": .string("geometry:a")])
    #expect(
      qualified.first?["completions"]?.list?.compactMap { $0.dictionary?["candidate"]?.text } == ["geometry:area"])
    let builtins = client.request(["op": .string("completions"), "prefix": .string("printl")])
    #expect(builtins.first?["completions"]?.list?.compactMap { $0.dictionary?["candidate"]?.text } == ["println"])
    let info = client.request(["op": .string("lookup"), "sym": .string("geometry:area")]).first?["info"]?.dictionary
    #expect(info?["arglists-str"]?.text == "[width height]")
    #expect(info?["file"]?.text == path)
    #expect(info?["line"]?.integer == 2)
    #expect(info?["ns"]?.text == "geometry")
    let missing = client.request(["op": .string("info"), "sym": .string("nothing-here")])
    #expect(missing.statuses == ["no-info", "done"])
  }

  @Test func portFileAndAnnouncement() throws {
    let running = try Running()
    let directory = ModuleDirectory()
    try running.server.writePortFile(directory: directory.url.path)
    let portFile = directory.path(".nrepl-port")
    #expect((try? String(contentsOfFile: portFile, encoding: .utf8)) == String(running.port))
    running.server.stop()
    #expect(!FileManager.default.fileExists(atPath: portFile))
    #expect(
      NREPLServer.announcement(host: "127.0.0.1", port: 45677)
        == "nREPL server started on port 45677 on host 127.0.0.1 - nrepl://127.0.0.1:45677")
  }

  // MARK: hostile clients

  @Test func aClientThatStopsReadingDoesNotStallTheInterpreter() throws {
    let running = try Running()
    let silent = try running.client()
    let other = try running.client()
    let printing = try #require(silent.clone())
    let busy = try #require(other.clone())
    let loopID = silent.send([
      "op": .string("eval"), "session": .string(printing),
      "code": .string("(loop [] (println \"\(String(repeating: "x", count: 1000))\") (recur))"),
    ])
    // The silent client reads nothing while its session prints without end: once its socket
    // is full the printer would hold the evaluator lock forever if it waited for the client.
    for index in 0..<5 {
      #expect(other.eval("(sleep 100) \(index)", session: busy).values == ["nil", "\(index)"])
    }
    #expect(try running.interpreter.eval("(+ 1 2)") == .int(3))
    other.send(["op": .string("interrupt"), "session": .string(printing)])
    #expect(silent.responses(to: loopID).statuses.contains("interrupted"))
  }

  @Test func aBurstOfRequestsInOneWriteIsAnsweredInOrder() throws {
    let running = try Running()
    let client = try running.client()
    let session = try #require(client.clone())
    var burst: [UInt8] = []
    for index in 0..<500 {
      burst += Bencode.dictionary([
        "op": .string("eval"), "code": .string("(+ \(index) 1)"), "id": .string("burst-\(index)"),
        "session": .string(session),
      ]).encoded()
    }
    client.sendRaw(burst)
    for index in 0..<500 {
      #expect(client.responses(to: "burst-\(index)").values == ["\(index + 1)"])
    }
  }

  @Test func aLargeMessageTricklingInIsReadWhole() throws {
    let running = try Running()
    let client = try running.client()
    let text = String(repeating: "a", count: 300_000)
    let message = Bencode.dictionary([
      "op": .string("eval"), "code": .string("(count \"\(text)\")"), "id": .string("large"),
    ]).encoded()
    var offset = 0
    while offset < message.count {
      let end = min(message.count, offset + 4096)
      client.sendRaw(Array(message[offset..<end]))
      offset = end
    }
    #expect(client.responses(to: "large").values == ["300000"])
  }

  @Test func aFloodedSessionAnswersQueueFullAndStaysUsable() throws {
    let running = try Running()
    let gate = DispatchSemaphore(value: 0)
    let started = DispatchSemaphore(value: 0)
    running.interpreter.define(
      name: "wait-for-gate",
      value: .builtin(
        Builtin("wait-for-gate", arity: 0...0) { _, _ in
          started.signal()
          gate.wait()
          return .nil
        }))
    let client = try running.client()
    let session = try #require(client.clone())
    let blocked = client.send(["op": .string("eval"), "code": .string("(wait-for-gate)"), "session": .string(session)])
    // Once the blocking eval runs, exactly the queue limit fits behind it.
    #expect(started.wait(timeout: .now() + 60) == .success)
    var burst: [UInt8] = []
    for index in 0...1_000 {
      burst += Bencode.dictionary([
        "op": .string("eval"), "code": .string("\(index)"), "id": .string("flood-\(index)"),
        "session": .string(session),
      ]).encoded()
    }
    client.sendRaw(burst)
    #expect(client.responses(to: "flood-1000").statuses == ["error", "session-queue-full", "done"])
    gate.signal()
    #expect(client.responses(to: blocked).statuses == ["done"])
    #expect(client.responses(to: "flood-999").values == ["999"])
    #expect(client.eval("(+ 1 1)", session: session).values == ["2"])
  }

  @Test func cloningWithoutEndStopsAtTheSessionLimit() throws {
    let running = try Running()
    let client = try running.client()
    for _ in 0..<NREPLServer.maximumSessions { #expect(client.clone() != nil) }
    #expect(client.request(["op": .string("clone")]).statuses == ["error", "too-many-sessions", "done"])
    #expect(running.server.openSessions == NREPLServer.maximumSessions)
    client.disconnect()
    waitUntil("the sessions close with their connection") { running.server.openSessions == 0 }
    #expect(try running.client().clone() != nil)
  }

  @Test func readLineAsksForInputAndTheStdinOpAnswers() throws {
    let running = try Running()
    let client = try running.client()
    let session = try #require(client.clone())
    let id = client.send([
      "op": .string("eval"), "session": .string(session),
      "code": .string("(str \"got \" (read-line)) (read-line) (read-line)"),
    ])
    var needs = 0
    while needs == 0, let message = client.read() {
      if message.statuses.contains("need-input") && message["id"]?.text == id { needs += 1 }
    }
    #expect(needs == 1)
    #expect(
      client.request(["op": .string("stdin"), "stdin": .string("hello\nworld\n"), "session": .string(session)])
        .statuses == ["done"])
    client.send(["op": .string("stdin"), "stdin": .string(""), "session": .string(session)])
    let answer = client.responses(to: id)
    #expect(answer.values == ["\"got hello\"", "\"world\"", "nil"])
    // Waiting for input is interruptible.
    let fresh = try #require(client.clone())
    let waiting = client.send(["op": .string("eval"), "session": .string(fresh), "code": .string("(read-line)")])
    while let message = client.read(), !message.statuses.contains("need-input") {}
    client.send(["op": .string("interrupt"), "session": .string(fresh)])
    #expect(client.responses(to: waiting).statuses == ["interrupted", "done"])
  }

  /// A `load-file` whose top level reads a line asks for it as `eval` does: it sent nothing,
  /// the editor waited, and the load held the evaluator from every other session.
  @Test func loadFileAsksForTheLineItsTopLevelReads() throws {
    let running = try Running()
    let client = try running.client()
    let session = try #require(client.clone())
    let path = ModuleDirectory().path("rl.oxur")
    let id = client.send([
      "op": .string("load-file"), "session": .string(session), "file-path": .string(path),
      "file": .string("(module rl)\n(def line (read-line))\n"),
    ])
    var asked = false
    while !asked, let message = client.read() {
      if message.statuses.contains("need-input") && message["id"]?.text == id { asked = true }
    }
    #expect(asked)
    client.send(["op": .string("stdin"), "stdin": .string("typed\n"), "session": .string(session)])
    #expect(client.responses(to: id).values == [":rl"])
    #expect(client.eval("rl:line", session: session).values == ["\"typed\""])
  }

  /// An editor's buffer that was never saved loads again: the second `load-file` of a path
  /// with no file behind it was refused as a deleted file.
  @Test func anUnsavedBufferLoadsAgain() throws {
    let running = try Running()
    let client = try running.client()
    let session = try #require(client.clone())
    let path = ModuleDirectory().path("unsaved.oxur")
    for answer in [1, 2] {
      let loaded = client.request([
        "op": .string("load-file"), "session": .string(session), "file-path": .string(path),
        "file": .string("(module unsaved)\n(defn answer [] \(answer))\n"),
      ])
      #expect(loaded.values == [":unsaved"], "\(loaded)")
      #expect(client.eval("(unsaved:answer)", session: session).values == ["\(answer)"])
    }
  }

  /// An `eval` whose code is not a string is refused, saying why; it was answered `done` alone.
  @Test func codeThatIsNotAStringIsRefused() throws {
    let running = try Running()
    let client = try running.client()
    let answer = client.request(["op": .string("eval"), "code": .integer(42)])
    #expect(answer.statuses == ["error", "done"], "\(answer)")
    #expect(answer.err == "eval: code must be a string\n", "\(answer)")
    let session = try #require(client.clone())
    #expect(client.eval("(+ 1 2)", session: session).values == ["3"])
  }

  @Test func aSessionWhoseModuleWasUnloadedElsewhereKeepsWorking() throws {
    let running = try Running()
    let client = try running.client()
    let first = try #require(client.clone())
    let second = try #require(client.clone())
    _ = client.eval("(in-module zed) (def q 1)", session: first)
    #expect(client.eval("(unload zed)", session: second).statuses == ["done"])
    let after = client.eval("(def r 2) r", session: first)
    #expect(after.statuses == ["done"], "\(after)")
    #expect(after.values.last == "2")
    #expect(client.eval("[zed:r (try zed:q (catch e :gone))]", session: second).values == ["[2 :gone]"])
  }
}

// `treebeard nrepl` and `run --nrepl` as processes: announcement, .nrepl-port, warnings, failures.

import Foundation
import Testing
import Treebeard
import TreebeardNREPL

@Suite struct NREPLCommandTests {
  /// A port past 65535 was cut to 16 bits: `--port 65537` listened on port 1, privileged.
  @Test func aPortOutOfRangeIsAUsageError() throws {
    let directory = ModuleDirectory()
    for arguments in [["nrepl", "--port", "65537"], ["nrepl", "--port=-1"], ["--nrepl=99999"]] {
      // Under a timeout: a server that did start would serve until stopped.
      let result = try Executable.run(
        ["10", Executable.url.path] + arguments, in: directory.url, program: "/usr/bin/timeout")
      #expect(result.status == 64, "\(arguments): \(result)")
      #expect(result.stderr.contains("to 65535, not"), "\(arguments): \(result)")
      #expect(!FileManager.default.fileExists(atPath: directory.path(".nrepl-port")))
    }
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    #expect(throws: OxurError.self) { try NREPLServer(interpreter: interpreter).start(port: 65_536) }
  }

  @Test func aNonLoopbackHostWarnsThatNREPLHasNoAuthentication() throws {
    let directory = ModuleDirectory()
    let server = try Child(Executable.url.path, ["nrepl", "--host", "0.0.0.0"], in: directory.url)
    defer { server.process.terminate() }
    #expect(server.waitForOutput("the announcement") { $0.contains("nrepl://0.0.0.0:") })
    #expect(server.stderr.contains("no authentication"))
    let port = try #require(NREPLClientTests.port(in: server.stdout))
    #expect(try NREPLTestClient(port: port).eval("(+ 1 2)", session: nil).values == ["3"])
    // Ctrl-C ends the server cleanly.
    kill(server.process.processIdentifier, SIGINT)
    #expect(server.finish().status == 0)
    #expect(!FileManager.default.fileExists(atPath: directory.path(".nrepl-port")))
  }

  /// A closed terminal (SIGHUP) ended the server by the default action and left `.nrepl-port`
  /// behind for editors to try; it now ends as SIGTERM does, cleaning up.
  @Test func aHangUpEndsTheServerAndRemovesItsPortFile() throws {
    let directory = ModuleDirectory()
    let server = try Child(Executable.url.path, ["nrepl"], in: directory.url)
    defer { server.process.terminate() }
    #expect(server.waitForOutput("the announcement") { $0.contains("nrepl://127.0.0.1:") })
    #expect(FileManager.default.fileExists(atPath: directory.path(".nrepl-port")))
    kill(server.process.processIdentifier, SIGHUP)
    let ended = server.finish()
    #expect(ended.status == 0 && server.process.terminationReason == .exit, "\(ended)")
    #expect(!FileManager.default.fileExists(atPath: directory.path(".nrepl-port")))
  }

  /// A program running on in the background of a closed terminal (`nohup`) keeps ignoring it.
  @Test func aRunStartedIgnoringHangUpsKeepsIgnoringThem() throws {
    let directory = ModuleDirectory()
    directory.write("app.oxur", "(module app)\n(defn main [] (println \"up\") (loop [] (sleep 5) (recur)))\n")
    let program = try Child(
      "/bin/sh", ["-c", "trap '' HUP; exec \"$0\" run app.oxur", Executable.url.path], in: directory.url)
    defer { program.process.terminate() }
    #expect(program.waitForOutput("the program runs") { $0.contains("up") })
    kill(program.process.processIdentifier, SIGHUP)
    Thread.sleep(forTimeInterval: 0.5)
    #expect(program.process.isRunning)
    kill(program.process.processIdentifier, SIGTERM)
    #expect(program.finish().status == 143)
  }

  @Test func aLoopbackServerDoesNotWarn() throws {
    let directory = ModuleDirectory()
    let server = try Child(Executable.url.path, ["nrepl", "--port", "0"], in: directory.url)
    defer { server.process.terminate() }
    #expect(server.waitForOutput("the announcement") { $0.contains("nrepl://127.0.0.1:") })
    server.process.terminate()
    server.finish()
    #expect(server.stderr == "")
  }

  @Test func aPortInUseIsAnErrorNotACrash() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let holder = NREPLServer(interpreter: interpreter)
    let port = try holder.start()
    defer { holder.stop() }
    let result = try Executable.run(["nrepl", "--port", String(port)])
    #expect(result.status == 1)
    #expect(result.stderr.contains("cannot start the nREPL server"), "\(result.stderr)")
  }

  @Test func runWithNREPLServesWhileTheProgramRunsAndCleansUpWhenItEnds() throws {
    let directory = ModuleDirectory()
    directory.write(
      "app.oxur",
      """
      (module app)
      (defonce state (atom 0))
      (defonce quit (atom false))
      (defn main []
        (println "waiting")
        (loop [] (when (= @state 0) (sleep 5) (recur)))
        (println "released with" @state)
        ;; Exits only when told to: the answer to the eval that released it must get out first.
        (loop [] (when (not @quit) (sleep 5) (recur)))
        (exit 7))
      """)
    let program = try Child(Executable.url.path, ["run", "--nrepl", "app.oxur"], in: directory.url)
    defer { program.process.terminate() }
    #expect(program.waitForOutput("the program started") { $0.contains("waiting") })
    let port = try #require(NREPLClientTests.port(in: program.stdout))
    #expect(FileManager.default.fileExists(atPath: directory.path(".nrepl-port")))
    // The session reaches the program's own state: the registry is shared.
    let client = try NREPLTestClient(port: port)
    #expect(client.eval("(reset! app:state 42)", session: nil).values == ["42"])
    _ = client.send(["op": .string("eval"), "code": .string("(reset! app:quit true)")])
    let ended = program.finish()
    #expect(ended.status == 7)
    #expect(ended.stdout.hasSuffix("released with 42\n"), "\(ended.stdout)")
    #expect(!FileManager.default.fileExists(atPath: directory.path(".nrepl-port")))
  }

  @Test func theTerminalREPLAndAnEditorShareOneRegistry() throws {
    let directory = ModuleDirectory()
    let repl = try Child(Executable.url.path, ["--nrepl"], in: directory.url)
    defer { repl.process.terminate() }
    #expect(repl.waitForOutput("the announcement") { $0.contains("nrepl://127.0.0.1:") })
    let port = try #require(NREPLClientTests.port(in: repl.stdout))
    let client = try NREPLTestClient(port: port)
    _ = client.eval("(defn from-editor [] 42)", session: nil)
    repl.write("(from-editor)")
    #expect(repl.waitForOutput("the REPL's answer") { $0.contains("42\n") })
    repl.write("(def from-terminal 7)")
    #expect(
      waitUntil("the editor sees the terminal's definition") {
        client.eval("(if (= (try from-terminal (catch e nil)) 7) :seen :not-yet)", session: nil).values == [":seen"]
      })
    repl.closeInput()
    #expect(repl.finish().status == 0)
    #expect(!FileManager.default.fileExists(atPath: directory.path(".nrepl-port")))
  }
}

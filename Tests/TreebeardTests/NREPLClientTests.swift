// The nREPL server against real clients: nREPL's own (Clojure, nrepl.core) and nrepl-python-client.

import Foundation
import Testing

/// The clients come from Debian (`clojure`, `libnrepl-clojure`) and PyPI (`nrepl-python-client`);
/// `.ci/run` installs them. Under CI (CI=true) a missing client fails the test instead of skipping it.
enum NREPLClients {
  static let underCI = ProcessInfo.processInfo.environment["CI"] == "true"
  static let jars = ["clojure.jar", "spec.alpha.jar", "core.specs.alpha.jar", "nrepl.jar"].map {
    "/usr/share/java/" + $0
  }

  static var hasClojure: Bool {
    jars.allSatisfy { FileManager.default.fileExists(atPath: $0) } && which("java") != nil
  }

  static var hasPython: Bool {
    guard let python = which("python3") else { return false }
    return (try? Child(python, ["-c", "import nrepl"]).finish().status) == 0
  }

  static func which(_ program: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(program)" }.first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
  }
}

/// A process whose output the test reads while it runs, line by line, and can write to.
final class Child: @unchecked Sendable {
  let process = Process()
  private let input = Pipe()
  private let lock = NSLock()
  private var outText = ""
  private var errText = ""

  init(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws {
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let output = Pipe()
    let error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    output.fileHandleForReading.readabilityHandler = { [self] handle in
      let data = handle.availableData
      lock.withLock { outText += String(decoding: data, as: UTF8.self) }
    }
    error.fileHandleForReading.readabilityHandler = { [self] handle in
      let data = handle.availableData
      lock.withLock { errText += String(decoding: data, as: UTF8.self) }
    }
    try process.run()
  }

  var stdout: String { lock.withLock { outText } }
  var stderr: String { lock.withLock { errText } }

  func write(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

  func closeInput() { try? input.fileHandleForWriting.close() }

  /// Waits for the process to end (killing it after `timeout`) and returns its status.
  @discardableResult
  func finish(timeout: TimeInterval = 120) -> (status: Int32, stdout: String, stderr: String) {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning {
      Issue.record("\(process.executableURL?.lastPathComponent ?? "process") still running after \(Int(timeout)) s")
      process.terminate()
    }
    process.waitUntilExit()
    Thread.sleep(forTimeInterval: 0.05)  // the last output the readability handlers deliver
    return (process.terminationStatus, stdout, stderr)
  }

  /// Waits until the standard output satisfies `condition`.
  @discardableResult
  func waitForOutput(_ what: String, timeout: TimeInterval = 60, _ condition: (String) -> Bool) -> Bool {
    waitUntil(what, timeout: timeout) { condition(stdout) || !process.isRunning && condition(stdout) }
  }
}

@Suite(.serialized) struct NREPLClientTests {
  static let program = """
    (module main)
    (import worker)
    (defn main []
      (loop []
        (println (str "value " (worker:tick)))
        (sleep 10)
        (recur)))
    """

  /// The issue's end-to-end scenario, driven by nREPL's reference client in one JVM: a program
  /// started with `run --nrepl` loops calling `worker:tick`; a `load-file` of an edited worker
  /// switches its output; a broken edit answers eval-error while the old value keeps coming; an
  /// interrupt from one session stops an endless loop sent by another.
  @Test(.enabled(if: NREPLClients.hasClojure || NREPLClients.underCI))
  func nreplsOwnClientReloadsARunningProgram() throws {
    #expect(NREPLClients.hasClojure, "install clojure and libnrepl-clojure (apt-get), as .ci/run does")
    let directory = ModuleDirectory()
    directory.write("main.oxur", Self.program)
    let workerPath = directory.write("worker.oxur", "(module worker)\n(defn tick [] 1)\n")
    let script = directory.write("client.clj", Self.clojureScript)
    let program = try Child(Executable.url.path, ["run", "--nrepl", "main.oxur"], in: directory.url)
    defer { program.process.terminate() }
    #expect(program.waitForOutput("the announcement") { $0.contains("nrepl://127.0.0.1:") })
    let port = try #require(Self.port(in: program.stdout))
    #expect(program.waitForOutput("value 1") { $0.contains("value 1") })
    #expect(
      (try? String(contentsOfFile: directory.path(".nrepl-port"), encoding: .utf8)) == String(port))

    let client = try Child(
      "/usr/bin/env",
      ["java", "-cp", NREPLClients.jars.joined(separator: ":"), "clojure.main", script, String(port), workerPath])
    defer { client.process.terminate() }
    // Step 1: the edited worker loaded; the running program prints the new value.
    #expect(client.waitForOutput("the first load-file", timeout: 120) { $0.contains("step loaded") })
    #expect(program.waitForOutput("value 2") { $0.contains("value 2") })
    client.write("next")
    // Step 2: a broken edit is refused; the program keeps printing the old value.
    #expect(client.waitForOutput("the broken load-file") { $0.contains("step broken") })
    let before = program.stdout.components(separatedBy: "value 2").count
    #expect(program.waitForOutput("more of value 2") { $0.components(separatedBy: "value 2").count > before + 3 })
    #expect(!program.stdout.contains("value 3"))
    client.write("next")
    let result = client.finish()
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    func answer(_ key: String) -> String? {
      lines.first { $0.hasPrefix(key + " ") }.map { String($0.dropFirst(key.count + 1)) }
    }
    #expect(answer("loaded-status") == "[\"done\"]")
    #expect(answer("loaded-out")?.contains("worker") == true)
    #expect(answer("broken-status") == "[\"eval-error\" \"done\"]")
    #expect(answer("broken-err")?.contains("no-such-function") == true, "\(result.stdout)")
    #expect(answer("values") == "[3 [1 2]]")
    #expect(answer("interrupt-status") == "[\"done\"]")
    #expect(answer("loop-status") == "[\"interrupted\" \"done\"]")
    #expect(answer("after-interrupt") == "[2]")
    #expect(program.process.isRunning)
    // SIGTERM: a clean exit removes .nrepl-port.
    program.process.terminate()
    program.finish()
    #expect(!FileManager.default.fileExists(atPath: directory.path(".nrepl-port")))
  }

  static func port(in output: String) -> Int? {
    guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("nREPL server started on port ") })
    else { return nil }
    let words = line.split(separator: " ")
    return words.count > 5 ? Int(words[5]) : nil
  }

  static let clojureScript = """
    (require '[nrepl.core :as nrepl])
    (defn statuses [responses] (vec (mapcat :status responses)))
    (defn texts [responses key] (apply str (keep key responses)))
    (let [[port worker] *command-line-args*
          port (Integer/parseInt port)]
      (with-open [conn (nrepl/connect :port port)]
        (let [client (nrepl/client conn 60000)
              first-session (nrepl/client-session client)
              second-session (nrepl/client-session client)
              load (fn [text] (doall (nrepl/message first-session
                                       {:op "load-file" :file text :file-path worker :file-name "worker.oxur"})))
              loaded (load "(module worker)\\n(defn tick [] 2)\\n")]
          (println "loaded-status" (pr-str (statuses loaded)))
          (println "loaded-out" (pr-str (texts loaded :out)))
          (println "step loaded")
          (flush)
          (read-line)
          (let [broken (load "(module worker)\\n(defn tick [] (no-such-function))\\n")]
            (println "broken-status" (pr-str (statuses broken)))
            (println "broken-err" (pr-str (texts broken :err))))
          (println "step broken")
          (flush)
          (read-line)
          (println "values" (pr-str (nrepl/response-values (nrepl/message first-session {:op "eval" :code "(+ 1 2) [1 2]"}))))
          ;; The endless loop runs in a second session on a second connection; the first
          ;; session's connection interrupts it by naming that session.
          (with-open [other (nrepl/connect :port port)]
            (let [other-client (nrepl/client other 60000)
                  second-session (nrepl/client-session other-client)
                  loop-id (str (java.util.UUID/randomUUID))
                  loop-responses (future (doall (nrepl/message second-session
                                                  {:op "eval" :id loop-id :code "(println 0) (loop [] (recur))"})))
                  target (-> (nrepl/message second-session {:op "ls-sessions"}) first :session)]
              (Thread/sleep 300)
              (println "interrupt-status"
                (pr-str (statuses (nrepl/message client {:op "interrupt" :session target :interrupt-id loop-id}))))
              (println "loop-status" (pr-str (statuses (filter :status @loop-responses))))
              (println "after-interrupt"
                (pr-str (nrepl/response-values (nrepl/message second-session {:op "eval" :code "(+ 1 1)"}))))))
          (flush))))
    (shutdown-agents)
    (System/exit 0)
    """

  /// nrepl-python-client against `treebeard nrepl`: the announcement, `.nrepl-port`, sessions,
  /// values, output, load-file and completions; SIGTERM ends the server and removes the file.
  @Test(.enabled(if: NREPLClients.hasPython || NREPLClients.underCI))
  func nreplPythonClientTalksToTheServer() throws {
    #expect(NREPLClients.hasPython, "pip install nrepl-python-client, as .ci/run does")
    let directory = ModuleDirectory()
    let script = directory.write("client.py", Self.pythonScript)
    let worker = directory.write("worker.oxur", "(module worker)\n(defn tick [] 1)\n")
    let server = try Child(Executable.url.path, ["nrepl"], in: directory.url)
    defer { server.process.terminate() }
    #expect(server.waitForOutput("the announcement") { $0.contains("nrepl://127.0.0.1:") })
    let port = try #require(Self.port(in: server.stdout))
    #expect(server.stdout == Self.announcement(port) + "\n")
    #expect((try? String(contentsOfFile: directory.path(".nrepl-port"), encoding: .utf8)) == String(port))
    let python = try #require(NREPLClients.which("python3"))
    let client = try Child(python, [script, String(port), worker])
    let result = client.finish()
    #expect(result.status == 0, "\(result.stderr)")
    let expected = [
      "ops ok", "values ['nil', '3', '[1 2]']", "out 'hi\\n'", "sessions differ True", "own results ['10', '20']",
      "defined ['done']", "completions ['twice-it']",
      "unknown ['error', 'unknown-op', 'done']",
    ]
    #expect(result.stdout.split(separator: "\n").map(String.init) == expected, "\(result.stdout)\n\(result.stderr)")
    server.process.terminate()
    let ended = server.finish()
    #expect(ended.status == 0)
    #expect(!FileManager.default.fileExists(atPath: directory.path(".nrepl-port")))
  }

  static func announcement(_ port: Int) -> String {
    "nREPL server started on port \(port) on host 127.0.0.1 - nrepl://127.0.0.1:\(port)"
  }

  static let pythonScript = """
    import sys, nrepl
    port, worker = int(sys.argv[1]), sys.argv[2]
    conn = nrepl.connect("nrepl://127.0.0.1:%d" % port)
    counter = [0]
    def request(message):
        counter[0] += 1
        message["id"] = str(counter[0])
        conn.write(message)
        responses = []
        while True:
            response = conn.read()
            if response.get("id") != message["id"]:
                continue
            responses.append(response)
            if "done" in response.get("status", []):
                return responses
    def values(responses): return [r["value"] for r in responses if "value" in r]
    def statuses(responses): return [s for r in responses for s in r.get("status", [])]
    ops = request({"op": "describe"})[0]["ops"]
    print("ops ok" if all(op in ops for op in ["eval", "load-file", "interrupt", "clone"]) else "ops missing %r" % ops)
    first = request({"op": "clone"})[0]["new-session"]
    second = request({"op": "clone"})[0]["new-session"]
    answer = request({"op": "eval", "code": "(println \\"hi\\") (+ 1 2) [1 2]", "session": first})
    print("values %r" % values(answer))
    print("out %r" % "".join(r.get("out", "") for r in answer))
    print("sessions differ %r" % (first != second))
    request({"op": "eval", "code": "10", "session": first})
    request({"op": "eval", "code": "20", "session": second})
    own = values(request({"op": "eval", "code": "*1", "session": first}))
    own += values(request({"op": "eval", "code": "*1", "session": second}))
    print("own results %r" % own)
    print("defined %r" % statuses(request({"op": "eval", "code": "(defn twice-it [x] (* 2 x))", "session": first})))
    found = request({"op": "completions", "prefix": "twice", "session": second})[0]["completions"]
    print("completions %r" % [c["candidate"] for c in found])
    # No error here: rendered errors are not ASCII, and this client's text-mode reader counts
    # characters where bencode counts bytes (docs/editors.md). nREPL's own client checks errors.
    print("unknown %r" % statuses(request({"op": "no-such-op", "session": first})))
    """
}

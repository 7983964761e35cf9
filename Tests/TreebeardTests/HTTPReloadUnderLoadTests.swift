// End to end: the real `treebeard run --watch` serves the example while its handler module is
// rewritten 100 times (some versions broken) and a Python client process keeps requesting.

import Foundation
import Testing

@Suite("HTTP reload under load") struct HTTPReloadUnderLoadTests {
  /// The client and the editor, in one Python process: 4 keep-alive client threads request
  /// `GET /` and `POST /counter` without pause; the main thread saves 100 versions of api.oxur
  /// (every fifth broken: a parse error, an unknown name, an error at load time) and waits
  /// until the clients see each good version, or until the server's error output reports each
  /// broken one. Prints a JSON summary. Bounded: 100 reloads, 20 s per reload, 240 s in all.
  static let client = #"""
    import http.client, json, os, sys, threading, time

    port, directory = int(sys.argv[1]), sys.argv[2]
    api = os.path.join(directory, "api.oxur")
    error_log = os.path.join(directory, "server.err")
    original = open(api).read()
    assert "(def version 1)" in original
    deadline = time.monotonic() + 240
    stop = threading.Event()
    lock = threading.Lock()
    state = {"requests": 0, "posts": 0, "failures": [], "went_back": 0, "latest": {}, "seen": set()}

    def client(number):
        connection, last = None, 0
        method, path = ("POST", "/counter") if number % 2 else ("GET", "/")
        while not stop.is_set():
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                connection.request(method, path)
                response = connection.getresponse()
                body = response.read()
                version = int(response.getheader("x-api-version") or -1)
                with lock:
                    state["requests"] += 1
                    if response.status != 200:
                        state["failures"].append(f"{method} {path}: {response.status} {body[:200]!r}")
                    elif method == "POST":
                        state["posts"] += 1
                    if version < last:
                        state["went_back"] += 1
                    state["latest"][number] = version
                    state["seen"].add(version)
                last = max(last, version)
            except Exception as error:
                with lock:
                    state["failures"].append(f"{method} {path}: {type(error).__name__}: {error}")
                connection = None
                time.sleep(0.01)

    def save(text):
        # As editors do: write a temporary file, then rename it over the module.
        temporary = api + ".tmp"
        with open(temporary, "w") as file:
            file.write(text)
        os.replace(temporary, api)

    def wait_for(condition, what):
        limit = min(deadline, time.monotonic() + 20)
        while not condition():
            if time.monotonic() > limit:
                raise SystemExit(json.dumps({"error": "timed out waiting for " + what}))
            time.sleep(0.005)

    def version_text(version):
        return original.replace("(def version 1)", f"(def version {version})")

    broken = [
        lambda v: version_text(v) + "\n(defn unfinished [x]\n",
        lambda v: version_text(v).replace("(defn handle [request]", "(defn handle [request] (no-such-function)"),
        lambda v: version_text(v) + "\n(def crash (quot 1 0))\n",
    ]

    def rejected_count():
        return open(error_log, errors="replace").read().count("Module not reloaded")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(state["latest"]) == 4, "the first answers")
    current, reloads, rejected = 1, 0, 0
    for step in range(1, 101):
        if step % 5 == 0:
            before = rejected_count()
            save(broken[step % 3](1000 + step))
            wait_for(lambda: rejected_count() > before, f"the broken version of step {step} to be refused")
            rejected += 1
        else:
            current = step + 1
            save(version_text(current))
            target = current
            wait_for(lambda: all(v == target for v in dict(state["latest"]).values()), f"version {target}")
        reloads += 1
        with lock:
            state["requests_at_step"] = state["requests"]
    time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(20)
    final = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    final.request("GET", "/counter")
    counter = json.loads(final.getresponse().read())["counter"]
    final.request("GET", "/")
    last_version = int(final.getresponse().getheader("x-api-version"))
    print(json.dumps({
        "requests": state["requests"], "posts": state["posts"], "counter": counter,
        "failures": state["failures"][:20], "failure_count": len(state["failures"]),
        "went_back": state["went_back"], "reloads": reloads, "rejected": rejected,
        "seen": sorted(state["seen"]), "last_version": last_version, "expected_last": current,
    }))
    """#

  @Test func zeroFailedRequestsThroughoutAHundredReloadsIncludingBrokenOnes() throws {
    let directory = ModuleDirectory()
    let example = SpecRunner.packageRoot.appendingPathComponent("examples/server")
    for name in ["api.oxur", "server.oxur"] {
      let text = try String(contentsOf: example.appendingPathComponent(name), encoding: .utf8)
      directory.write(name, text)
    }
    directory.write("client.py", Self.client)
    _ = FileManager.default.createFile(atPath: directory.path("server.out"), contents: nil)
    _ = FileManager.default.createFile(atPath: directory.path("server.err"), contents: nil)

    let server = Process()
    server.executableURL = Executable.url
    server.arguments = ["run", "--watch", "server.oxur", "0"]
    server.currentDirectoryURL = directory.url
    server.standardInput = FileHandle.nullDevice
    server.standardOutput = try FileHandle(forWritingTo: directory.url.appendingPathComponent("server.out"))
    server.standardError = try FileHandle(forWritingTo: directory.url.appendingPathComponent("server.err"))
    try server.run()
    defer {
      if server.isRunning {
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
      }
    }
    var port = 0
    waitUntil("the server says where it listens", timeout: 60) {
      let out = (try? String(contentsOfFile: directory.path("server.out"), encoding: .utf8)) ?? ""
      guard let range = out.range(of: #"listening on http://127\.0\.0\.1:(\d+)\n"#, options: .regularExpression)
      else { return false }
      port = Int(out[range].split(separator: ":").last?.dropLast() ?? "") ?? 0
      return true
    }
    try #require(port > 0)

    let client = Process()
    client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    client.arguments = ["python3", directory.path("client.py"), String(port), directory.url.path]
    let clientOutput = Pipe()
    client.standardOutput = clientOutput
    try client.run()
    let summaryData = Background { clientOutput.fileHandleForReading.readDataToEndOfFile() }
    let data = try #require(try summaryData.wait("the Python client", timeout: 300)?.get())
    client.waitUntilExit()
    let errors = (try? String(contentsOfFile: directory.path("server.err"), encoding: .utf8)) ?? ""
    let summary = try #require(
      try JSONSerialization.jsonObject(with: data) as? [String: Any],
      "client output: \(String(decoding: data, as: UTF8.self)); server errors: \(errors.suffix(2000))")
    #expect(summary["error"] == nil, "\(summary["error"] ?? "")")
    #expect(client.terminationStatus == 0)
    #expect(summary["failure_count"] as? Int == 0, "\(summary["failures"] ?? "")")
    #expect(summary["reloads"] as? Int == 100)
    #expect(summary["rejected"] as? Int == 20)
    #expect(summary["went_back"] as? Int == 0)
    // The responses switched to each good version in turn, and never to a broken one.
    let seen = summary["seen"] as? [Int] ?? []
    #expect(seen == (1...100).filter { $0 == 1 || ($0 - 1) % 5 != 0 })
    #expect(summary["last_version"] as? Int == 100)
    #expect(summary["expected_last"] as? Int == 100)
    // Nothing lost: the defonce counter kept every increment through every reload.
    #expect((summary["requests"] as? Int ?? 0) > 200)
    #expect(summary["counter"] as? Int == summary["posts"] as? Int)
    #expect(!errors.contains("HTTP 500"))

    kill(server.processIdentifier, SIGINT)
    let deadline = Date().addingTimeInterval(30)
    while server.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    #expect(!server.isRunning)
    #expect(HTTPTestConnection(port: port) == nil)
  }
}

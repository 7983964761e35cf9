// The HTTP server in process: Ring maps, routes, errors, limits, keep-alive, hostile clients, reload, stop.

import Foundation
import Testing
import Treebeard
import TreebeardHTTP

/// An interpreter with the HTTP builtins, a handler module `app` loaded from a temporary
/// directory, and a server on a free port.
final class ServerFixture: @unchecked Sendable {
  let directory = ModuleDirectory()
  let interpreter: Interpreter
  let output: BufferedOutput
  let errors: BufferedOutput
  var port = 0

  static let handler = """
    (module app)
    (export handle)
    (def version 1)
    (defn handle [request]
      (match [(:request-method request) (:uri request)]
        ([:get "/echo"]
         {:status 200 :headers {"x-version" (str version)}
          :body (pr-str [(:request-method request) (:uri request) (:query-string request)
                         (get (:headers request) "x-custom") (:body request) (:server-port request)
                         (:remote-addr request)])})
        ([:post "/echo"] {:status 201 :headers {:x-length (count (:body request))} :body (:body request)})
        ([:get "/headers"] {:status 200 :body (pr-str (sort (keys (:headers request))))})
        ([:get "/boom"] {:status 200 :body (str (quot 1 0))})
        ([:get "/not-a-map"] [:status 200])
        ([:get "/bad-status"] {:status 42 :body "x"})
        ([:get "/bad-header"] {:status 200 :headers {"x-evil" "a\\r\\nset-cookie: stolen=1"} :body "x"})
        ([:get "/bad-body"] {:status 200 :body {:not "a string"}})
        ([:get "/exit"] (exit 3))
        ([:get "/deep"] (let [down (fn down [n] (if (= n 0) 0 (+ 1 (down (- n 1)))))]
                          {:status 200 :body (str (down 50000))}))
        ([:get "/runaway"] (let [down (fn down [n] (+ 1 (down (+ n 1))))] (down 0)))
        (_ {:status 404 :body "not found"})))
    """

  init(handler: String = ServerFixture.handler, options: String = "{:port 0}", target: String = "app:handle") throws {
    (interpreter, output, errors) = bufferedInterpreter()
    HTTPBuiltins.install(in: interpreter)
    try interpreter.load(path: directory.write("app.oxur", handler))
    try interpreter.eval("(def server (http-serve \(options) \(target)))")
    guard case .int(let number) = try interpreter.eval("(http-port server)") else {
      throw OxurError("test", "http-port did not return an int")
    }
    port = number
  }

  func stop() { _ = try? interpreter.eval("(http-stop server)") }

  func get(_ target: String) -> HTTPTestResponse? { HTTPTestConnection.request(port: port, "GET", target) }
}

@Suite("HTTP server") struct HTTPServerTests {
  @Test func requestMapCarriesMethodUriQueryHeadersBodyAndPort() throws {
    let fixture = try ServerFixture()
    defer { fixture.stop() }
    let response = HTTPTestConnection.request(
      port: fixture.port, "GET", "/echo?a=1&b=two", headers: ["X-Custom": "Hello"], body: "payload")
    #expect(response?.status == 200)
    #expect(response?.body == #"[:get "/echo" "a=1&b=two" "Hello" "payload" \#(fixture.port) "127.0.0.1"]"#)
    #expect(response?.headers["x-version"] == "1")
    #expect(response?.headers["content-length"] == String(response?.body.utf8.count ?? -1))
    // No query string and no body: both nil, as in Ring.
    #expect(fixture.get("/echo")?.body == #"[:get "/echo" nil nil nil \#(fixture.port) "127.0.0.1"]"#)
    // The absolute form a server must accept (RFC 9112 §3.2.2) gives the same path: it gave
    // `:uri "http://example.com/echo"`, which no route matched.
    let absolute = HTTPTestConnection.request(port: fixture.port, "GET", "http://example.com/echo?a=1")
    #expect(absolute?.body == #"[:get "/echo" "a=1" nil nil \#(fixture.port) "127.0.0.1"]"#)
    // A fragment a client sent is not part of the path, nor of the query.
    let fragment = HTTPTestConnection.request(port: fixture.port, "GET", "/echo#top")
    #expect(fragment?.body == #"[:get "/echo" nil nil nil \#(fixture.port) "127.0.0.1"]"#)
    let queryFragment = HTTPTestConnection.request(port: fixture.port, "GET", "/echo?a=1#top")
    #expect(queryFragment?.body == #"[:get "/echo" "a=1" nil nil \#(fixture.port) "127.0.0.1"]"#)
  }

  @Test func headerNamesAreLowerCaseAndResponseHeadersAndStatusAreSent() throws {
    let fixture = try ServerFixture()
    defer { fixture.stop() }
    let response = HTTPTestConnection.request(
      port: fixture.port, "GET", "/headers", headers: ["X-MiXeD-CaSe": "1", "Accept": "*/*"])
    #expect(response?.body == #"["accept" "connection" "host" "x-mixed-case"]"#)
    let posted = HTTPTestConnection.request(port: fixture.port, "POST", "/echo", body: "héllo")
    #expect(posted?.status == 201)
    #expect(posted?.body == "héllo")
    #expect(posted?.headers["x-length"] == "5")
    #expect(fixture.get("/nowhere")?.status == 404)
  }

  @Test func aThrowingHandlerGives500WithTheErrorLoggedAndTheServerGoesOn() throws {
    let fixture = try ServerFixture()
    defer { fixture.stop() }
    let failed = fixture.get("/boom")
    #expect(failed?.status == 500)
    let log = fixture.errors.take()
    #expect(log.contains("✗ HTTP 500 for GET /boom: the handler failed"))
    #expect(log.contains("division by zero"))
    #expect(log.contains("app.oxur:"))  // the rendered error has its location
    #expect(fixture.get("/echo")?.status == 200)
  }

  @Test func aResponseThatIsNotAValidMapGives500WithAClearLog() throws {
    let fixture = try ServerFixture()
    defer { fixture.stop() }
    let cases: [(String, String)] = [
      ("/not-a-map", "the handler returned vector [:status 200], not a response map"),
      ("/bad-status", "the response's :status must be an integer from 200 to 599, got 42"),
      ("/bad-header", "the value of response header \"x-evil\" must be a string without line breaks"),
      ("/bad-body", "the response's :body must be a string or nil, got map"),
      ("/exit", "the handler failed\n✗ Error at "),
    ]
    for (target, message) in cases {
      let response = fixture.get(target)
      #expect(response?.status == 500, "\(target)")
      #expect(response?.headers["x-evil"] == nil)
      let log = fixture.errors.take()
      #expect(log.contains("✗ HTTP 500 for GET \(target): \(message)"), "\(target): \(log)")
      if target == "/exit" {
        #expect(log.contains("app.oxur:"), "placed at the call: \(log)")
        #expect(log.contains("(exit 3) does not end the program from a handler; stop a server with http-stop"))
      }
    }
    #expect(fixture.get("/echo")?.status == 200)
  }

  @Test func aBodyPastTheLimitIsRefusedWith413() throws {
    let fixture = try ServerFixture(options: "{:port 0 :max-body 16}")
    defer { fixture.stop() }
    let small = HTTPTestConnection.request(port: fixture.port, "POST", "/echo", body: String(repeating: "a", count: 16))
    #expect(small?.status == 201)
    let large = HTTPTestConnection.request(port: fixture.port, "POST", "/echo", body: String(repeating: "b", count: 17))
    #expect(large?.status == 413)
    // Chunked: no length up front, refused once the chunks pass the limit.
    let connection = try #require(HTTPTestConnection(port: fixture.port))
    connection.send("POST /echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
    connection.send("a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n")
    #expect(connection.readResponse()?.status == 413)
    #expect(connection.isClosedByServer())
    #expect(fixture.get("/echo")?.status == 200)
  }

  @Test func keepAliveServesTwoRequestsOnOneConnection() throws {
    let fixture = try ServerFixture()
    defer { fixture.stop() }
    let connection = try #require(HTTPTestConnection(port: fixture.port))
    connection.send(HTTPTestConnection.requestText("GET", "/echo?first"))
    let first = connection.readResponse()
    connection.send(HTTPTestConnection.requestText("POST", "/echo", body: "second"))
    let second = connection.readResponse()
    #expect(first?.status == 200)
    #expect(first?.body.contains("\"first\"") == true)
    #expect(second?.status == 201)
    #expect(second?.body == "second")
    // Two pipelined requests in one write are answered in order.
    connection.send(
      HTTPTestConnection.requestText("GET", "/echo?p1") + HTTPTestConnection.requestText("GET", "/echo?p2"))
    #expect(connection.readResponse()?.body.contains("\"p1\"") == true)
    #expect(connection.readResponse()?.body.contains("\"p2\"") == true)
  }

  /// A CONNECT reached the handler, lost its response's body, and NIO's parser took what
  /// followed for a tunnel: a request pipelined after it went unanswered until the idle timeout.
  /// The server is no proxy: 405 and a close, at once, and the server goes on.
  @Test func aConnectRequestIsRefusedWith405AndAClose() throws {
    let fixture = try ServerFixture(options: "{:port 0 :idle-timeout 30}")
    defer { fixture.stop() }
    let connection = try #require(HTTPTestConnection(port: fixture.port, timeout: 10))
    connection.send("CONNECT evil:443 HTTP/1.1\r\nHost: x\r\n\r\n" + HTTPTestConnection.requestText("GET", "/echo"))
    let started = Date()
    #expect(connection.readResponse()?.status == 405)
    #expect(connection.isClosedByServer())
    #expect(Date().timeIntervalSince(started) < 5, "closed at once, not at the idle timeout")
    #expect(fixture.get("/echo")?.status == 200)
  }

  @Test func garbageFromAClientGets400AndACloseAndTheServerStaysUp() throws {
    let fixture = try ServerFixture(options: "{:port 0 :idle-timeout 1}")
    defer { fixture.stop() }
    for garbage in [
      "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}\r\n\r\n",
      "GET / HTTP/9.9 nonsense\r\n\u{01}\u{02}\r\n\r\n", "HELLO\r\n\r\n",
    ] {
      let connection = try #require(HTTPTestConnection(port: fixture.port))
      connection.send(garbage)
      if let response = connection.readResponse() { #expect(response.status == 400) }
      #expect(connection.isClosedByServer())
    }
    // A target that is not a path never reaches the handler as its :uri.
    // `*` is for OPTIONS only (RFC 9112 §3.2.4).
    for target in ["ftp://example.org/echo", "echo", "HTTP://example.org:80", "*"] {
      let connection = try #require(HTTPTestConnection(port: fixture.port))
      connection.send("GET \(target) HTTP/1.1\r\nhost: x\r\n\r\n")
      let response = connection.readResponse()
      #expect(response?.status == (target.hasPrefix("HTTP:") ? 404 : 400), "\(target)")
      #expect(target.hasPrefix("HTTP:") || connection.isClosedByServer())
    }
    let random = try #require(HTTPTestConnection(port: fixture.port))
    var generator = SystemRandomNumberGenerator()
    random.send((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
    #expect(random.isClosedByServer())
    // Blank lines before a request are allowed (RFC 9112 §2.2), so this is no error; the
    // idle timeout closes a connection that never sends a request.
    let silent = try #require(HTTPTestConnection(port: fixture.port))
    silent.send("\r\n\r\n\r\n")
    #expect(silent.isClosedByServer())
    #expect(fixture.get("/echo")?.status == 200)
  }

  @Test func clientsDisconnectingMidRequestLeaveTheServerServing() throws {
    let fixture = try ServerFixture()
    defer { fixture.stop() }
    for _ in 0..<20 {
      let headOnly = try #require(HTTPTestConnection(port: fixture.port))
      headOnly.send("GET /echo HTTP/1.1\r\nhost: x\r\n")  // the head never ends
      let partialBody = try #require(HTTPTestConnection(port: fixture.port))
      partialBody.send("POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nonly ten b")
      let gone = try #require(HTTPTestConnection(port: fixture.port))
      gone.send(HTTPTestConnection.requestText("GET", "/echo"))
      gone.shutdownWrite()  // asked, then went away before the answer
    }
    #expect(fixture.get("/echo")?.status == 200)
    #expect(!fixture.errors.take().contains("✗"))
  }

  @Test func theHandlerIsLateBoundAcrossReloads() throws {
    for target in ["app:handle", "'app:handle"] {
      let fixture = try ServerFixture(target: target)
      defer { fixture.stop() }
      #expect(fixture.get("/echo")?.headers["x-version"] == "1")
      let path = fixture.directory.write(
        "app.oxur", ServerFixture.handler.replacingOccurrences(of: "(def version 1)", with: "(def version 2)"))
      try fixture.interpreter.reload(path: path)
      #expect(fixture.get("/echo")?.headers["x-version"] == "2", "\(target)")
      // A broken version is refused by the reload; version 2 keeps answering.
      _ = fixture.directory.write("app.oxur", "(module app) (defn handle [r] (")
      #expect(throws: LoadFailure.self) { try fixture.interpreter.reload(path: path) }
      #expect(fixture.get("/echo")?.headers["x-version"] == "2")
    }
  }

  @Test func theServerValuePrintsItsAddressAndStopFreesThePort() throws {
    let fixture = try ServerFixture()
    #expect(try fixture.interpreter.eval("(pr-str server)").printed == "\"#<http-server 127.0.0.1:\(fixture.port)>\"")
    #expect(try fixture.interpreter.eval("(type-of server)").printed == ":http-server")
    try fixture.interpreter.eval("(http-stop server)")
    try fixture.interpreter.eval("(http-stop server)")  // twice is fine
    #expect(HTTPTestConnection(port: fixture.port) == nil)
    // The same port can be bound again at once.
    try fixture.interpreter.eval("(def again (http-serve {:port \(fixture.port)} app:handle))")
    #expect(HTTPTestConnection.request(port: fixture.port, "GET", "/echo")?.status == 200)
    try fixture.interpreter.eval("(http-stop again)")
  }

  @Test func badArgumentsAreClearErrors() throws {
    let fixture = try ServerFixture()
    defer { fixture.stop() }
    let cases: [(String, String)] = [
      (
        "(http-serve {:port 0 :prot 1} app:handle)",
        "http-serve: unknown option :prot (known: :host :port :max-body :threads :idle-timeout)"
      ),
      ("(http-serve {:port \"80\"} app:handle)", "http-serve: :port must be an integer from 0 to 65535, got \"80\""),
      ("(http-serve {:port 70000} app:handle)", "http-serve: :port must be an integer from 0 to 65535, got 70000"),
      ("(http-serve [] app:handle)", "http-serve: expected an options map such as {:port 8080}, got []"),
      (
        "(http-serve {:port 0} 'handle)",
        "http-serve: a handler named by a symbol needs its module, e.g. 'app:handle (got 'handle)"
      ),
      ("(http-serve {:port 0} 42)", "http-serve: the handler must be a function or a symbol like 'app:handle, got 42"),
      ("(http-port 1)", "http-port: expected a server from http-serve, got 1"),
      ("(http-serve {:port \(fixture.port)} app:handle)", "http-serve: cannot listen on 127.0.0.1:\(fixture.port)"),
    ]
    for (source, message) in cases {
      #expect(throws: OxurError.self, "\(source)") { try fixture.interpreter.eval(source) }
      do {
        try fixture.interpreter.eval(source)
      } catch let error as OxurError {
        #expect(error.message.hasPrefix(message), "\(source): \(error.message)")
      }
    }
    #expect(fixture.get("/echo")?.status == 200)
  }

  @Test func joinReleasesTheEvaluatorLockAndReturnsWhenAHandlerStopsTheServer() throws {
    let handler = """
      (module app)
      (defonce hits (atom 0))
      (defonce server (atom nil))
      (defn handle [request]
        (if (= (:uri request) "/stop")
          (do (http-stop @server) {:status 200 :body "bye"})
          {:status 200 :body (str (swap! hits inc))}))
      """
    let fixture = try ServerFixture(handler: handler)
    try fixture.interpreter.eval("(reset! app:server server)")
    let joined = Background { try fixture.interpreter.eval("(do (http-join server) :joined)") }
    // While main waits in http-join, handlers run (they need the evaluator lock).
    for expected in 1...5 { #expect(fixture.get("/count")?.body == "\(expected)") }
    #expect(!joined.isFinished)
    #expect(fixture.get("/stop")?.body == "bye")
    #expect(try joined.wait("http-join after http-stop")?.get().printed == ":joined")
    #expect(HTTPTestConnection(port: fixture.port) == nil)
  }

  @Test func anInterruptedJoinStopsTheServer() throws {
    let fixture = try ServerFixture()
    let handle = EvaluationHandle(interpreter: fixture.interpreter)
    let joined = Background { try fixture.interpreter.eval("(http-join server)", handle: handle) }
    #expect(fixture.get("/echo")?.status == 200)
    handle.interrupt()
    #expect(oxurError(joined.wait("interrupted http-join"))?.kind == "interrupted")
    #expect(HTTPTestConnection(port: fixture.port) == nil)
  }

  @Test func manyConcurrentClientsAreAllAnswered() throws {
    let fixture = try ServerFixture()
    defer { fixture.stop() }
    let port = fixture.port
    let clients = (0..<8).map { client in
      Background { () -> Int in
        guard let connection = HTTPTestConnection(port: port) else { return 0 }
        var answered = 0
        for request in 0..<25 {
          connection.send(HTTPTestConnection.requestText("GET", "/echo?\(client)-\(request)"))
          if connection.readResponse()?.body.contains("\"\(client)-\(request)\"") == true { answered += 1 }
        }
        return answered
      }
    }
    for client in clients { #expect(try client.wait("a client's 25 requests")?.get() == 25) }
  }

  /// Handlers ran as the main process: concurrent requests shared one mailbox, so a reply sent
  /// to one handler's `(self)` was taken by another's `receive` (36 answers in 40 belonged to
  /// other requests), or by the main program's. Each request is now a process of its own.
  @Test func eachRequestIsAProcessWithItsOwnMailbox() throws {
    let handler = """
      (module app)
      (defonce echo (atom nil))
      (defonce main (atom nil))
      (defn serve-echo [] (receive ([:echo from v] (sleep 2) (send from [:reply v]) (serve-echo))))
      (defn handle [request]
        (let [tag (:query-string request)]
          (send @echo [:echo (self) tag])
          (receive ([:reply v] {:status 200 :body (str tag " " v " " (= (self) @main))})
                   (after 5000 {:status 504 :body "timeout"}))))
      """
    let fixture = try ServerFixture(handler: handler, options: "{:port 0 :threads 8}")
    defer { fixture.stop() }
    try fixture.interpreter.eval("(reset! app:echo (spawn app:serve-echo))")
    try fixture.interpreter.eval("(reset! app:main (self))")
    let port = fixture.port
    let clients = (0..<16).map { client in
      Background { () -> [String] in
        (0..<3).map { round in
          HTTPTestConnection.request(port: port, "GET", "/?q\(client)-\(round)")?.body ?? "no answer"
        }
      }
    }
    for (client, background) in clients.enumerated() {
      let bodies = try background.wait("client \(client)'s requests")?.get() ?? []
      #expect(bodies == (0..<3).map { "q\(client)-\($0) q\(client)-\($0) false" }, "\(bodies)")
    }
    // Nothing meant for a handler reached the main program's mailbox.
    #expect(try fixture.interpreter.eval("(receive (m [:stray m]) (after 0 :none))") == .keyword("none"))
  }

  /// A handler that could not be called at all (a wrong arity, a name not defined, a builtin
  /// given a map) failed with no place: `✗ Error: wrong number of arguments…`. It is placed at
  /// the `(http-serve …)` that set the handler, with its source line.
  @Test func aHandlerThatCannotBeCalledIsPlacedAtItsHttpServe() throws {
    for (handler, message) in [
      ("(fn [] 1)", "wrong number of arguments to fn: expected 0, got 1"),
      ("'nosuch:f", "unknown name: nosuch:f (module nosuch is not loaded)"),
    ] {
      let fixture = try ServerFixture(target: handler)
      defer { fixture.stop() }
      #expect(fixture.get("/")?.status == 500)
      var reported = ""
      waitUntil("the failure is reported") {
        reported += fixture.errors.take()
        return reported.contains(message)
      }
      #expect(reported.contains("<eval>:1:13: \(message)"), "\(reported)")
      #expect(reported.contains(" 1 | (def server (http-serve"), "\(reported)")
    }
  }

  /// `http-stop` returned at once: a program that stopped its server and ended gave the client
  /// of a request in flight an empty reply. It now lets such requests finish; a handler that
  /// stops its own server still gets its answer out, and `http-join` returns after it.
  @Test func stoppingLetsRequestsInFlightFinish() throws {
    let handler = """
      (module app)
      (defonce started (atom false))
      (defonce serving (atom nil))
      (defonce finished (atom false))
      (defn handle [request]
        (if (= (:uri request) "/stop")
          (do (http-stop @serving) {:status 200 :body "stopped by a handler"})
          (do (reset! started true) (sleep 300) (reset! finished true) {:status 200 :body "late"})))
      """
    let fixture = try ServerFixture(handler: handler)
    let port = fixture.port
    let slow = Background { HTTPTestConnection.request(port: port, "GET", "/slow")?.body ?? "no answer" }
    waitUntil("the handler runs") { (try? fixture.interpreter.eval("@app:started")) == .bool(true) }
    try fixture.interpreter.eval("(http-stop server)")
    // It returned once the request in flight was answered, not before.
    #expect(try fixture.interpreter.eval("@app:finished") == .bool(true))
    #expect(try slow.wait("the slow request")?.get() == "late")

    // A request read before the stop but still waiting for the one worker is answered by the
    // handler too: it got 503.
    let queued = try ServerFixture(handler: handler, options: "{:port 0 :threads 1}")
    let (first, second) = (
      Background { HTTPTestConnection.request(port: queued.port, "GET", "/one")?.body ?? "no answer" },
      Background { () -> String in
        Thread.sleep(forTimeInterval: 0.05)
        return HTTPTestConnection.request(port: queued.port, "GET", "/two")?.body ?? "no answer"
      }
    )
    waitUntil("the first handler runs") { (try? queued.interpreter.eval("@app:started")) == .bool(true) }
    Thread.sleep(forTimeInterval: 0.2)
    try queued.interpreter.eval("(http-stop server)")
    #expect(try first.wait("the first request")?.get() == "late")
    #expect(try second.wait("the queued request")?.get() == "late")

    let own = try ServerFixture(handler: handler)
    try own.interpreter.eval("(reset! app:serving server)")
    let joined = Background { try own.interpreter.eval("(do (http-join server) :joined)") }
    #expect(HTTPTestConnection.request(port: own.port, "GET", "/stop")?.body == "stopped by a handler")
    #expect(try joined.wait("http-join")?.get() == .keyword("joined"))
  }

  /// Small things an attack found: a nil header value was reported as "got nil nil"; a 204 with
  /// a body got a content-type for the body it does not send; "Content-Type" and "content-type"
  /// were both sent; a port in use read "…Address already in use) (errno: 98)".
  @Test func responseHeaderEdgesAndBindErrors() throws {
    let handler = """
      (module app)
      (defn handle [request]
        (match (:uri request)
          ("/nil-header" {:status 200 :headers {"x-a" nil} :body "x"})
          ("/no-content" {:status 204 :body "dropped"})
          ("/twice" {:status 200 :headers {"Content-Type" "text/html" "content-type" "text/plain"} :body "x"})
          (_ {:status 404})))
      """
    let fixture = try ServerFixture(handler: handler)
    defer { fixture.stop() }
    #expect(fixture.get("/nil-header")?.status == 500)
    #expect(fixture.get("/twice")?.status == 500)
    let empty = fixture.get("/no-content")
    #expect(empty?.status == 204)
    #expect(empty?.headers["content-type"] == nil, "\(String(describing: empty?.headers))")
    var reported = ""
    waitUntil("both failures are reported") {
      reported += fixture.errors.take()
      return reported.contains("x-a") && reported.contains("give it once")
    }
    #expect(reported.contains("must be a string without line breaks, got nil\n"), "\(reported)")
    #expect(reported.contains("response headers \"Content-Type\" and \"content-type\" name the same header"))
    do {
      try fixture.interpreter.eval("(http-serve {:port \(fixture.port)} app:handle)")
      Issue.record("a second server listened on a port in use")
    } catch let error as OxurError {
      #expect(error.message == "http-serve: cannot listen on 127.0.0.1:\(fixture.port): Address already in use")
    }
  }

  /// Two handlers stopping their server at once each waited the whole 10 s for the other's
  /// request. Handlers waiting in `http-stop` or `http-join` are not waited for.
  @Test func handlersStoppingTheirServerTogetherDoNotWaitForEachOther() throws {
    let handler = """
      (module app)
      (defonce serving (atom nil))
      (defn handle [request] (sleep 200) (http-stop @serving) {:status 200 :body "stopped"})
      """
    let fixture = try ServerFixture(handler: handler, options: "{:port 0 :threads 4}")
    try fixture.interpreter.eval("(reset! app:serving server)")
    let port = fixture.port
    let stops = (0..<2).map { _ in
      Background { () -> String in
        // Well short of the 10 s the stops waited for each other.
        guard let connection = HTTPTestConnection(port: port, timeout: 5) else { return "no connection" }
        connection.send(HTTPTestConnection.requestText("GET", "/", headers: ["connection": "close"]))
        return connection.readResponse()?.body ?? "no answer within 5 s"
      }
    }
    for stop in stops { #expect(try stop.wait("a stopping request")?.get() == "stopped") }
  }

  /// A server started by a top level that then fails, or by a dry run, stops with the rest of
  /// that load: it kept the port, answering with a handler that was never committed, and only
  /// a restart freed it for the corrected file.
  @Test func aServerStartedByAFailedLoadOrADryRunStops() throws {
    let directory = ModuleDirectory()
    let (interpreter, output, errors) = bufferedInterpreter()
    HTTPBuiltins.install(in: interpreter)
    let serving = """
      (module web)
      (defn handle [request] {:status 200 :body "web"})
      (defonce server (http-serve {:port 0} web:handle))
      (println "port" (http-port server))

      """
    func printedPort() -> Int? {
      output.take().split(separator: "\n").compactMap { line in
        line.hasPrefix("port ") ? Int(line.dropFirst(5)) : nil
      }.last
    }
    let path = directory.write("web.oxur", serving + "(undefined-name)\n")
    try interpreter.eval("(load \"\(path)\")")
    #expect(errors.take().contains("unknown name: undefined-name"))
    let failedPort = try #require(printedPort())
    #expect(HTTPTestConnection.request(port: failedPort, "GET", "/") == nil, "the failed load's server still answers")
    directory.write("web.oxur", "(module web)\n(defn handle [request] {:status 200 :body \"web\"})\n")
    try interpreter.eval("(load \"\(path)\")")
    directory.write("web.oxur", serving)
    try interpreter.eval("(reload \"\(path)\" :dry-run)")
    let dryPort = try #require(printedPort())
    #expect(HTTPTestConnection.request(port: dryPort, "GET", "/") == nil, "the dry run's server still answers")
    try interpreter.eval("(reload \"\(path)\")")
    let committedPort = try #require(printedPort())
    #expect(HTTPTestConnection.request(port: committedPort, "GET", "/")?.body == "web")
    _ = try interpreter.eval("(http-stop web:server)")
  }
}

// One listening HTTP server: its NIO channels, its handler target, start, stop and request dispatch.

import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import OxurSyntax
import Treebeard

/// What `http-serve` was given to call for each request.
enum HandlerTarget: Sendable {
  /// A function value. A named global (`app:handle`) is a late-bound reference: each call runs
  /// the current version. An anonymous `fn` keeps the code it was made with.
  case function(Value)
  /// A qualified symbol, `'app:handle`, looked up by name at each request.
  case named(module: String, function: String)
}

/// Settings of one server (`http-serve`'s options map).
struct HTTPServerOptions: Sendable {
  var host = "127.0.0.1"
  var port = 8080
  var maxBody = 1 << 20
  var threads = 4
  /// Seconds a connection may stay silent while no request of it is being handled.
  var idleTimeout = 60
}

final class HTTPServer: @unchecked Sendable {
  let options: HTTPServerOptions
  /// Set once the listener is bound; a connection may be accepted before, so it is read under the lock.
  private var boundPort = 0
  var port: Int { lock.withLock { boundPort } }
  private weak var interpreter: Interpreter?
  private let target: HandlerTarget
  let workers: HandlerWorkers
  private let lock = NSLock()
  private var listener: Channel?
  /// Open connections, and whether each is waiting for its handler's response.
  private var connections: [ObjectIdentifier: (channel: Channel, busy: Bool)] = [:]
  private var stopped = false
  /// Requests taken whose response is not written yet: a stop lets them finish
  /// (`isFinished`), so `http-stop` and `http-join` do not end the program under them.
  private var answering = 0

  /// The `(http-serve …)` that started it: where a handler failure with no place of its own is
  /// placed (the handler could not be called at all: a wrong arity, a name not defined, a builtin).
  private let startedAt: OxurSyntax.Span

  private init(options: HTTPServerOptions, interpreter: Interpreter, target: HandlerTarget, startedAt: OxurSyntax.Span)
  {
    self.startedAt = startedAt
    self.options = options
    self.interpreter = interpreter
    self.target = target
    self.workers = HandlerWorkers(count: options.threads, name: "tb-http")
  }

  /// Binds and starts accepting; throws an `http` error when the address cannot be bound.
  static func start(
    options: HTTPServerOptions, interpreter: Interpreter, target: HandlerTarget, startedAt: OxurSyntax.Span = .unknown
  ) throws -> HTTPServer {
    let server = HTTPServer(options: options, interpreter: interpreter, target: target, startedAt: startedAt)
    guard server.workers.started > 0 else {
      server.workers.stop()
      throw OxurError("http", "http-serve: \(LargeStack.refused().message)")
    }
    let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(ChannelOptions.backlog, value: 256)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(
            IdleStateHandler(readTimeout: .seconds(Int64(options.idleTimeout))))
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
          try channel.pipeline.syncOperations.addHandler(HTTPConnectionHandler(server: server))
          server.opened(channel)
        }
      }
      .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    do {
      let channel = try bootstrap.bind(host: options.host, port: options.port).wait()
      server.lock.withLock {
        server.boundPort = channel.localAddress?.port ?? options.port
        server.listener = channel
      }
    } catch {
      server.workers.stop()
      // The system's reason: NIO's own text read "bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)".
      let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
      throw OxurError("http", "http-serve: cannot listen on \(options.host):\(options.port): \(reason)")
    }
    return server
  }

  var address: String { "\(options.host):\(port)" }

  var isStopped: Bool { lock.withLock { stopped } }

  /// Handlers of this server waiting in `http-stop` or `http-join` for it: their own requests
  /// cannot finish before they do, so they are not waited for (two handlers stopping the
  /// server waited the whole 10 s for each other).
  private var handlersWaiting = 0

  /// Stopped, with no response still to write but those of handlers waiting for the stop.
  var isFinished: Bool { lock.withLock { stopped && answering <= handlersWaiting } }

  /// Runs `wait`, counted as a handler's wait for this server when the calling thread is one
  /// of its handler threads.
  func waiting<T>(_ wait: () throws -> T) rethrows -> T {
    guard workers.isCurrentThreadAWorker else { return try wait() }
    lock.withLock { handlersWaiting += 1 }
    defer { lock.withLock { handlersWaiting -= 1 } }
    return try wait()
  }

  /// A request was handed to a worker; `answered()` when its response is written or its
  /// connection has gone.
  func answering(_ started: Bool) { lock.withLock { answering += started ? 1 : -1 } }

  /// Set by a stop whose load rolled back: requests taken before it but not yet started are
  /// refused, since the handler they would call was never committed.
  private var refusingTaken = false

  /// Stops accepting, closes idle connections at once and busy ones after their response.
  /// Requests taken before the stop are answered by the handler, even those still waiting for a
  /// worker (they got 503: a client whose request had been read saw the server refuse it),
  /// unless `refusingTaken`. Returns when the port is free. Safe to call twice and from a handler.
  func stop(refusingTaken refuse: Bool = false) {
    let (listening, idle): (Channel?, [Channel]) = lock.withLock {
      if refuse { refusingTaken = true }
      if stopped { return (nil, []) }
      stopped = true
      return (listener, connections.values.filter { !$0.busy }.map(\.channel))
    }
    if let listening {
      if listening.eventLoop.inEventLoop {
        listening.close(promise: nil)
      } else {
        try? listening.close().wait()
      }
    }
    for channel in idle { channel.close(promise: nil) }
    workers.stop()
  }

  private func opened(_ channel: Channel) {
    let key = ObjectIdentifier(channel)
    let accepted = lock.withLock {
      if stopped { return false }
      connections[key] = (channel, false)
      return true
    }
    if !accepted {
      channel.close(promise: nil)
      return
    }
    channel.closeFuture.whenComplete { [weak self] _ in
      self?.lock.withLock { _ = self?.connections.removeValue(forKey: key) }
    }
  }

  /// Marks a connection busy (a request is with a handler) or idle; false when the server has
  /// stopped and an idle connection should close.
  func setBusy(_ channel: Channel, _ busy: Bool) -> Bool {
    lock.withLock {
      connections[ObjectIdentifier(channel)]?.busy = busy
      return !stopped
    }
  }

  /// Runs the handler for one request on the calling (worker) thread and returns the response;
  /// every failure becomes a 500, reported on the interpreter's error output. `taken`: the
  /// request was read before the server stopped.
  func respond(to request: HTTPRequestData, taken: Bool) -> HTTPResponseData {
    guard taken, !lock.withLock({ refusingTaken }), let interpreter else {
      return .plain(503, "Service Unavailable")
    }
    let argument = RingRequest.map(request)
    let line = "\(request.method) \(request.target)"
    do {
      let value: Value
      switch target {
      // Each request is a process of its own: a handler's request and reply with another
      // process must not meet the mailbox of another handler, or of the main program.
      case .function(let function):
        value = try interpreter.callAsProcess(
          function: function, arguments: [argument], label: "http \(line.prefix(80))")
      case .named(let module, let function):
        value = try interpreter.callAsProcess(
          module: module, function: function, arguments: [argument], label: "http \(line.prefix(80))")
      }
      switch RingResponse.parse(value) {
      case .success(let response): return response
      case .failure(let problem):
        report("✗ HTTP 500 for \(line): \(problem.message)\n", interpreter)
      }
    } catch let error as OxurError {
      error.located(startedAt)
      report("✗ HTTP 500 for \(line): the handler failed\n\(ErrorRenderer.render(error))\n", interpreter)
    } catch let exit as ExitRequest {
      // Ending the whole program from one request is not the handler's call: the server goes on.
      let refused = exit.refused(
        "(exit \(exit.code)) does not end the program from a handler; stop a server with http-stop")
      report("✗ HTTP 500 for \(line): the handler failed\n\(ErrorRenderer.render(refused))\n", interpreter)
    } catch {
      report("✗ HTTP 500 for \(line): the handler ended with \(error)\n", interpreter)
    }
    return .plain(500, "Internal Server Error")
  }

  /// Under the evaluator lock, so the report does not interleave with Oxur's own output.
  private func report(_ text: String, _ interpreter: Interpreter) {
    interpreter.runtime.lock.withLock { interpreter.runtime.reportProblem(text) }
  }
}

// The nREPL server: a TCP listener (SwiftNIO) whose sessions evaluate in one shared Interpreter.

import Foundation
import NIOCore
import NIOPosix
import Treebeard

/// Serves nREPL over TCP for one interpreter. Its sessions share the interpreter's registry with
/// the running program and any other client, and evaluate through the public `Interpreter`
/// API, taking the evaluator lock like any other thread.
public final class NREPLServer: @unchecked Sendable {
  public let interpreter: Interpreter
  let decoder: BencodeDecoder
  private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
  private let lock = NSLock()
  private var listener: Channel?
  private var sessions: [String: NREPLSession] = [:]
  /// Each connection's session for requests that name none.
  private var defaultSessions: [ObjectIdentifier: NREPLSession] = [:]
  private var connections: [ObjectIdentifier: NREPLConnection] = [:]
  private var portFile: String?
  /// completions, lookup and info: answered "nothing found" after a second rather than wait
  /// for ever behind another session's load (an editor asks at every keystroke).
  let lookups = PatientLookup(patience: 1.0)

  public init(interpreter: Interpreter, maximumMessageBytes: Int = 64 << 20) {
    self.interpreter = interpreter
    decoder = BencodeDecoder(maximumMessageBytes: maximumMessageBytes)
  }

  /// Binds and starts accepting; returns the port (a free one when `port` is 0).
  @discardableResult
  public func start(host: String = "127.0.0.1", port: Int = 0) throws -> Int {
    // NIO takes the low 16 bits: 65537 listened on port 1.
    guard (0...65535).contains(port) else {
      throw OxurError("argument", "an nREPL port is 0 (any free one) to 65535, not \(port)")
    }
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 64)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { [self] channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(NREPLChannelHandler(server: self))
        }
      }
    let channel = try bootstrap.bind(host: host, port: port).wait()
    lock.withLock { listener = channel }
    return channel.localAddress?.port ?? port
  }

  /// The port the server listens on, once started.
  public var port: Int? { lock.withLock { listener?.localAddress?.port } }

  /// What Clojure's server prints, which editors (CIDER's jack-in) parse.
  public static func announcement(host: String, port: Int) -> String {
    "nREPL server started on port \(port) on host \(host) - nrepl://\(host):\(port)"
  }

  /// True for the addresses only this machine can reach.
  public static func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host.hasPrefix("127.")
  }

  /// Writes `.nrepl-port` in `directory`, removed again by `stop()`.
  public func writePortFile(directory: String = FileManager.default.currentDirectoryPath) throws {
    guard let port else { return }
    let path = URL(fileURLWithPath: directory).appendingPathComponent(".nrepl-port").path
    try String(port).write(toFile: path, atomically: true, encoding: .utf8)
    lock.withLock { portFile = path }
  }

  /// Stops listening, closes every connection and session, and removes `.nrepl-port`. The
  /// server's event loop thread ends here: a server never stopped keeps it for the process.
  public func stop() {
    let (channel, open, all, file) = lock.withLock {
      defer {
        listener = nil
        sessions = [:]
        defaultSessions = [:]
        portFile = nil
      }
      return (listener, Array(connections.values), Array(sessions.values), portFile)
    }
    if let file { try? FileManager.default.removeItem(atPath: file) }
    for session in all { session.close() }
    for connection in open { connection.close() }
    try? channel?.close().wait()
    // Not synchronously: `stop` may run on a session thread the loop is waiting for.
    group.shutdownGracefully(queue: .global()) { _ in }
  }

  /// Removes `.nrepl-port` only; safe from a signal-handling thread about to exit.
  public func removePortFile() {
    if let file = lock.withLock({ portFile }) { try? FileManager.default.removeItem(atPath: file) }
  }

  func connectionOpened(_ connection: NREPLConnection) {
    lock.withLock { connections[connection.id] = connection }
  }

  /// A client went away: its sessions end (a running evaluation is interrupted), nothing else.
  func connectionClosed(_ connection: NREPLConnection) {
    let owned = lock.withLock {
      connections[connection.id] = nil
      defaultSessions[connection.id] = nil
      let owned = sessions.values.filter { $0.owner == connection.id }
      for session in owned { sessions[session.id] = nil }
      return owned
    }
    for session in owned { session.close() }
  }

  /// Sessions open at once at most (each has a thread): a client cloning in a loop gets
  /// `too-many-sessions`.
  public static let maximumSessions = 256

  func newSession(for connection: NREPLConnection, module: String? = nil) -> NREPLSession? {
    guard lock.withLock({ sessions.count < Self.maximumSessions }) else { return nil }
    let session = NREPLSession(interpreter: interpreter, owner: connection.id)
    if let module { session.handle.currentModule = module }
    lock.withLock { sessions[session.id] = session }
    return session
  }

  func session(named id: String) -> NREPLSession? { lock.withLock { sessions[id] } }

  func defaultSession(for connection: NREPLConnection) -> NREPLSession? {
    if let existing = lock.withLock({ defaultSessions[connection.id] }) { return existing }
    guard let session = newSession(for: connection) else { return nil }
    lock.withLock { defaultSessions[connection.id] = session }
    return session
  }

  func closeSession(_ session: NREPLSession) {
    lock.withLock {
      sessions[session.id] = nil
      for (key, value) in defaultSessions where value === session { defaultSessions[key] = nil }
    }
    session.close()
  }

  var sessionIDs: [String] { lock.withLock { sessions.keys.sorted() } }

  /// Tallies for tests and the benchmark: sessions and connections open now.
  public var openSessions: Int { lock.withLock { sessions.count } }
  public var openConnections: Int { lock.withLock { connections.count } }
}

extension NREPLServer {
  /// What the command line does: start on `host:port`, announce it as Clojure's server does,
  /// write `.nrepl-port`, warn when others can reach it. Returns how to stop it.
  public static func launch(interpreter: Interpreter, host: String, port: Int) throws -> @Sendable () -> Void {
    let server = NREPLServer(interpreter: interpreter)
    let bound = try server.start(host: host, port: port)
    if !isLoopback(host) {
      interpreter.runtime.reportProblem(
        "⚠ nREPL listens on \(host), reachable from other machines: nREPL has no authentication, and anyone who connects runs code as this user\n"
      )
    }
    do { try server.writePortFile() } catch {
      interpreter.runtime.reportProblem("⚠ could not write .nrepl-port: \(error.localizedDescription)\n")
    }
    interpreter.runtime.output.write(announcement(host: host, port: bound) + "\n")
    interpreter.runtime.output.flush()
    return { server.stop() }
  }
}

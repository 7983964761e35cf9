// A bare nREPL client over a POSIX socket for tests: send requests, read responses with deadlines.

import Foundation
import Testing
import TreebeardNREPL

/// One TCP connection. Reads are polled with a deadline, so a server that never answers fails
/// the test instead of hanging it.
final class NREPLTestClient: @unchecked Sendable {
  private let socketDescriptor: Int32
  private var pending: [UInt8] = []
  private let decoder = BencodeDecoder()
  private var nextID = 0

  init(port: Int) throws {
    // Thrown before the descriptor is stored, so deinit cannot close it a second time (a
    // second close would close whatever descriptor another test opened meanwhile).
    guard let descriptor = connectToLoopback(port: port) else {
      throw NREPLTestError.failed("cannot connect to port \(port): errno \(errno)")
    }
    socketDescriptor = descriptor
  }

  deinit { close(socketDescriptor) }

  func disconnect() { shutdown(socketDescriptor, Int32(SHUT_RDWR)) }

  func sendRaw(_ bytes: [UInt8]) { sendAll(bytes, to: socketDescriptor) }

  /// Sends a request with a fresh `id` (unless it has one) and returns the id.
  @discardableResult
  func send(_ fields: [String: Bencode]) -> String {
    var message = fields
    nextID += 1
    let id = message["id"]?.text ?? "request-\(nextID)"
    message["id"] = .string(id)
    sendRaw(Bencode.dictionary(message).encoded())
    return id
  }

  /// The next message, or nil when the connection closed or `timeout` passed.
  func read(timeout: TimeInterval = 60) -> [String: Bencode]? {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      if let decoded = try? decoder.decode(pending) {
        pending.removeFirst(decoded.length)
        return decoded.value.dictionary
      }
      let remaining = deadline.timeIntervalSinceNow
      if remaining <= 0 { return nil }
      var descriptor = pollfd(fd: socketDescriptor, events: Int16(POLLIN), revents: 0)
      let ready = poll(&descriptor, 1, Int32(min(remaining, 1) * 1000))
      if ready < 0 { return nil }
      if ready == 0 { continue }
      var chunk = [UInt8](repeating: 0, count: 65_536)
      let count = chunk.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, 0) }
      if count <= 0 { return nil }
      pending.append(contentsOf: chunk[..<count])
    }
  }

  /// True when the server closed the connection (no more messages) within `timeout`.
  func isClosedByServer(timeout: TimeInterval = 60) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      var descriptor = pollfd(fd: socketDescriptor, events: Int16(POLLIN), revents: 0)
      if poll(&descriptor, 1, 100) > 0 {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return true }
      }
    }
    return false
  }

  /// Every message answering `id` up to and including the one whose status has `done`.
  func responses(to id: String, timeout: TimeInterval = 60, sourceLocation: SourceLocation = #_sourceLocation)
    -> [[String: Bencode]]
  {
    var collected: [[String: Bencode]] = []
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      guard let message = read(timeout: max(0, deadline.timeIntervalSinceNow)) else {
        Issue.record("no done for \(id); got \(collected)", sourceLocation: sourceLocation)
        return collected
      }
      guard message["id"]?.text == id else { continue }
      collected.append(message)
      if message.statuses.contains("done") { return collected }
    }
  }

  /// Sends a request and collects its responses.
  func request(_ fields: [String: Bencode], sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Bencode]] {
    responses(to: send(fields), sourceLocation: sourceLocation)
  }

  /// A new session's id.
  func clone() -> String? {
    request(["op": .string("clone")]).compactMap { $0["new-session"]?.text }.first
  }

  /// Evaluates in `session`; returns the responses.
  func eval(_ code: String, session: String?, extra: [String: Bencode] = [:]) -> [[String: Bencode]] {
    var fields = extra
    fields["op"] = .string("eval")
    fields["code"] = .string(code)
    if let session { fields["session"] = .string(session) }
    return request(fields)
  }
}

enum NREPLTestError: Error { case failed(String) }

extension Dictionary where Key == String, Value == Bencode {
  var statuses: [String] { self["status"]?.list?.compactMap(\.text) ?? [] }
}

extension Array where Element == [String: Bencode] {
  var values: [String] { compactMap { $0["value"]?.text } }
  var out: String { compactMap { $0["out"]?.text }.joined() }
  var err: String { compactMap { $0["err"]?.text }.joined() }
  var statuses: [String] { flatMap(\.statuses) }
}

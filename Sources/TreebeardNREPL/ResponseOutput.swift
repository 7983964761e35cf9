// An evaluation's output as nREPL `out` / `err` messages of the request that runs it.

import Foundation
import Treebeard

/// Collects what the evaluation prints and sends it as the request's `out` (or `err`) at each
/// line end and flush, so a client sees a loop's output while the loop runs.
final class ResponseOutput: OutputSink, @unchecked Sendable {
  private let connection: NREPLConnection
  private let request: [String: Bencode]
  private let session: String
  private let key: String
  /// True once the evaluation writing here was interrupted: output the client is not reading
  /// is then dropped, so the interrupt reaches the evaluation's next safe point.
  private let giveUp: @Sendable () -> Bool
  private let lock = NSLock()
  private var buffer = ""
  /// Sent once this much is waiting even without a line end (a long `print` without newline).
  private static let limit = 1 << 16

  init(
    connection: NREPLConnection, request: [String: Bencode], session: String, key: String,
    giveUp: @escaping @Sendable () -> Bool
  ) {
    self.giveUp = giveUp
    self.connection = connection
    self.request = request
    self.session = session
    self.key = key
  }

  func write(_ text: String) {
    let ready: String? = lock.withLock {
      buffer += text
      guard text.contains("\n") || buffer.utf8.count >= Self.limit else { return nil }
      defer { buffer = "" }
      return buffer
    }
    if let ready { send(ready) }
  }

  func flush() {
    let ready: String? = lock.withLock {
      defer { buffer = "" }
      return buffer.isEmpty ? nil : buffer
    }
    if let ready { send(ready) }
  }

  private func send(_ text: String) {
    connection.reply(to: request, session: session, [key: .string(text)], giveUp: giveUp)
  }
}

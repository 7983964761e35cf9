// A session's standard input: text the client sends with `stdin`, read by `read-line`.

import Foundation
import Treebeard

/// When `read-line` finds no complete line, the running request is told `need-input` (once
/// until more text comes); the client answers with a `stdin` op. Empty `stdin` ends the input.
final class SessionInput: InputSource, @unchecked Sendable {
  private let lock = NSLock()
  private var buffer = LineBuffer()
  private var ended = false
  private var asked = false
  /// Tells the running request that input is needed; set for the duration of each request.
  private var onNeed: (@Sendable () -> Void)?

  /// Text that waits unread at most; more is refused rather than held.
  static let maximumBuffered = 16 << 20

  func nextLine() -> InputLine {
    let (line, ask): (InputLine, (@Sendable () -> Void)?) = lock.withLock {
      let line = buffer.take(ended: ended)
      guard line == .waiting, !asked, let onNeed else { return (line, nil) }
      asked = true
      return (line, onNeed)
    }
    ask?()
    return line
  }

  /// Adds the client's text; false when too much waits unread.
  func append(_ text: String) -> Bool {
    lock.withLock {
      if text.isEmpty {
        ended = true
      } else {
        guard buffer.count + text.utf8.count <= Self.maximumBuffered else { return false }
        buffer.append(text.utf8)
        ended = false
      }
      asked = false
      return true
    }
  }

  func whileRequesting<T>(_ onNeed: @escaping @Sendable () -> Void, _ body: () throws -> T) rethrows -> T {
    lock.withLock {
      self.onNeed = onNeed
      asked = false
    }
    defer { lock.withLock { self.onNeed = nil } }
    return try body()
  }
}

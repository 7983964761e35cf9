// Where `read-line` reads: standard input, or an evaluation's own source (an nREPL session's stdin).

import Foundation

/// What an input source has for a reader now. A source never blocks: `read-line` polls it
/// between safe points, so a program waiting for input holds up no other thread.
public enum InputLine: Sendable, Equatable {
  case line(String)
  case endOfInput
  case waiting
}

public protocol InputSource: AnyObject, Sendable {
  /// The next line without its line end, if one is complete.
  func nextLine() -> InputLine
}

/// Standard input, read by a thread of its own once the first `read-line` asks. A piped REPL
/// reads its entries from here too (`nextLine(waiting:)`), so a `read-line` in an entry gets
/// the line after it: with two readers of the descriptor, the REPL's buffered read had taken
/// it, `read-line` saw the end of input and the line ran as code.
public final class StandardInput: InputSource, @unchecked Sendable {
  /// Guards the fields below; signalled when bytes or the end arrive.
  private let lock = NSCondition()
  private var buffer: [UInt8] = []
  private var ended = false
  private var started = false
  private let descriptor: Int32

  public init(descriptor: Int32 = 0) { self.descriptor = descriptor }

  public func nextLine() -> InputLine {
    lock.withLock {
      startReading()
      return InputBuffer.take(&buffer, ended: ended)
    }
  }

  /// The next line, waiting up to `timeout` seconds for one to be complete.
  public func nextLine(waiting timeout: TimeInterval) -> InputLine {
    lock.withLock {
      startReading()
      let deadline = Date().addingTimeInterval(timeout)
      while true {
        let line = InputBuffer.take(&buffer, ended: ended)
        guard case .waiting = line, lock.wait(until: deadline) else { return line }
      }
    }
  }

  /// Starts the reading thread (called holding `lock`).
  private func startReading() {
    guard !started else { return }
    started = true
    let thread = Thread { [self] in readUntilEnd() }
    thread.name = "treebeard-stdin"
    thread.start()
  }

  private func readUntilEnd() {
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      lock.withLock {
        if count > 0 { buffer.append(contentsOf: chunk[..<count]) } else { ended = true }
        lock.broadcast()
      }
      if count <= 0 { return }
    }
  }
}

/// Splitting buffered bytes into lines, shared by the input sources.
public enum InputBuffer {
  /// Removes and returns the first line of `buffer`; at the end, what is left as a last line.
  public static func take(_ buffer: inout [UInt8], ended: Bool) -> InputLine {
    if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
      var line = Array(buffer[..<newline])
      buffer.removeFirst(newline + 1)
      if line.last == UInt8(ascii: "\r") { line.removeLast() }
      return .line(String(decoding: line, as: UTF8.self))
    }
    guard ended else { return .waiting }
    if buffer.isEmpty { return .endOfInput }
    defer { buffer.removeAll() }
    return .line(String(decoding: buffer, as: UTF8.self))
  }
}

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
///
/// A terminal is read only while a line is asked for, by the asker, a line per read (the
/// terminal's line discipline hands over one line at a time): the REPL's line editor reads it
/// between entries, and a reading thread left blocked in `read` after one `(read-line)` took
/// every other keystroke from the editor (entries typed later vanished, Ctrl-D was lost).
public final class StandardInput: InputSource, @unchecked Sendable {
  /// Guards the fields below; signalled when bytes or the end arrive, and when lines are taken.
  private let lock = NSCondition()
  private var pending = LineBuffer()
  private var ended = false
  private var started = false
  private let descriptor: Int32
  /// How far the reader runs ahead of the lines taken while a whole line waits: `yes |
  /// treebeard` grew without end. A line longer than this is still read whole.
  static let readAhead = 1 << 20

  private let isTerminal: Bool

  public init(descriptor: Int32 = 0) {
    self.descriptor = descriptor
    isTerminal = isatty(descriptor) == 1
  }

  public func nextLine() -> InputLine {
    lock.withLock {
      if isTerminal { return readTerminal(waitingMilliseconds: 0) }
      startReading()
      return take()
    }
  }

  /// One line from a terminal if it has one within `milliseconds`. The end (Ctrl-D) is
  /// reported once, not kept: the terminal is still there for the editor's next entry.
  private func readTerminal(waitingMilliseconds milliseconds: Int32) -> InputLine {
    let buffered = pending.take(ended: false)
    if case .line = buffered { return buffered }
    var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
    guard poll(&ready, 1, milliseconds) > 0 else { return .waiting }
    var chunk = [UInt8](repeating: 0, count: 65_536)
    let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    if count > 0 {
      pending.append(chunk[..<count])
      return pending.take(ended: false)
    }
    if count < 0 && (errno == EINTR || errno == EAGAIN) { return .waiting }
    // Ctrl-D (or a terminal gone): what was typed before it is the last line.
    return pending.take(ended: true)
  }

  /// The next line, waiting up to `timeout` seconds for one to be complete.
  public func nextLine(waiting timeout: TimeInterval) -> InputLine {
    lock.withLock {
      if isTerminal { return readTerminal(waitingMilliseconds: Int32(max(0, min(timeout, 1)) * 1000)) }
      startReading()
      let deadline = Date().addingTimeInterval(timeout)
      while true {
        let line = take()
        guard case .waiting = line, lock.wait(until: deadline) else { return line }
      }
    }
  }

  /// A line from the buffer (called holding `lock`); the reader may have waited for room.
  private func take() -> InputLine {
    let line = pending.take(ended: ended)
    if case .line = line { lock.broadcast() }
    return line
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
      lock.withLock {
        while pending.count >= StandardInput.readAhead && pending.hasCompleteLine() { lock.wait() }
      }
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      lock.withLock {
        if count > 0 { pending.append(chunk[..<count]) } else { ended = true }
        lock.broadcast()
      }
      if count <= 0 { return }
    }
  }
}

/// Bytes read ahead, taken a line at a time from the front without moving the rest: taking
/// each line with `removeFirst` copied everything behind it (a 1 MB file piped into the REPL
/// moved about 10 GB), and a long line was searched again from its start at every read.
public struct LineBuffer {
  private var bytes: [UInt8] = []
  /// Where the untaken bytes start.
  private var start = 0
  /// No newline stands before this index (past `start`).
  private var searched = 0

  public init() {}

  /// Bytes not taken yet.
  public var count: Int { bytes.count - start }

  /// The bytes not taken yet.
  public var untaken: [UInt8] { Array(bytes[start...]) }

  public mutating func append<Bytes: Sequence<UInt8>>(_ chunk: Bytes) { bytes.append(contentsOf: chunk) }

  /// True when a whole line waits to be taken.
  public mutating func hasCompleteLine() -> Bool { newline() != nil }

  /// The first line without its line end (`\n` or `\r\n`); at the end, what is left as a last line.
  public mutating func take(ended: Bool) -> InputLine {
    if let newline = newline() {
      var end = newline
      if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
      let line = String(decoding: bytes[start..<end], as: UTF8.self)
      start = newline + 1
      searched = start
      compact()
      return .line(line)
    }
    guard ended else { return .waiting }
    if count == 0 { return .endOfInput }
    defer {
      bytes.removeAll()
      (start, searched) = (0, 0)
    }
    return .line(String(decoding: bytes[start...], as: UTF8.self))
  }

  /// The index of the first newline not taken, searching only what was not searched before.
  private mutating func newline() -> Int? {
    let from = max(start, searched)
    if let found = bytes[from...].firstIndex(of: UInt8(ascii: "\n")) { return found }
    searched = bytes.count
    return nil
  }

  /// Drops the taken bytes once they are most of the buffer (each byte moved about once).
  private mutating func compact() {
    if start == bytes.count {
      bytes.removeAll(keepingCapacity: bytes.count <= StandardInput.readAhead * 2)
      (start, searched) = (0, 0)
    } else if start >= 65_536 && start > bytes.count / 2 {
      bytes.removeFirst(start)
      searched -= start
      start = 0
    }
  }
}

/// Splitting a byte array into lines, taking each from its front. `LineBuffer` does the same
/// without moving the rest of the bytes at each line; the input sources use it.
public enum InputBuffer {
  /// Removes and returns the first line of `buffer`; at the end, what is left as a last line.
  @available(*, deprecated, message: "use LineBuffer, which does not copy the rest at each line")
  public static func take(_ buffer: inout [UInt8], ended: Bool) -> InputLine {
    var lines = LineBuffer()
    lines.append(buffer)
    let line = lines.take(ended: ended)
    buffer = lines.untaken
    return line
  }
}

// Where `print` and friends write: stdout by default, a buffer in tests and embedders.

import Foundation

/// A destination for program output.
public protocol OutputSink: AnyObject, Sendable {
  func write(_ text: String)
  func flush()
  /// Why output can no longer be written (its reader is gone), once a write failed; the
  /// printing builtins then stop the program with this as an `io` error.
  var failure: String? { get }
}

extension OutputSink {
  public var failure: String? { nil }
}

/// Buffered standard output: bytes collect in memory and go out in large writes (or on flush).
/// On a terminal each complete line goes out at once, so a looping program shows its output as
/// it prints; on a pipe the program's blocking points (`sleep`, `flush`, exit) flush instead.
public final class StandardOutput: OutputSink, @unchecked Sendable {
  private let lock = NSLock()
  private var buffer: [UInt8] = []
  private let descriptor: Int32
  private let limit: Int
  /// Write out up to the last newline after every write (a terminal).
  public let isLineBuffered: Bool
  /// Set when a write failed for good (`EPIPE`: the reader closed the pipe, with SIGPIPE
  /// ignored, as systemd starts services). Guarded by `lock`.
  private var writeFailure: String?

  /// `limit` 0 writes through at once (standard error). `lineBuffered` nil: when `descriptor`
  /// is a terminal.
  public init(descriptor: Int32 = 1, limit: Int = 1 << 16, lineBuffered: Bool? = nil) {
    self.descriptor = descriptor
    self.limit = limit
    self.isLineBuffered = lineBuffered ?? (isatty(descriptor) == 1)
    buffer.reserveCapacity(limit)
  }

  public func write(_ text: String) {
    lock.withLock {
      buffer.append(contentsOf: text.utf8)
      if buffer.count >= limit || (isLineBuffered && text.utf8.contains(UInt8(ascii: "\n"))) { drain() }
    }
  }

  public func flush() { lock.withLock { drain() } }

  public var failure: String? { lock.withLock { writeFailure } }

  /// A failed write drops the buffer and is remembered: a program printing in a loop to a
  /// closed pipe, with SIGPIPE ignored, went on for ever, its output discarded.
  private func drain() {
    var offset = 0
    while offset < buffer.count {
      let written = buffer.withUnsafeBytes { bytes in
        Foundation.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
      }
      if written < 0 && errno == EINTR { continue }
      if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
        // A descriptor left non-blocking by whoever started the process: a full pipe, not a
        // reader gone. Wait until it takes more.
        var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        if poll(&ready, 1, -1) >= 0 || errno == EINTR { continue }
      }
      if written <= 0 {
        let reason = written < 0 ? String(cString: strerror(errno)) : "nothing written"
        if writeFailure == nil { writeFailure = "output cannot be written: \(reason)" }
        break
      }
      offset += written
    }
    buffer.removeAll(keepingCapacity: true)
  }
}

/// Collects output in memory.
public final class BufferedOutput: OutputSink, @unchecked Sendable {
  private let lock = NSLock()
  private var buffer = ""
  public init() {}
  public func write(_ text: String) { lock.withLock { buffer += text } }
  public func flush() {}
  /// Returns what was written since the last call and clears it.
  public func take() -> String {
    lock.withLock {
      defer { buffer = "" }
      return buffer
    }
  }
}

// Where `print` and friends write: stdout by default, a buffer in tests and embedders.

import Foundation

/// A destination for program output.
public protocol OutputSink: AnyObject, Sendable {
  func write(_ text: String)
  func flush()
}

/// Buffered standard output: bytes collect in memory and go out in large writes (or on flush).
public final class StandardOutput: OutputSink, @unchecked Sendable {
  private let lock = NSLock()
  private var buffer: [UInt8] = []
  private let descriptor: Int32
  private let limit: Int

  /// `limit` 0 writes through at once (standard error).
  public init(descriptor: Int32 = 1, limit: Int = 1 << 16) {
    self.descriptor = descriptor
    self.limit = limit
    buffer.reserveCapacity(limit)
  }

  public func write(_ text: String) {
    lock.withLock {
      buffer.append(contentsOf: text.utf8)
      if buffer.count >= limit { drain() }
    }
  }

  public func flush() { lock.withLock { drain() } }

  private func drain() {
    var offset = 0
    while offset < buffer.count {
      let written = buffer.withUnsafeBytes { bytes in
        Foundation.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
      }
      if written <= 0 { break }
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

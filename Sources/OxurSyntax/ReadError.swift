// The one error type of the reader, with the span it happened at.

public struct ReadError: Error, Sendable, CustomStringConvertible {
  public let message: String
  public let span: Span
  /// True when the input ended inside a form: a REPL reads another line instead of failing.
  public let isIncomplete: Bool

  public init(_ message: String, _ span: Span, incomplete: Bool = false) {
    self.message = message
    self.span = span
    self.isIncomplete = incomplete
  }

  public var description: String { "\(span): \(message)" }
}

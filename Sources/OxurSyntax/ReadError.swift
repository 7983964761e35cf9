// The one error type of the reader, with the span it happened at.

public struct ReadError: Error, Sendable, CustomStringConvertible {
  public let message: String
  public let span: Span
  /// True when the input ended inside a form: a REPL reads another line instead of failing.
  public let isIncomplete: Bool
  /// Keeps the text the span points into for as long as the error is kept (spans do not).
  public let file: SourceFile?
  /// The reading thread's stack ran low (`ThreadStack`): the text may read on a larger stack.
  public let exhaustedStack: Bool

  public init(_ message: String, _ span: Span, incomplete: Bool = false, exhaustedStack: Bool = false) {
    self.message = message
    self.span = span
    self.isIncomplete = incomplete
    self.file = span.file
    self.exhaustedStack = exhaustedStack
  }

  public var description: String { "\(span): \(message)" }
}

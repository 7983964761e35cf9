// The one error type of the runtime: what went wrong, where, and the Oxur call stack.

import OxurSyntax

/// Every failure an Oxur program can cause. Rendered in one place (`ErrorRenderer`).
public final class OxurError: Error, @unchecked Sendable {
  /// The `:kind` a `catch` sees: overflow, division-by-zero, arity, read, … or `thrown` for `throw`.
  public let kind: String
  public let message: String
  public private(set) var span: Span
  /// For `throw`: the value thrown. For runtime errors, built on demand by `catchValue`.
  public let thrown: Value?
  /// Innermost first: function name and the span of the call that entered it.
  public private(set) var trace: [(function: String, span: Span)] = []
  public private(set) var omittedFrames = 0
  static let traceLimit = 24

  public init(_ kind: String, _ message: String, span: Span = .unknown, thrown: Value? = nil) {
    self.kind = kind
    self.message = message
    self.span = span
    self.thrown = thrown
  }

  public static func read(_ error: ReadError) -> OxurError {
    OxurError("read", error.message, span: error.span)
  }

  @discardableResult
  func located(_ span: Span) -> OxurError {
    if !self.span.isKnown { self.span = span }
    return self
  }

  func addFrame(_ function: String, _ span: Span) {
    if trace.count < OxurError.traceLimit { trace.append((function, span)) } else { omittedFrames += 1 }
  }

  /// What `(catch e …)` binds (and the REPL's `*e`).
  public var asValue: Value { catchValue }

  var catchValue: Value {
    if let thrown { return thrown }
    var map = PersistentMap.empty
    map = map.assoc(.keyword("kind"), .keyword(kind))
    map = map.assoc(.keyword("message"), .string(message))
    if let file = span.file {
      map = map.assoc(.keyword("file"), .string(file.name))
      map = map.assoc(.keyword("line"), .int(span.line))
      map = map.assoc(.keyword("column"), .int(span.column))
    }
    return .map(map)
  }
}

/// Shorthands for the errors the evaluator and prelude raise.
enum Failure {
  static func type(_ expected: String, _ got: Value, in context: String) -> OxurError {
    OxurError("type", "expected \(expected), got \(Printer.readable(got, limit: 60)) in \(context)")
  }
  static func arity(_ name: String, expected: String, got: Int) -> OxurError {
    OxurError("arity", "wrong number of arguments to \(name): expected \(expected), got \(got)")
  }
  static func overflow(_ operation: String) -> OxurError {
    OxurError("overflow", "integer overflow in \(operation)")
  }
  static func divisionByZero() -> OxurError { OxurError("division-by-zero", "division by zero") }
  static func index(_ index: Int, _ count: Int, _ what: String) -> OxurError {
    OxurError("index-out-of-range", "index \(index) out of range for \(what) of length \(count)")
  }
  static func notCallable(_ value: Value) -> OxurError {
    OxurError("not-callable", "\(Printer.readable(value, limit: 60)) is not a function")
  }
}

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
  /// Innermost first: function name, the span of the call that entered it, and how many
  /// times in a row that same call repeats (direct recursion is one entry with its exact count).
  public private(set) var trace: [TraceFrame] = []
  /// The outermost entries, innermost first: how the program got into the recursion (its
  /// `main`, the REPL form). Only kept once `trace` is full.
  public private(set) var outerTrace: [TraceFrame] = []
  /// Frames between `trace` and `outerTrace` that were not kept.
  public private(set) var omittedFrames = 0
  /// Lines shown after the error: what it caused that its reporter would not know (the load an
  /// interrupt stopped, and the versions it kept).
  public internal(set) var consequences: [String] = []
  /// The files its spans point into, kept for the message (spans themselves keep no text).
  /// Nearly always one: kept without an array, which was an allocation per error.
  private var file: SourceFile?
  private var otherFiles: [SourceFile] = []
  static let traceLimit = 24
  static let outerTraceLimit = 8

  public init(_ kind: String, _ message: String, span: Span = .unknown, thrown: Value? = nil) {
    self.kind = kind
    self.message = message
    self.span = span
    self.thrown = thrown
    keepFile(of: span)
  }

  private func keepFile(of span: Span) {
    guard span.fileID != 0, file?.id != span.fileID, !otherFiles.contains(where: { $0.id == span.fileID }),
      let found = span.file
    else { return }
    if file == nil { file = found } else { otherFiles.append(found) }
  }

  public static func read(_ error: ReadError) -> OxurError {
    OxurError("read", error.message, span: error.span)
  }

  /// Places an error that has no place yet at `span` (one with a place keeps it). Public for
  /// hosts that run Oxur code later on behalf of a call (`Builtin.recordsCallSite()`).
  @discardableResult
  public func located(_ span: Span) -> OxurError {
    if !self.span.isKnown {
      self.span = span
      keepFile(of: span)
    }
    return self
  }

  /// Called once per frame as the error unwinds, innermost first; O(1), as a runaway recursion
  /// may unwind a million frames.
  func addFrame(_ function: String, _ span: Span) {
    if outerTrace.isEmpty, let last = trace.last, last.function == function, last.span == span {
      trace[trace.count - 1].count += 1
    } else if outerTrace.isEmpty && trace.count < OxurError.traceLimit {
      trace.append(TraceFrame(function: function, span: span))
      keepFile(of: span)
    } else if let last = outerTrace.last, last.function == function, last.span == span {
      outerTrace[outerTrace.count - 1].count += 1
    } else {
      if outerTrace.count == OxurError.outerTraceLimit { omittedFrames += outerTrace.removeFirst().count }
      outerTrace.append(TraceFrame(function: function, span: span))
      keepFile(of: span)
    }
  }

  /// The same error for another holder to annotate on its own: message, place, and the whole
  /// trace with its repeat counts, outer entries and omissions, and the files they point into.
  func copy() -> OxurError {
    let copy = OxurError(kind, message, span: span, thrown: thrown)
    copy.trace = trace
    copy.outerTrace = outerTrace
    copy.omittedFrames = omittedFrames
    copy.file = file
    copy.otherFiles = otherFiles
    return copy
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

/// One entry of an error's stack trace.
public struct TraceFrame: Sendable, Equatable {
  public let function: String
  /// Where the function was called (for a call from Swift or a builtin: where it is defined).
  public let span: Span
  /// The same call repeated this many times in a row (recursion).
  public internal(set) var count = 1
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

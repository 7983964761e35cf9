// What `(doc name)` and `(source name)` know about a definition: its docstring, arglists and where it is written.

import OxurSyntax

/// Recorded by the analyzer for every `def`, `defn`, `define`, `defonce` and `defmacro`.
/// Only spans are kept at load time: the text of arglists and source is cut out of the file
/// when asked (each cut reads the file up to the form, so doing it per definition at load
/// made a 1,000-function reload quadratic).
///
/// An object, not a value: a version shares the record of every definition it did not change
/// with the version before it, as it shares the code (a copy per kept version was about 150
/// bytes per definition, the largest part of what a kept version of a big module costs).
public final class Documentation: Sendable {
  public let docstring: String?
  /// Where each parameter vector is written; empty for a plain value.
  let arglistSpans: ArglistSpans
  /// Arglists given as text (a host's definition).
  let writtenArglists: String?
  /// The whole defining form; its file keeps the text as loaded, so `(source)` shows the code
  /// that runs even after the file on disk changed.
  public let span: Span
  public let isMacro: Bool
  /// Keeps that text: spans only name their file.
  let file: SourceFile?

  init(
    docstring: String?, arglistSpans: ArglistSpans, span: Span, file: SourceFile?, isMacro: Bool = false,
    printedArglists: String? = nil
  ) {
    self.docstring = docstring
    self.arglistSpans = printedArglists == nil ? arglistSpans : ArglistSpans()
    self.writtenArglists = printedArglists
    self.span = span
    self.file = file
    self.isMacro = isMacro
  }

  init(docstring: String?, arglists: String, span: Span) {
    self.docstring = docstring
    self.arglistSpans = ArglistSpans()
    self.writtenArglists = arglists
    self.span = span
    self.file = nil
    self.isMacro = false
  }

  /// `[a b]`, or `[x] [x y]` for several arities, as written.
  public var arglists: String {
    writtenArglists
      ?? arglistSpans.all.map { span in
        Reader.text(ofFormAt: span).map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") } ?? "[…]"
      }.joined(separator: " ")
  }

  /// The source text of the defining form.
  public var source: String? { Reader.text(ofFormAt: span) }

  /// The parameter vectors printed, when a macro wrote the definition (nil otherwise). A
  /// macro's output carries the macro call's span, where the text is the call, not a vector;
  /// a vector read from the file never starts where its definition does.
  static func printedArglists(_ vectors: [Syntax], definedAt span: Span) -> String? {
    guard vectors.contains(where: { $0.span == span }) else { return nil }
    return vectors.map { Printer.readable(SyntaxConversion.value($0)) }.joined(separator: " ")
  }

  /// The parameter vectors of `(fn [params] …)` or `(fn ([a] …) ([a b] …))`.
  static func parameterVectors(of form: Syntax) -> [Syntax] {
    guard let rest = clauses(of: form) else { return [] }
    if let params = rest.first, params.vectorElements != nil { return [params] }
    return rest.compactMap { clause in clause.listElements?.first }
  }

  /// Where the parameter vectors of `(fn [params] …)` or `(fn ([a] …) ([a b] …))` are written.
  static func arglistSpans(of form: Syntax) -> ArglistSpans {
    guard let rest = clauses(of: form) else { return ArglistSpans() }
    if let params = rest.first, params.vectorElements != nil { return ArglistSpans(only: params.span) }
    return ArglistSpans(several: rest.compactMap { clause in clause.listElements?.first?.span })
  }

  /// What follows `fn`, and its name if it has one (`(fn name [params] …)`).
  private static func clauses(of form: Syntax) -> ArraySlice<Syntax>? {
    guard let parts = form.listElements, parts.first?.symbolName == "fn" else { return nil }
    let rest = parts.dropFirst()
    return rest.first?.symbolName != nil ? rest.dropFirst() : rest
  }
}

/// The spans of a definition's parameter vectors. One (almost every function) is kept without
/// an array: an array was one allocation per definition at every reload.
struct ArglistSpans: Sendable {
  private let only: Span?
  private let several: [Span]

  init() {
    only = nil
    several = []
  }

  init(only span: Span) {
    only = span
    several = []
  }

  init(several spans: [Span]) {
    only = nil
    several = spans
  }

  var all: [Span] { only.map { [$0] } ?? several }
}

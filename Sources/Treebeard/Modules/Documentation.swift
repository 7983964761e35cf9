// What `(doc name)` and `(source name)` know about a definition: its docstring, arglists and where it is written.

import OxurSyntax

/// Recorded by the analyzer for every `def`, `defn`, `define`, `defonce` and `defmacro`.
public struct Documentation: Sendable {
  public let docstring: String?
  /// `[a b]`, or `[x] [x y]` for several arities, as written; empty for a plain value.
  public let arglists: String
  /// The whole defining form; its file keeps the text as loaded, so `(source)` shows the code
  /// that runs even after the file on disk changed.
  public let span: Span
  public var isMacro = false

  /// The source text of the defining form.
  public var source: String? { Reader.text(ofFormAt: span) }

  /// The parameter vectors of `(fn [params] …)` or `(fn ([a] …) ([a b] …))`, as written.
  static func arglists(of form: Syntax) -> String {
    guard let parts = form.listElements, parts.first?.symbolName == "fn" else { return "" }
    var rest = parts.dropFirst()
    if rest.first?.symbolName != nil { rest = rest.dropFirst() }  // (fn name [params] …)
    if let params = rest.first, params.vectorElements != nil { return text(params) }
    return rest.compactMap { clause in clause.listElements?.first.map(text) }.joined(separator: " ")
  }

  private static func text(_ form: Syntax) -> String {
    Reader.text(ofFormAt: form.span).map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") } ?? "[…]"
  }
}

// Source text and the spans that point into it, shared by every error message.

import Foundation

/// One unit of source text (a file, a REPL entry, an `eval` string), kept so errors can quote lines.
public final class SourceFile: Sendable {
  public let name: String
  public let text: String

  /// The file lives as long as something points into it: a span in analyzed code (owned by a
  /// module version or a closure), in an error, or in syntax being read. A module version that
  /// leaves the bounded history takes its source text with it.
  public init(name: String, text: String) {
    self.name = name
    self.text = text
  }

  /// Every line (only error reports need them, so they are split on demand).
  public var lines: [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false) }

  /// The 1-based line, or nil when out of range (never traps).
  public func line(_ number: Int) -> Substring? {
    let index = number - 1
    let all = lines
    return index >= 0 && index < all.count ? all[index] : nil
  }
}

/// A position in a source file; line and column are 1-based, column counts characters.
public struct Span: Sendable, Equatable, CustomStringConvertible {
  /// Retained, so a span never outlives its text. The evaluator's hot path passes spans as
  /// borrowed arguments and stores one only for a trampolined tail call, so this costs no
  /// reference counting per ordinary call.
  public let file: SourceFile?
  public let line: Int
  public let column: Int

  public init(file: SourceFile?, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  public static let unknown = Span(file: nil, line: 0, column: 0)

  public var isKnown: Bool { file != nil && line > 0 }

  public var description: String {
    "\(file?.name ?? "<unknown>"):\(line):\(column)"
  }

  public static func == (a: Span, b: Span) -> Bool {
    a.file === b.file && a.line == b.line && a.column == b.column
  }

  /// The source line followed by a caret under the column, for error reports.
  /// A long line is cut to a window around the column (a 1 MB line must not print 1 MB), and
  /// control characters are shown escaped so a report cannot move the terminal's cursor.
  public func excerpt() -> String? {
    guard let text = file?.line(line) else { return nil }
    let gutter = String(line)
    let pad = String(repeating: " ", count: gutter.count)
    let characters = Array(text)
    let caret = min(max(0, column - 1), characters.count)
    let start = max(0, caret - Span.excerptContext)
    let end = min(characters.count, caret + Span.excerptContext)
    var shown = ""
    var prefix = ""
    if start > 0 {
      shown = "…"
      prefix = " "
    }
    for index in start..<end {
      let escaped = Span.escapedForTerminal(characters[index])
      shown += escaped
      if index < caret { prefix += escaped == "\t" ? "\t" : String(repeating: " ", count: escaped.count) }
    }
    if end < characters.count { shown += "…" }
    return " \(gutter) | \(shown)\n \(pad) | \(prefix)^"
  }

  /// Characters either side of the caret an excerpt shows.
  static let excerptContext = 80

  /// A tab as itself; other control characters (and DEL) as `\u{…}`.
  static func escapedForTerminal(_ character: Character) -> String {
    if character == "\t" { return "\t" }
    guard let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
      scalar.value < 0x20 || scalar.value == 0x7F
    else { return String(character) }
    return "\\u{" + String(scalar.value, radix: 16) + "}"
  }
}

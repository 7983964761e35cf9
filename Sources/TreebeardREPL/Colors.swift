// Colour on a terminal: prompt, errors and their caret, reload and warning lines, results lightly (no-color.org respected).

import Foundation
import Treebeard

/// Whether and how to colour. `--color=always|never|auto` sets `TREEBEARD_COLOR` for the
/// process (the CLI is thin and the choice applies to every mode); `auto` colours a stream
/// only when it is a terminal, `NO_COLOR` is unset or empty, and `TERM` is not `dumb`.
public enum Colors {
  public enum Mode: String, CaseIterable, Sendable {
    case auto, always, never
  }

  public static let environmentVariable = "TREEBEARD_COLOR"

  /// `environment` stands in for the process's variables (tests); nil reads the real ones.
  static func enabled(descriptor: Int32, environment: [String: String]? = nil) -> Bool {
    let variable: (String) -> String? = environment.map { given in { given[$0] } } ?? ProcessEnvironment.value
    switch Mode(rawValue: variable(environmentVariable) ?? "auto") ?? .auto {
    case .always: return true
    case .never: return false
    case .auto:
      if let noColor = variable("NO_COLOR"), !noColor.isEmpty { return false }
      if variable("TERM") == "dumb" { return false }
      return isatty(descriptor) == 1
    }
  }

  static let reset = "\u{1B}[0m"
  static let red = "\u{1B}[31m"
  static let green = "\u{1B}[32m"
  static let yellow = "\u{1B}[33m"
  static let blue = "\u{1B}[34m"
  static let magenta = "\u{1B}[35m"
  static let cyan = "\u{1B}[36m"
  static let dim = "\u{1B}[2m"
  static let bold = "\u{1B}[1m"

  /// The colour of a whole line the runtime writes, from how it starts.
  static func lineColor(_ line: Substring) -> String? {
    if line.hasPrefix("✗") { return red }
    if line.hasPrefix("✓") { return green }
    if line.hasPrefix("⚠") { return yellow }
    if line.hasPrefix("↻") || line.hasPrefix("◇") || line.hasPrefix("👁") { return cyan }
    if line.hasPrefix("  ↳") { return dim }
    if line.hasPrefix("Stack trace") || line.hasPrefix("  in ") || line.hasPrefix("  … ") || line.hasPrefix("  ↑ ") {
      return dim
    }
    return nil
  }

  /// A source excerpt's gutter dimmed and its caret red: ` 12 | code`, `    |   ^`.
  static func excerpt(_ line: Substring) -> String? {
    guard let bar = line.firstIndex(of: "|"), line[..<bar].allSatisfy({ $0 == " " || $0.isNumber }),
      line[..<bar].contains(" ")
    else { return nil }
    let gutter = line[...bar]
    let rest = line[line.index(after: bar)...]
    if rest.allSatisfy({ $0 == " " || $0 == "^" }) && rest.contains("^") {
      return dim + gutter + reset + red + bold + rest + reset
    }
    return dim + gutter + reset + rest
  }

  /// A printed value lightly coloured: strings green, keywords magenta, numbers cyan. Only adds
  /// escape codes between characters of the text; the text itself is unchanged.
  static func highlight(_ text: String) -> String {
    var out = ""
    var index = text.startIndex
    var previous: Character = " "
    while index < text.endIndex {
      let character = text[index]
      // A character literal (`\"`, `\(`) is not the start of a string or a token, and `#<pid 1>`
      // or `#<fn f>` is one opaque token: colouring inside them coloured the rest of the line.
      if character == "\\" || (character == "#" && text[text.index(after: index)...].first == "<") {
        var end = text.index(after: index)
        if character == "\\" {
          if end < text.endIndex { end = text.index(after: end) }
        } else {
          while end < text.endIndex && text[end] != ">" { end = text.index(after: end) }
          if end < text.endIndex { end = text.index(after: end) }
        }
        out += text[index..<end]
        index = end
        previous = "x"
        continue
      }
      if character == "\"" {
        var end = text.index(after: index)
        while end < text.endIndex && text[end] != "\"" {
          if text[end] == "\\" { end = text.index(end, offsetBy: 1, limitedBy: text.endIndex) ?? text.endIndex }
          if end < text.endIndex { end = text.index(after: end) }
        }
        if end < text.endIndex { end = text.index(after: end) }
        out += green + text[index..<end] + reset
        index = end
        previous = "\""
        continue
      }
      let startsToken = " ([{".contains(previous)
      if startsToken && (character == ":" || character.isNumber || (character == "-" && nextIsDigit(text, index))) {
        var end = index
        while end < text.endIndex && !" )]}\n,".contains(text[end]) { end = text.index(after: end) }
        out += (character == ":" ? magenta : cyan) + text[index..<end] + reset
        index = end
        previous = "x"
        continue
      }
      out.append(character)
      previous = character
      index = text.index(after: index)
    }
    return out
  }

  private static func nextIsDigit(_ text: String, _ index: String.Index) -> Bool {
    let next = text.index(after: index)
    return next < text.endIndex && text[next].isNumber
  }

  /// The REPL prompt in colour; libedit is told which bytes take no room on the screen.
  static func prompt(_ prompt: String, forLibedit: Bool) -> String {
    let (open, close) = forLibedit ? ("\u{1}", "\u{2}") : ("", "")
    let body = prompt.trimmingCharacters(in: .whitespaces)
    return open + bold + blue + close + body + open + reset + close + " "
  }
}

/// Colours whole lines of another sink by how they start (`Colors.lineColor`), and source
/// excerpts; text that continues a line already begun passes through unchanged.
final class ColoringOutput: OutputSink, @unchecked Sendable {
  private let target: OutputSink
  private let lock = NSLock()
  private var atLineStart = true

  init(_ target: OutputSink) { self.target = target }

  func write(_ text: String) {
    lock.withLock {
      var out = ""
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      for (position, line) in lines.enumerated() {
        if position > 0 {
          out += "\n"
          atLineStart = true
        }
        guard !line.isEmpty else { continue }
        if atLineStart, let color = Colors.lineColor(line) {
          out += color + line + Colors.reset
        } else if atLineStart, let excerpt = Colors.excerpt(line) {
          out += excerpt
        } else {
          out += line
        }
        atLineStart = false
      }
      target.write(out)
    }
  }

  func flush() { target.flush() }

  var failure: String? { target.failure }
}

// Renders an OxurError for people: message, file:line:col, the line with a caret, the stack.

import OxurSyntax

public enum ErrorRenderer {
  /// `error: message` then location, excerpt and trace, one item per line.
  public static func render(_ error: OxurError) -> String {
    var lines: [String] = []
    let label = error.kind == "read" ? "Parse error" : "Error"
    let message = error.message
    if error.span.isKnown {
      lines.append("✗ \(label) at \(error.span): \(message)")
      if let excerpt = error.span.excerpt() { lines.append(excerpt) }
    } else {
      lines.append("✗ \(label): \(message)")
    }
    if !error.trace.isEmpty {
      lines.append("Stack trace (innermost first):")
      lines.append(
        contentsOf: traceLines(error.trace.map { Frame(function: $0.function, span: $0.span, count: $0.count) }))
      // The middle of a deep stack is not kept; say how many frames, then show the outermost.
      if error.omittedFrames > 0 {
        let noun = error.omittedFrames == 1 ? "frame" : "frames"
        lines.append("  … \(error.omittedFrames) more \(noun) not recorded")
      }
      lines.append(
        contentsOf: traceLines(error.outerTrace.map { Frame(function: $0.function, span: $0.span, count: $0.count) }))
    }
    lines.append(contentsOf: error.consequences)
    // All of it: file names, function names in the trace and consequences come from the
    // program too. The excerpt has escaped its own already, so it passes unchanged.
    return shown(lines.joined(separator: "\n"))
  }

  /// One line, for reload summaries.
  public static func summary(_ error: OxurError) -> String {
    // A refused migration is a decision, not a fault in a line of code: DESIGN.md §5's wording.
    if error.kind == "migration" && !error.span.isKnown { return shown(error.message) }
    let label = error.kind == "read" ? "Parse error" : "Error"
    return shown(error.span.isKnown ? "\(label) at \(error.span): \(error.message)" : "\(label): \(error.message)")
  }

  /// A message as a terminal may show it: control characters other than line ends and tabs
  /// (ESC above all, which starts a sequence that moves the cursor or recolours the screen),
  /// DEL and the C1 controls are written `\u{…}`. Messages quote source text (`invalid
  /// number 2J<ESC>`), file names and thrown strings, which the excerpt escaped already.
  static func shown(_ message: String) -> String {
    func isControl(_ scalar: Unicode.Scalar) -> Bool {
      (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
    }
    guard message.unicodeScalars.contains(where: isControl) else { return message }
    var shown = ""
    for scalar in message.unicodeScalars {
      if isControl(scalar) {
        shown += "\\u{" + String(scalar.value, radix: 16) + "}"
      } else {
        shown.unicodeScalars.append(scalar)
      }
    }
    return shown
  }

  struct Frame: Equatable {
    let function: String
    let span: Span
    /// Consecutive repetitions already merged when the error was recorded.
    var count = 1
  }

  /// Longest cycle of frames collapsed: mutual recursion through up to this many functions.
  static let longestCycle = 8

  /// Recursion shows as a cycle of frames repeated back to back (`f f f`, or `a b a b` for
  /// mutual recursion): each run prints its cycle once with the number of repetitions seen.
  static func traceLines(_ frames: [Frame]) -> [String] {
    var lines: [String] = []
    var index = 0
    while index < frames.count {
      var best = (period: 1, repeats: 1)
      for period in 1...longestCycle where index + 2 * period <= frames.count {
        var repeats = 1
        while index + (repeats + 1) * period <= frames.count,
          frames[(index + repeats * period)..<(index + (repeats + 1) * period)] == frames[index..<(index + period)]
        {
          repeats += 1
        }
        // Prefer the cycle that covers the most frames; on a tie, the shortest cycle.
        if repeats > 1 && repeats * period > best.period * best.repeats { best = (period, repeats) }
      }
      for offset in 0..<best.period {
        let frame = frames[index + offset]
        let times = best.period == 1 ? best.repeats * frame.count : frame.count
        let suffix = times > 1 ? " (\(times) times)" : ""
        // A function a builtin called (`(map await pids)`) has no call of its own in the source:
        // "<unknown>:0:0" said nothing true. The builtin's frame, next, has the place.
        let place =
          frame.span.isKnown
          ? "called at \(frame.span)"
          : index + offset + 1 < frames.count ? "called by the builtin below" : "called from outside the source"
        lines.append("  in \(frame.function) \(place)\(suffix)")
      }
      if best.period > 1 {
        lines.append("  ↑ these \(best.period) frames repeat \(best.repeats) times")
      }
      index += best.period * best.repeats
    }
    return lines
  }
}

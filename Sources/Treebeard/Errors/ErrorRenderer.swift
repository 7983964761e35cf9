// Renders an OxurError for people: message, file:line:col, the line with a caret, the stack.

import OxurSyntax

public enum ErrorRenderer {
  /// `error: message` then location, excerpt and trace, one item per line.
  public static func render(_ error: OxurError) -> String {
    var lines: [String] = []
    let label = error.kind == "read" ? "Parse error" : "Error"
    if error.span.isKnown {
      lines.append("✗ \(label) at \(error.span): \(error.message)")
      if let excerpt = error.span.excerpt() { lines.append(excerpt) }
    } else {
      lines.append("✗ \(label): \(error.message)")
    }
    if !error.trace.isEmpty {
      lines.append("Stack trace (innermost first):")
      // Runs of the same frame (deep recursion) print once with a count.
      var index = 0
      let frames = error.trace
      while index < frames.count {
        var run = 1
        while index + run < frames.count, frames[index + run].function == frames[index].function,
          frames[index + run].span == frames[index].span
        {
          run += 1
        }
        let repeated = index + run == frames.count ? run + error.omittedFrames : run
        let suffix = repeated > 1 ? " (\(repeated) times)" : ""
        lines.append("  in \(frames[index].function) called at \(frames[index].span)\(suffix)")
        index += run
      }
      if error.omittedFrames > 0 && frames.count > 1,
        let last = frames.last, frames.count >= 2, frames[frames.count - 2].function != last.function
      {
        lines.append("  … \(error.omittedFrames) more frames")
      }
    }
    return lines.joined(separator: "\n")
  }

  /// One line, for reload summaries.
  public static func summary(_ error: OxurError) -> String {
    let label = error.kind == "read" ? "Parse error" : "Error"
    return error.span.isKnown ? "\(label) at \(error.span): \(error.message)" : "\(label): \(error.message)"
  }
}

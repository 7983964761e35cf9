// Input builtins: read-line.

import Foundation

enum InputBuiltins {
  static func register(_ t: inout PreludeTable) {
    /// `(read-line)`: the next line of input without its line end, nil at the end of input.
    /// Reads the evaluation's own input (an nREPL session's) or standard input. While it waits
    /// it is a safe point: other threads run, and an interrupt stops it.
    t.define("read-line", 0...0) { m, _ in
      let source = m.evaluation?.input ?? m.runtime.input
      m.output.flush()  // a prompt printed before the read shows first
      while true {
        switch source.nextLine() {
        case .line(let line): return .string(line)
        case .endOfInput: return .nil
        case .waiting:
          if m.attention.raised.load(ordering: .relaxed) { try m.safePoint() }
          Thread.sleep(forTimeInterval: 0.002)
        }
      }
    }
  }
}

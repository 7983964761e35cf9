// Line input: libedit (loaded at run time, BSD-licensed) on a terminal, plain stdin otherwise.

import Foundation

/// Reads one line at a time. With a terminal and libedit present: editing and persistent
/// history; without either: plain reads with no prompt echo tricks.
final class LineEditor {
  private typealias ReadlineFunction = @convention(c) (UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?
  private typealias HistoryFunction = @convention(c) (UnsafePointer<CChar>?) -> Int32
  private typealias VoidFunction = @convention(c) () -> Void

  private var readline: ReadlineFunction?
  private var addHistory: HistoryFunction?
  private var writeHistory: HistoryFunction?
  let isInteractive: Bool
  private let historyPath: String

  init() {
    isInteractive = isatty(STDIN_FILENO) != 0
    historyPath = (ProcessInfo.processInfo.environment["HOME"] ?? NSTemporaryDirectory()) + "/.treebeard_history"
    guard isInteractive, ProcessInfo.processInfo.environment["TREEBEARD_NO_LIBEDIT"] == nil else { return }
    for name in ["libedit.so.2", "libedit.so", "libedit.3.dylib", "libedit.dylib"] {
      guard let handle = dlopen(name, RTLD_NOW) else { continue }
      if let symbol = dlsym(handle, "readline") { readline = unsafeBitCast(symbol, to: ReadlineFunction.self) }
      if let symbol = dlsym(handle, "add_history") { addHistory = unsafeBitCast(symbol, to: HistoryFunction.self) }
      if let symbol = dlsym(handle, "write_history") { writeHistory = unsafeBitCast(symbol, to: HistoryFunction.self) }
      if let symbol = dlsym(handle, "using_history") { unsafeBitCast(symbol, to: VoidFunction.self)() }
      if let symbol = dlsym(handle, "read_history") {
        _ = unsafeBitCast(symbol, to: HistoryFunction.self)(historyPath)
      }
      break
    }
  }

  var hasLineEditing: Bool { readline != nil }

  /// Records a complete entry (a multi-line form becomes one line) in the persistent history.
  func remember(_ entry: String) {
    let line = entry.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    guard !line.isEmpty else { return }
    _ = addHistory?(line)
    _ = writeHistory?(historyPath)
  }

  /// The next line without its newline, or nil at end of input.
  func readLine(prompt: String) -> String? {
    if let readline {
      guard let raw = readline(prompt) else { return nil }
      defer { free(raw) }
      return String(cString: raw)
    }
    if isInteractive {
      var bytes = Array(prompt.utf8)
      _ = bytes.withUnsafeMutableBytes { Foundation.write(1, $0.baseAddress, $0.count) }
    }
    return Swift.readLine(strippingNewline: true)
  }
}

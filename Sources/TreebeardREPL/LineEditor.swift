// Line input: libedit (loaded at run time, BSD-licensed) on a terminal, plain stdin otherwise.

import Foundation
import Treebeard

/// What one read gave: a line, Ctrl-C at the prompt (the entry is discarded), or end of input.
enum LineInput: Equatable {
  case line(String)
  case interrupted
  case end
}

/// Reads one line at a time. With a terminal and libedit present: editing, persistent history
/// and Tab completion; on a terminal without libedit: plain reads that Ctrl-C can cancel; piped:
/// plain reads with no prompt.
final class LineEditor {
  private typealias ReadlineFunction = @convention(c) (UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?
  private typealias HistoryFunction = @convention(c) (UnsafePointer<CChar>?) -> Int32
  private typealias VoidFunction = @convention(c) () -> Void
  typealias CompletionFunction = @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>?

  private var readline: ReadlineFunction?
  private var addHistory: HistoryFunction?
  private var writeHistory: HistoryFunction?
  let isInteractive: Bool
  private let historyPath: String
  /// Bytes read past the last line on a terminal without libedit.
  private var pending: [UInt8] = []

  init() {
    isInteractive = isatty(STDIN_FILENO) != 0
    historyPath = (ProcessEnvironment.value("HOME") ?? NSTemporaryDirectory()) + "/.treebeard_history"
    guard isInteractive, ProcessEnvironment.value("TREEBEARD_NO_LIBEDIT") == nil else { return }
    for name in ["libedit.so.2", "libedit.so", "libedit.3.dylib", "libedit.dylib"] {
      guard let handle = dlopen(name, RTLD_NOW) else { continue }
      if let symbol = dlsym(handle, "readline") { readline = unsafeBitCast(symbol, to: ReadlineFunction.self) }
      if let symbol = dlsym(handle, "add_history") { addHistory = unsafeBitCast(symbol, to: HistoryFunction.self) }
      if let symbol = dlsym(handle, "write_history") { writeHistory = unsafeBitCast(symbol, to: HistoryFunction.self) }
      if let symbol = dlsym(handle, "using_history") { unsafeBitCast(symbol, to: VoidFunction.self)() }
      if let symbol = dlsym(handle, "read_history") {
        _ = unsafeBitCast(symbol, to: HistoryFunction.self)(historyPath)
      }
      installCompletion(handle)
      break
    }
  }

  var hasLineEditing: Bool { readline != nil }

  /// Records a complete entry in the persistent history, newlines included (libedit escapes
  /// them in the file), so a recalled entry is the form as typed and a `;` comment ends where
  /// it ended.
  func remember(_ entry: String) {
    guard !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
    _ = addHistory?(entry)
    _ = writeHistory?(historyPath)
  }

  /// The next line without its newline. `interrupted` consumes a pending Ctrl-C. Piped, the
  /// lines come from `input` when it is standard input, which `read-line` reads as well.
  func readLine(prompt: String, input: InputSource? = nil, interrupted: () -> Bool) -> LineInput {
    if let readline {
      // libedit ends the line it was reading on Ctrl-C (and returns nil).
      guard let raw = readline(prompt) else { return interrupted() ? .interrupted : .end }
      defer { free(raw) }
      return .line(String(cString: raw))
    }
    guard isInteractive else {
      guard let standard = input as? StandardInput else {
        return Swift.readLine(strippingNewline: true).map(LineInput.line) ?? .end
      }
      while true {
        switch standard.nextLine(waiting: 0.1) {
        case .line(let line): return .line(line)
        case .endOfInput: return .end
        case .waiting: if interrupted() { return .interrupted }
        }
      }
    }
    var bytes = Array(prompt.utf8)
    _ = bytes.withUnsafeMutableBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    return readTerminalLine(interrupted: interrupted)
  }

  /// A terminal without libedit: the SIGINT handler restarts an interrupted read (SA_RESTART,
  /// which running code needs), so wait with poll in short slices and look for Ctrl-C between.
  private func readTerminalLine(interrupted: () -> Bool) -> LineInput {
    while true {
      if let newline = pending.firstIndex(of: 0x0A) {
        let line = String(decoding: pending[..<newline], as: UTF8.self)
        pending.removeSubrange(...newline)
        return .line(line)
      }
      if interrupted() {
        pending.removeAll()
        return .interrupted
      }
      var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
      guard poll(&descriptor, 1, 100) > 0 else { continue }
      var chunk = [UInt8](repeating: 0, count: 4096)
      let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else {
        guard !pending.isEmpty else { return .end }
        let last = String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        return .line(last)
      }
      pending.append(contentsOf: chunk[..<count])
    }
  }

  /// Tab completion through libedit's readline-compatible hooks: a C function with no context,
  /// so the completer is reached through `CompletionTarget`.
  private func installCompletion(_ handle: UnsafeMutableRawPointer) {
    guard let entry = dlsym(handle, "rl_completion_entry_function"),
      let lineBuffer = dlsym(handle, "rl_line_buffer"),
      let point = dlsym(handle, "rl_point")
    else { return }
    CompletionTarget.lineBuffer = lineBuffer.assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)
    CompletionTarget.point = point.assumingMemoryBound(to: Int32.self)
    if let insert = dlsym(handle, "rl_insert_text") {
      CompletionTarget.insertText = unsafeBitCast(insert, to: CompletionTarget.InsertText.self)
    }
    let function: CompletionFunction = { text, state in CompletionTarget.next(text, state) }
    entry.assumingMemoryBound(to: CompletionFunction?.self).pointee = function
    if let breaks = dlsym(handle, "rl_basic_word_break_characters") {
      // `calc:add` and `*print-length*` are one word; brackets and quotes end words.
      breaks.assumingMemoryBound(to: UnsafePointer<CChar>?.self).pointee = UnsafePointer(strdup(" \t\n\"'`;()[]{},@"))
    }
  }
}

/// Where libedit's completion callback finds the REPL's completer; set before the first read.
enum CompletionTarget {
  nonisolated(unsafe) static var completer: Completer?
  nonisolated(unsafe) static var lineBuffer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
  nonisolated(unsafe) static var point: UnsafeMutablePointer<Int32>?
  nonisolated(unsafe) static var matches: [String] = []
  typealias InsertText = @convention(c) (UnsafePointer<CChar>?) -> Int32
  nonisolated(unsafe) static var insertText: InsertText?

  /// True when more input is already waiting: the Tab came in a paste, not from a key press (a
  /// person cannot type the next key within the same instant).
  static var isPasting: Bool {
    var ready = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
    return poll(&ready, 1, 0) > 0
  }

  /// libedit calls this with state 0 for a new word, then 1, 2, … until it returns NULL; each
  /// returned string is malloc'd and freed by libedit.
  static func next(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    if state == 0, let insertText, isPasting {
      // A Tab inside pasted code is whitespace, kept as typed: completing there turned
      // `(def a<Tab>1)` into `(def a1)`, silently another program.
      matches = []
      _ = "\t".withCString { insertText($0) }
      return nil
    }
    if state == 0 {
      let word = text.map { String(cString: $0) } ?? ""
      var line = ""
      if let buffer = lineBuffer?.pointee {
        let full = Array(String(cString: buffer).utf8)
        let cursor = min(max(0, Int(point?.pointee ?? 0)), full.count)
        line = String(decoding: full[..<cursor], as: UTF8.self)
      }
      matches = completer?.candidates(for: word, lineBeforeCursor: line) ?? []
    }
    let index = Int(state)
    guard index >= 0, index < matches.count else { return nil }
    return strdup(matches[index])
  }
}

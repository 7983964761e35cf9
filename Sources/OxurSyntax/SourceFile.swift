// Source text and the spans that point into it, shared by every error message.

import Foundation
import Synchronization

/// One unit of source text (a file, a REPL entry, an `eval` string), kept so errors can quote lines.
public final class SourceFile: Sendable {
  public let name: String
  public let text: String
  /// What spans hold instead of a reference (see `Span`); never reused within a process.
  public let id: UInt64

  /// The file lives as long as something owns it: the module version or reuse record of a
  /// loaded file, each function analyzed from it (`Lambda.sourceFile`), its documentation, an
  /// error pointing into it, or whoever is reading it. Spans only name it, so a span of a file
  /// nothing owns any more still says where (line and column) but quotes no text.
  public init(name: String, text: String) {
    self.name = name
    self.text = text
    self.id = SourceFiles.nextID()
    SourceFiles.register(self)
  }

  deinit { SourceFiles.forget(id) }

  /// Every line, without its line ending (only error reports need them, so they are split on
  /// demand). Split on the bytes: in Swift "\r\n" is one Character, not equal to "\n", so a
  /// file with Windows line endings was one long line and quoted nothing.
  public var lines: [Substring] {
    var result: [Substring] = []
    let utf8 = text.utf8
    var start = utf8.startIndex
    var index = start
    func line(to end: String.Index) -> Substring {
      var end = end
      if end > start, utf8[utf8.index(before: end)] == 0x0D { end = utf8.index(before: end) }
      return text[start..<end]
    }
    while index != utf8.endIndex {
      if utf8[index] == 0x0A {
        result.append(line(to: index))
        start = utf8.index(after: index)
      }
      index = utf8.index(after: index)
    }
    result.append(line(to: utf8.endIndex))
    return result
  }

  /// The 1-based line, or nil when out of range (never traps).
  public func line(_ number: Int) -> Substring? {
    let index = number - 1
    let all = lines
    return index >= 0 && index < all.count ? all[index] : nil
  }
}

/// The live files by id, so a span (plain data, copied without reference counting) can find
/// its file again. Reading and analysing a definition copied spans a few dozen times, and each
/// copy of a span holding its file was an atomic retain and release: 8 % of a reload's time.
/// Looked up only for messages and introspection, so a lock is cheap enough.
public enum SourceFiles {
  private struct WeakFile {
    weak var file: SourceFile?
  }

  /// Ids are distinct counts: a multiply-xorshift of the id is hash enough (an error made
  /// with a span looks its file up, and SipHash of the key was half of that).
  private struct FileKey: Hashable {
    let id: UInt64
    func hash(into hasher: inout Hasher) { hasher.combine(id) }
    func _rawHashValue(seed: Int) -> Int {
      var mixed = (id ^ UInt64(bitPattern: Int64(seed))) &* 0x9E37_79B9_7F4A_7C15
      mixed ^= mixed >> 29
      return Int(bitPattern: UInt(mixed))
    }
  }

  // An NSLock rather than `Mutex`: ThreadSanitizer (run in CI) sees through pthread locks,
  // not through `Mutex`'s futex, and reported every look-up as a race.
  nonisolated(unsafe) private static var live: [FileKey: WeakFile] = [:]
  private static let lock = NSLock()
  private static let counter = Atomic<UInt64>(0)

  static func nextID() -> UInt64 { counter.add(1, ordering: .relaxed).newValue }

  static func register(_ file: SourceFile) {
    lock.withLock { live[FileKey(id: file.id)] = WeakFile(file: file) }
  }

  static func forget(_ id: UInt64) {
    lock.withLock { _ = live.removeValue(forKey: FileKey(id: id)) }
  }

  /// The file, while something still owns it.
  static func file(_ id: UInt64) -> SourceFile? {
    lock.withLock { live[FileKey(id: id)]?.file }
  }

  /// Files registered and not yet freed (for tests).
  public static var liveCount: Int { lock.withLock { live.count } }
}

/// A position in a source file; line and column are 1-based, column counts characters.
public struct Span: Sendable, Equatable, CustomStringConvertible {
  /// The file's `SourceFile.id`; 0 for no file. Not a reference: a span is plain data, so nodes,
  /// syntax and errors copy it without reference counting, and it never keeps text alive.
  public let fileID: UInt64
  public let line: Int
  public let column: Int

  public init(file: SourceFile?, line: Int, column: Int) {
    self.fileID = file?.id ?? 0
    self.line = line
    self.column = column
  }

  public static let unknown = Span(file: nil, line: 0, column: 0)

  /// The file, while something owns it (see `SourceFile.init`); nil for no file.
  public var file: SourceFile? { fileID == 0 ? nil : SourceFiles.file(fileID) }

  public var isKnown: Bool { fileID != 0 && line > 0 }

  /// True when this span points into `file`.
  public func isIn(_ file: SourceFile) -> Bool { fileID == file.id }

  public var description: String {
    "\(file?.name ?? "<unknown>"):\(line):\(column)"
  }

  /// The source line followed by a caret under the column, for error reports.
  /// A long line is cut to a window around the column (a 1 MB line must not print 1 MB), and
  /// control characters are shown escaped so a report cannot move the terminal's cursor.
  public func excerpt() -> String? {
    guard let text = file?.line(line) else { return nil }
    let gutter = String(line)
    let pad = String(repeating: " ", count: gutter.count)
    // Counted and walked, not copied into an array of characters: a 16 MB line made that copy
    // 256 MB, which under `ulimit -v` trapped while the out-of-memory error was being reported.
    let count = text.count
    let caret = min(max(0, column - 1), count)
    let start = max(0, caret - Span.excerptContext)
    let end = min(count, caret + Span.excerptContext)
    var shown = ""
    var prefix = ""
    if start > 0 {
      shown = "…"
      prefix = " "
    }
    for (index, character) in text.dropFirst(start).prefix(end - start).enumerated() {
      let escaped = Span.escapedForTerminal(character)
      shown += escaped
      if start + index < caret { prefix += escaped == "\t" ? "\t" : String(repeating: " ", count: escaped.count) }
    }
    if end < count { shown += "…" }
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

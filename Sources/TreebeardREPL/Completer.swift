// What Tab offers at the REPL: names, module:name, :commands, and file paths inside load/reload/watch strings.

import Foundation
import Treebeard

struct Completer {
  let interpreter: Interpreter

  /// Forms whose string argument is a file or directory path.
  static let pathForms = ["load", "reload", "watch", "check", "slurp", "spit"]

  /// Candidates for `word`, the text before the cursor back to the last word break, given the
  /// whole line before the cursor.
  func candidates(for word: String, lineBeforeCursor line: String) -> [String] {
    if let path = pathInString(line) { return paths(completing: path) }
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    if trimmed.hasPrefix(":") && !trimmed.contains(" ") {
      return REPL.commands.filter { $0.hasPrefix(trimmed) }
    }
    return names(completing: word)
  }

  /// Names are read under the evaluator lock, which a spawned process's load holds until its
  /// top level ends (for ever, if it never does): past 0.3 s Tab offers nothing rather than
  /// freeze the line being typed (`PatientLookup`).
  let lookups = PatientLookup(patience: 0.3)

  /// The interpreter's names starting with `word`; none when the evaluator is busy that long.
  func names(completing word: String) -> [String] {
    let interpreter = interpreter
    let module = interpreter.currentModule
    return lookups.run { interpreter.completions(prefix: word, module: module).map(\.candidate) } ?? []
  }

  /// The partial path when the cursor is inside the string argument of a path form:
  /// `(load "src/ca` → `src/ca`.
  func pathInString(_ line: String) -> String? {
    guard let quote = line.lastIndex(of: "\""),
      line[..<quote].filter({ $0 == "\"" }).count % 2 == 0
    else { return nil }
    let before = line[..<quote].trimmingCharacters(in: .whitespaces)
    guard let open = before.lastIndex(of: "(") else { return nil }
    let head = before[before.index(after: open)...].trimmingCharacters(in: .whitespaces)
    guard Completer.pathForms.contains(head) else { return nil }
    return String(line[line.index(after: quote)...])
  }

  /// Entries of the partial path's directory that start with its last component; directories
  /// end in `/` so Tab can go on into them.
  func paths(completing partial: String) -> [String] {
    let directoryPart =
      partial.contains("/") ? String(partial[...(partial.lastIndex(of: "/") ?? partial.startIndex)]) : ""
    let namePart = String(partial.dropFirst(directoryPart.count))
    let directory = directoryPart.isEmpty ? "." : directoryPart
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
    return entries.filter { $0.hasPrefix(namePart) && (!$0.hasPrefix(".") || namePart.hasPrefix(".")) }.sorted().map {
      var isDirectory: ObjCBool = false
      let full = directoryPart + $0
      _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory)
      return isDirectory.boolValue ? full + "/" : full
    }
  }
}

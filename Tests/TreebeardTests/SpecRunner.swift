// Runs one spec file (spec/<feature>/*.oxur) and reports every expectation that failed.

import Foundation
import OxurSyntax
import Treebeard

/// The expectations written after one top-level form.
struct SpecCase {
  var line: Int
  var value: String?
  var output: [String] = []
  /// For each line of `output`: true when it is a pattern (`;; out~:`) rather than exact text.
  var outputIsPattern: [Bool] = []
  var error: String?

  /// True when `printed` is exactly the expected lines, each followed by a newline.
  func outputMatches(_ printed: String) -> Bool {
    guard printed.hasSuffix("\n") else { return false }
    let lines = printed.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard lines.count == output.count else { return false }
    for (index, line) in lines.enumerated() {
      if outputIsPattern[index] {
        guard let regex = try? NSRegularExpression(pattern: "^(?:" + output[index] + ")$"),
          regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
        else { return false }
      } else if line != output[index] {
        return false
      }
    }
    return true
  }
}

enum SpecRunner {
  /// The package root, found from this file's path.
  static var packageRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  }

  /// Every spec file, as paths relative to spec/.
  static func files() -> [String] {
    let root = packageRoot.appendingPathComponent("spec")
    let all = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
    return all.filter { $0.hasSuffix(".oxur") }.sorted()
  }

  /// Expectation comments by line number.
  static func expectations(_ text: String) -> [(line: Int, kind: String, text: String)] {
    var found: [(Int, String, String)] = []
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      for (prefix, kind) in [
        (";; => ", "value"), (";; out: ", "out"), (";; out:", "out"), (";; out~: ", "pattern"), (";; error: ", "error"),
      ] {
        if line.hasPrefix(prefix) {
          found.append((index + 1, kind, String(line.dropFirst(prefix.count))))
          break
        }
      }
    }
    return found
  }

  static func countAssertions(_ relativePath: String) -> Int {
    let url = packageRoot.appendingPathComponent("spec").appendingPathComponent(relativePath)
    return expectations((try? String(contentsOf: url, encoding: .utf8)) ?? "").count
  }

  /// Runs the file; returns human-readable failures (empty means it passed).
  static func run(_ relativePath: String) -> (failures: [String], assertions: Int) {
    let url = packageRoot.appendingPathComponent("spec").appendingPathComponent(relativePath)
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return (["cannot read \(relativePath)"], 0) }
    let file = SourceFile(name: "spec/" + relativePath, text: text)
    let marks = expectations(text)
    let output = BufferedOutput()
    let errors = BufferedOutput()
    let interpreter = Interpreter(output: output, errorOutput: errors)
    var reader = Reader(file)
    var failures: [String] = []
    var assertions = 0
    var forms: [(Syntax?, ReadError?, Int)] = []
    while true {
      do {
        guard let form = try reader.next() else { break }
        forms.append((form, nil, form.span.line))
      } catch {
        forms.append((nil, error, error.span.line))
        break
      }
    }
    for (index, (form, readError, startLine)) in forms.enumerated() {
      let location = "spec/\(relativePath):\(startLine)"
      if let readError {
        // The reader cannot go on after a read error: the file must expect it with an `error:`
        // line, and no expectation may follow, since none of them would ever be checked.
        let after = marks.filter { $0.line > startLine }
        let wanted = after.first { $0.kind == "error" }
        if let wanted {
          assertions += 1
          if !readError.message.contains(wanted.text) {
            failures.append("\(location): expected error containing '\(wanted.text)', got error '\(readError.message)'")
          }
        } else {
          failures.append("\(location): unexpected read error: \(readError.message)")
        }
        let unchecked = after.filter { $0.line != wanted?.line }.map { String($0.line) }
        if !unchecked.isEmpty {
          failures.append(
            "\(location): the read error ends the file, so the expectations on lines "
              + "\(unchecked.joined(separator: ", ")) are never checked")
        }
        continue
      }
      let endLine = index + 1 < forms.count ? forms[index + 1].2 : Int.max
      var expected = SpecCase(line: startLine)
      for mark in marks
      where mark.line > startLine && mark.line < endLine {
        switch mark.kind {
        case "value": expected.value = mark.text
        case "out", "pattern":
          expected.output.append(mark.text)
          expected.outputIsPattern.append(mark.kind == "pattern")
        default: expected.error = mark.text
        }
      }
      assertions +=
        (expected.value == nil ? 0 : 1) + (expected.output.isEmpty ? 0 : 1) + (expected.error == nil ? 0 : 1)
      var value: Value? = nil
      var failure: String? = nil
      if let form {
        do {
          value = try interpreter.eval(form: form)
        } catch let error as OxurError {
          failure = error.message
        } catch {
          failure = "\(error)"
        }
      }
      let printed = output.take()
      let loadErrors = errors.take()
      if let wanted = expected.error {
        if let failure {
          if !failure.contains(wanted) {
            failures.append("\(location): expected error containing '\(wanted)', got error '\(failure)'")
          }
        } else if !loadErrors.contains(wanted) {
          failures.append(
            "\(location): expected error containing '\(wanted)', got value \(value.map { Printer.readable($0) } ?? "none")"
          )
        }
        continue
      }
      if let failure {
        failures.append("\(location): unexpected error: \(failure)")
        continue
      }
      if let wanted = expected.value, let value, Printer.readable(value) != wanted {
        failures.append("\(location): expected \(wanted), got \(Printer.readable(value))")
      }
      if !expected.output.isEmpty {
        let wanted = expected.output.joined(separator: "\n") + "\n"
        if !expected.outputMatches(printed) {
          failures.append("\(location): expected output \(wanted.debugDescription), got \(printed.debugDescription)")
        }
      }
    }
    return (failures, assertions)
  }
}

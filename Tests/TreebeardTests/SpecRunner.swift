// Runs one spec file (spec/<feature>/*.oxur) and reports every expectation that failed.

import Foundation
import OxurSyntax
import Treebeard

/// The expectations written after one top-level form.
struct SpecCase {
  var line: Int
  var value: String?
  var output: [String] = []
  var error: String?
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
      for (prefix, kind) in [(";; => ", "value"), (";; out: ", "out"), (";; out:", "out"), (";; error: ", "error")] {
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
      let endLine = index + 1 < forms.count ? forms[index + 1].2 : Int.max
      var expected = SpecCase(line: startLine)
      for mark in marks
      where mark.line > startLine && mark.line < endLine || (readError != nil && mark.line > startLine) {
        switch mark.kind {
        case "value": expected.value = mark.text
        case "out": expected.output.append(mark.text)
        default: expected.error = mark.text
        }
      }
      assertions +=
        (expected.value == nil ? 0 : 1) + (expected.output.isEmpty ? 0 : 1) + (expected.error == nil ? 0 : 1)
      let location = "spec/\(relativePath):\(startLine)"
      var value: Value? = nil
      var failure: String? = nil
      if let readError {
        failure = readError.message
      } else if let form {
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
        if printed != wanted {
          failures.append("\(location): expected output \(wanted.debugDescription), got \(printed.debugDescription)")
        }
      }
    }
    return (failures, assertions)
  }
}

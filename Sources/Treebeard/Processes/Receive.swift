// `(receive (pattern body…) … (after ms body…))`: selective receive with match's patterns.

import Foundation
import OxurSyntax

extension Analyzer {
  /// Clauses are `match` clauses (`(pattern body…)` or `(pattern :when guard body…)`); a last
  /// clause headed `after` gives the timeout in milliseconds and what to do when it passes.
  func analyzeReceive(_ form: Syntax, _ items: [Syntax], _ position: Position) throws -> Node {
    var clauses: [MatchNode.Clause] = []
    var timeout: ReceiveNode.Timeout? = nil
    for clause in items.dropFirst() {
      guard let parts = clause.listElements, let patternForm = parts.first else {
        throw SpecialForms.syntax("a receive clause is (pattern body…) or (after ms body…)", clause)
      }
      if timeout != nil {
        throw SpecialForms.syntax("(after ms body…) must be the last clause of receive", clause)
      }
      if patternForm.symbolName == "after" {
        guard parts.count >= 2 else { throw SpecialForms.syntax("after needs a time in milliseconds", clause) }
        timeout = .init(
          milliseconds: try analyze(parts[1], .value),
          body: try analyzeBody(parts.dropFirst(2), position, span: clause.span))
        continue
      }
      clauses.append(try analyzeMatchClause(clause, parts, position))
    }
    guard !clauses.isEmpty || timeout != nil else {
      throw SpecialForms.syntax("receive needs at least one clause", form)
    }
    return ReceiveNode(clauses: clauses, timeout: timeout, span: form.span)
  }
}

/// Takes the oldest message of the current process's mailbox that a clause matches (its guard
/// included) and runs that clause; messages no clause matches stay, in order. With none, waits
/// — holding no lock — for a new message, the timeout, a kill or (main process) an interrupt.
final class ReceiveNode: Node {
  struct Timeout {
    let milliseconds: Node
    let body: Node
  }
  let clauses: [MatchNode.Clause]
  let timeout: Timeout?

  init(clauses: [MatchNode.Clause], timeout: Timeout?, span: Span) {
    self.clauses = clauses
    self.timeout = timeout
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    var deadline: Date? = nil
    if let timeout {
      let value = try timeout.milliseconds.eval(m, fp)
      guard case .int(let milliseconds) = value, milliseconds >= 0 else {
        throw OxurError(
          "type",
          "receive's after needs a non-negative integer of milliseconds, got \(Printer.readable(value, limit: 40))",
          span: span)
      }
      deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
    }
    let process = m.currentProcess
    var scanned = 0
    while true {
      while let (sequence, message) = process.message(after: scanned) {
        scanned = sequence
        for clause in clauses where clause.pattern.match(message, fp) {
          if let guardNode = clause.guardNode, !(try guardNode.test(m, fp)) { continue }
          // A guard may pass a safe point, where another receiver of the main mailbox may
          // take the message: then it is not this receive's, and the scan goes on.
          if process.take(sequence) { return try clause.body.eval(m, fp) }
          break
        }
      }
      if let timeout, let deadline, Date() >= deadline { return try timeout.body.eval(m, fp) }
      if !m.canReleaseEvaluator && deadline == nil {
        throw OxurError(
          "process", "receive with no matching message while a module loads would wait forever (add an after clause)",
          span: span)
      }
      let poll = m.interruptPoll
      let seen = scanned
      do {
        try m.blockCurrentProcess(.waiting) { process.waitForMessage(after: seen, deadline: deadline, poll: poll) }
      } catch let error as OxurError {
        throw error.located(span)
      }
    }
  }
}

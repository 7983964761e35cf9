// Guarded reload: a module's `--check--` runs against the staged code before the commit.

import OxurSyntax

extension Runtime {
  static let checkName = Symbol.intern("--check--")

  /// Runs the `(defn --check-- [] …)` of every staged module that defines one, after staging
  /// (and migration) and before the commit, with the staged code current for the loader only.
  /// A throw, `false` or `nil` aborts the whole transaction with the check's message.
  /// A check may not load or reload modules: one staged by a check had no `--check--` of its
  /// own run (the loop had passed), nor the other tests a commit makes, and was committed.
  func runChecks(_ transaction: LoadTransaction, machine: Machine) throws {
    defer { transaction.runningHook = nil }
    for item in transaction.staged {
      transaction.runningHook = ("--check--", item.entry.name)
      guard let check = item.staging.bindings[Runtime.checkName] else { continue }
      let span: Span
      if case .closure(let closure) = check.value { span = closure.lambda.span } else { span = .unknown }
      let result: Value
      do {
        result = try machine.call(check.value, [], span: span)
      } catch let error as OxurError where error.kind != "interrupted" {
        throw OxurError(
          "check", "--check-- of \(item.entry.name) failed: \(error.message)",
          span: error.span.isKnown ? error.span : span)
      }
      switch result {
      case .nil, .bool(false):
        throw OxurError("check", "--check-- of \(item.entry.name) returned \(Printer.readable(result))", span: span)
      default:
        item.staging.checkRan = true
      }
    }
  }
}

// The place of a reload form's call, for the failure it reports instead of throwing.

import OxurSyntax

/// `load`, `reload`, `reload-all`, `rollback` and `unload` report a failure (and go on) rather
/// than throw it, so the call node never gets to say where the failing call was: an error of
/// the loader that knows no place (a missing file, a directory, no such module) printed
/// without file:line:col, and a program with many loads did not say which one failed. This
/// node makes the call's place the machine's `reportSite` while it runs; `ModuleBuiltins` and
/// `RollbackBuiltins` locate such errors there. Only these calls pay for it. At a prompt too:
/// the failing call may sit in a function defined lines earlier, not in the line just typed.
final class ReportSiteNode: Node {
  let call: Node

  init(_ call: Node, span: Span) {
    self.call = call
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let outer = m.reportSite
    m.reportSite = span
    defer { m.reportSite = outer }
    return try call.eval(m, fp)
  }
}

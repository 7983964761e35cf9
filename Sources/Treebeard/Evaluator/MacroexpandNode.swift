// `(macroexpand form)` and `(macroexpand-1 form)` written in code: expand with that code's module.

import OxurSyntax

/// A direct call of `macroexpand`/`macroexpand-1`. The module is fixed at analysis: code in a
/// file run with `treebeard run` expands with its own module's macros even though the REPL's
/// current module is `user`.
final class MacroexpandNode: Node {
  let form: Node
  let module: String
  let once: Bool
  init(form: Node, module: String, once: Bool, span: Span) {
    self.form = form
    self.module = module
    self.once = once
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let value = try form.eval(m, fp)
    do {
      return try m.runtime.macroexpand(value, once: once, module: module, machine: m)
    } catch let error as OxurError {
      throw error.located(span)
    }
  }
}

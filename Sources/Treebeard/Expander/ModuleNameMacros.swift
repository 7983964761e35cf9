// Reporting forms that take a bare module name: `(history calculator)`, `(reload-stats calculator)`.

import OxurSyntax

extension CoreMacros {
  /// A bare symbol argument names a module and is not evaluated (as `in-module`); anything
  /// else (a string, an expression) is passed on. Calls the prelude function of the same name.
  static func quotingModuleName(_ form: Syntax, _ items: [Syntax]) throws -> Syntax {
    guard let head = items.first?.symbolName else { throw error("expected a form name", form) }
    let arguments = items.dropFirst().map { item -> Syntax in
      guard case .symbol = item.kind else { return item }
      return .list([.symbol("quote", item.span), item], item.span)
    }
    return .list([prelude(head, form.span)] + arguments, form.span)
  }
}

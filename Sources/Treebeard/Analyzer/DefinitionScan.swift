// The names a module file defines, found before it runs so forward references resolve.

import OxurSyntax

/// Names a module defines at top level, found before running it so forward references resolve.
enum DefinitionScan {
  static let definingForms: NameSet = ["def", "defonce", "defn", "defn-", "define", "defmacro"]

  static func names(in forms: [Syntax]) -> NameSet {
    var names: NameSet = []
    for form in forms { scan(form, depth: 0) { names.insert($0) } }
    return names
  }

  /// The name one form defines, nil when none; `several` when it defines more than one name
  /// (found without building a set, at every reload of every definition).
  static func definedName(in form: Syntax) -> (name: String?, several: Bool) {
    var first: String? = nil
    var several = false
    scan(form, depth: 0) { name in
      if let first { several = several || name != first } else { first = name }
    }
    return (first, several)
  }

  private static func scan(_ form: Syntax, depth: Int, _ found: (String) -> Void) {
    guard depth < 16, case .list(let items) = form.kind, let head = items.first?.symbolName, items.count >= 2 else {
      return
    }
    if head == "do" {
      for item in items.dropFirst() { scan(item, depth: depth + 1, found) }
      return
    }
    if definingForms.contains(head) {
      if let name = items[1].symbolName {
        found(name)
      } else if case .symbol(let module?, _) = items[1].kind {
        found(module)
      } else if head == "define", let signature = items[1].listElements, let name = signature.first?.symbolName {
        found(name)
      }
    } else if head == "defstruct", let name = items[1].symbolName {
      found("\(name)?")
      for field in items.dropFirst(2) {
        if let plain = field.symbolName ?? field.listElements?.first?.symbolName { found("get-\(plain)") }
      }
    }
  }
}

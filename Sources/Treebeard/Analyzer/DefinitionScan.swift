// The names a module file defines, found before it runs so forward references resolve.

import OxurSyntax

/// Names a module defines at top level, found before running it so forward references resolve.
enum DefinitionScan {
  static let definingForms: Set<String> = ["def", "defonce", "defn", "defn-", "define", "defmacro"]

  static func names(in forms: [Syntax]) -> Set<String> {
    var names: Set<String> = []
    for form in forms { scan(form, into: &names, depth: 0) }
    return names
  }

  private static func scan(_ form: Syntax, into names: inout Set<String>, depth: Int) {
    guard depth < 16, case .list(let items) = form.kind, let head = items.first?.symbolName, items.count >= 2 else {
      return
    }
    if head == "do" {
      for item in items.dropFirst() { scan(item, into: &names, depth: depth + 1) }
      return
    }
    if definingForms.contains(head) {
      if let name = items[1].symbolName {
        names.insert(name)
      } else if case .symbol(let module?, _) = items[1].kind {
        names.insert(module)
      } else if head == "define", let signature = items[1].listElements, let name = signature.first?.symbolName {
        names.insert(name)
      }
    } else if head == "defstruct", let name = items[1].symbolName {
      names.insert("\(name)?")
      for field in items.dropFirst(2) {
        if let plain = field.symbolName ?? field.listElements?.first?.symbolName { names.insert("get-\(plain)") }
      }
    }
  }
}

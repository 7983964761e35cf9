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
  static func definedName(in form: Syntax) -> DefinedName {
    var defined = DefinedName()
    scan(form, depth: 0) { defined.add($0) }
    return defined
  }

  /// `names(in:)` over a module's read forms, with each read form's `definedName` from the
  /// same walk, by its index in `forms` (in order; forms the reader skipped have none), so
  /// staging a definition does not scan it again.
  static func names(in forms: [TopLevelForm]) -> (names: NameSet, scanned: [(index: Int, defined: DefinedName)]) {
    var names: NameSet = []
    var scanned: [(index: Int, defined: DefinedName)] = []
    // Nearly every form of a module defines one name: room for all at once, not a rehash at a
    // time.
    names.reserveCapacity(forms.count)
    scanned.reserveCapacity(forms.count)
    for index in forms.indices {
      guard let form = forms[index].form else { continue }
      var defined = DefinedName()
      scan(form, depth: 0) { name in
        names.insert(name)
        defined.add(name)
      }
      scanned.append((index, defined))
    }
    return (names, scanned)
  }

  /// The first name a form defines, and whether it defines another one too.
  struct DefinedName {
    var name: String? = nil
    var several = false

    mutating func add(_ found: String) {
      if let name { several = several || found != name } else { name = found }
    }
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

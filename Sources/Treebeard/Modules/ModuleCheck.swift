// `treebeard check`: the load pipeline up to analysis, evaluating only what analysis needs.

import OxurSyntax

extension Runtime {
  /// Reads, expands and analyzes a module file inside a transaction that is always rolled back.
  /// Only macro definitions run (later forms need them); nothing else is evaluated.
  func checkModule(path rawPath: String, machine: Machine) throws {
    let source = try readModuleSource(absolutePath(rawPath))
    let name = moduleName(of: source)
    let opened = LoadTransaction(currentModule: machine.currentModule)
    let outer = transaction
    transaction = opened
    defer {
      opened.rollback()
      machine.currentModule = opened.savedCurrentModule
      transaction = outer
    }
    let entry = registry.entry(name)
    opened.stage(
      entry, ModuleVersion(name: name, number: 0, path: source.path, contentHash: source.contentHash),
      reason: .requested)
    // Kept to the end: the forms' spans only name it, and errors quote its lines.
    let file = SourceFile(name: displayName(source.path), text: source.text)
    defer { withExtendedLifetime(file) {} }
    let forms: [Syntax]
    do { forms = try Reader.readAll(file) } catch {
      throw OxurError.read(error)
    }
    let defined = DefinitionScan.names(in: forms)
    let analyzer = Analyzer(runtime: self, machine: machine, entry: entry, knownNames: defined)
    for (index, form) in forms.enumerated() {
      if index == 0, form.isCall(to: "module") {
        try Analyzer.checkModuleHeader(form)
        continue
      }
      try checkTopLevel(form, analyzer: analyzer, machine: machine)
    }
    for (name, span) in analyzer.unresolved
    where entry.current?.bindings[Symbol.intern(name)] == nil && !defined.contains(name) {
      let hint = entry.current.map { knownNameHint(name, in: $0) } ?? ""
      throw OxurError("unknown-name", "unknown name: \(name)\(hint)", span: span)
    }
    // An import back to a module being loaded returns at once (it is staging); a load finds
    // the cycle before it commits, and so must the check, or it said "no problems found".
    try checkImportCycles(opened)
  }

  private func checkTopLevel(_ form: Syntax, analyzer: Analyzer, machine: Machine) throws {
    try forEachTopLevelForm(form, analyzer: analyzer) { code in
      if code.node is DefineMacroNode { _ = try run(code, machine: machine) }
    }
  }
}

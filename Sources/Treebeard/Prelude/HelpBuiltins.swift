// Help at the REPL: (doc name), (source name), (apropos "text"), (dir module).

import OxurSyntax

enum HelpBuiltins {
  static func register(_ t: inout PreludeTable) {
    t.define("doc", 1...1) { m, a in
      m.runtime.output.write(try describe(m, try nameArgument(a[0], "doc")) + "\n")
      return .void
    }
    t.define("source", 1...1) { m, a in
      let name = try nameArgument(a[0], "source")
      guard case .definition(let module, let symbol, let documentation?) = try find(m, name) else {
        throw OxurError(
          "source", "\(name.qualifiedName) is not defined in Oxur code (a builtin or special form has no Oxur source)")
      }
      guard let text = documentation.source else {
        throw OxurError("source", "the source of \(module):\(symbol.name) is not available (defined from Swift)")
      }
      m.runtime.output.write(text + "\n")
      return .void
    }
    t.define("apropos", 1...1) { m, a in
      let text = try Check.string(a[0], "apropos").lowercased()  // "" matches every name
      return Collections.vector(apropos(m, text).map { .symbol(Symbol.intern($0)) })
    }
    t.define("dir", 1...1) { m, a in
      let written = try Check.moduleName(a[0], "dir")
      let module = m.runtime.registry.existingEntry(m.helpModule)?.current?.aliases[written] ?? written
      guard let current = m.runtime.registry.existingEntry(module)?.current else {
        throw OxurError("unknown-name", "no module \(module) is loaded")
      }
      let names =
        current.bindings.filter { !$0.value.isSessionVariable && current.isExported($0.key) }.map(\.key.name)
        + current.macros.keys.filter { current.isExported($0) }.map(\.name)
      m.runtime.output.write(names.sorted().joined(separator: "\n") + (names.isEmpty ? "" : "\n"))
      return .void
    }
  }

  private static func nameArgument(_ value: Value, _ context: String) throws -> Symbol {
    switch value {
    case .symbol(let symbol): return symbol
    case .string(let text) where !text.value.isEmpty: return Symbol.intern(text.value)
    // An expression that returns nothing (`(doc (rollback))` ran the rollback) was shown as #<void>.
    case _ where value.isVoid:
      throw OxurError("argument", "\(context) takes a name, as in (\(context) map); the expression returned no value")
    default: throw Failure.type("a name", value, in: context)
    }
  }

  enum Found {
    case specialForm(String)
    case coreMacro(String)
    case builtin(String)
    case definition(module: String, name: Symbol, documentation: Documentation?)
    case structType(module: String, layout: StructType)
  }

  /// Resolves a name the way code in the current module would see it.
  static func find(_ m: Machine, _ name: Symbol) throws -> Found {
    let registry = m.runtime.registry
    let here = registry.existingEntry(m.helpModule)?.current
    if let module = name.module {
      let target = here?.aliases[module] ?? module
      let bare = Symbol.intern(name.name)
      guard let version = registry.existingEntry(target)?.current else {
        throw OxurError("unknown-name", "no module \(target) is loaded")
      }
      if let layout = version.structs[name.name] {
        return .structType(module: target, layout: layout)
      }
      guard version.bindings[bare] != nil || version.macros[bare] != nil else {
        throw OxurError("unknown-name", "unknown name: \(target):\(name.name)")
      }
      return .definition(module: target, name: bare, documentation: version.documentation(of: bare))
    }
    if SpecialForms.table[name.name] != nil { return .specialForm(name.name) }
    if CoreMacros.table[name.name] != nil { return .coreMacro(name.name) }
    if let here, let layout = here.structs[name.name] { return .structType(module: here.name, layout: layout) }
    if let here, here.bindings[name] != nil || here.macros[name] != nil {
      return .definition(module: here.name, name: name, documentation: here.documentation(of: name))
    }
    if let provider = here?.referred[name], let version = registry.existingEntry(provider)?.current {
      return .definition(module: provider, name: name, documentation: version.documentation(of: name))
    }
    if m.runtime.prelude[name.name] != nil { return .builtin(name.name) }
    if let user = registry.existingEntry("user")?.current, user.bindings[name] != nil {
      return .definition(module: "user", name: name, documentation: user.documentation(of: name))
    }
    let known = (here.map { Array($0.bindings.keys.map(\.name)) } ?? []) + m.runtime.prelude.keys
    throw OxurError("unknown-name", "unknown name: \(name.name)\(Suggestions.hint(for: name.name, among: known))")
  }

  /// `name [args]`, the one-line doc, and where it comes from.
  static func describe(_ m: Machine, _ name: Symbol) throws -> String {
    switch try find(m, name) {
    case .specialForm(let form): return entry(form, kind: "special form")
    case .structType(let module, let layout):
      let fields = layout.fields.map(\.name).joined(separator: " ")
      let version = layout.layoutVersion > 0 ? ", layout of version \(layout.layoutVersion)" : ""
      return
        "\(module):\(layout.name)\n  struct with fields \(fields)\n  \(layout.liveInstances.count) live instance(s)\(version)"

    case .coreMacro(let macro): return entry(macro, kind: "macro (core)")
    case .builtin(let builtin):
      if PreludeDocs.entries[builtin] == nil, let host = m.runtime.hostBuiltinDocs[builtin] {
        return "\(builtin) \(host.arglists)\n  \(host.doc)\n  builtin (from the host program)"
      }
      return entry(builtin, kind: "builtin")
    case .definition(let module, let symbol, let documentation):
      let qualified = "\(module):\(symbol.name)"
      guard let documentation else { return "\(qualified)\n  (no documentation)" }
      var lines = [documentation.arglists.isEmpty ? qualified : "\(qualified) \(documentation.arglists)"]
      lines.append("  " + (documentation.docstring ?? "(no docstring)"))
      let version = m.runtime.registry.existingEntry(module)?.current?.number ?? 0
      let origin = version > 0 ? "\(module) version \(version)" : "module \(module)"
      let kind = documentation.isMacro ? "macro, " : ""
      if documentation.span.isKnown, let file = documentation.span.file {
        lines.append("  \(kind)defined at \(file.name):\(documentation.span.line), \(origin)")
      } else {
        lines.append("  \(kind)defined by the host program, \(origin)")
      }
      return lines.joined(separator: "\n")
    }
  }

  private static func entry(_ name: String, kind: String) -> String {
    guard let known = PreludeDocs.entries[name] else { return "\(name)\n  (no documentation)\n  \(kind)" }
    return "\(name) \(known.arglists)\n  \(known.doc)\n  \(kind)"
  }

  /// Every name containing `text`: prelude, special forms, core macros, and each loaded
  /// module's definitions (qualified, except the current module's own).
  static func apropos(_ m: Machine, _ text: String) -> [String] {
    var names = Set(m.runtime.prelude.keys).union(SpecialForms.table.keys).union(CoreMacros.table.keys)
      .filter { !$0.hasPrefix("%") }
    for entry in m.runtime.registry.loadedModules {
      guard let version = entry.current else { continue }
      let own = entry.name == m.helpModule
      for symbol in Array(version.bindings.keys) + Array(version.macros.keys) {
        if version.bindings[symbol]?.isSessionVariable == true { continue }
        names.insert(own ? symbol.name : "\(entry.name):\(symbol.name)")
      }
    }
    return names.filter { text.isEmpty || $0.lowercased().contains(text) }.sorted()
  }
}

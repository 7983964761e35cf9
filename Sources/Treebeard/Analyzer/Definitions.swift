// Forms that define things in a module: def, defonce, defmacro, defstruct, defenum, module, export, import.

import OxurSyntax

extension Analyzer {
  func analyzeDefinition(_ form: Syntax, _ items: [Syntax], once: Bool) throws -> Node {
    guard items.count >= 2 && items.count <= 4, let name = items[1].symbolName ?? annotatedName(items[1]) else {
      throw SpecialForms.syntax("\(once ? "defonce" : "def") takes a name and a value", form)
    }
    if items.count == 4 {
      guard case .string = items[2].kind else {
        throw SpecialForms.syntax("def takes a name, an optional docstring and a value", form)
      }
    }
    // `(def quote 1)`: a special form is analyzed before any global is looked up, so such a
    // definition could never be read. (`defn` is not checked: the look-up cost 0.25 % of a
    // reload of 1,000 functions.)
    if SpecialForms.lookup[name] != nil {
      throw SpecialForms.syntax("\(name) is a special form; a definition cannot replace it", items[1])
    }
    let valueForm: Syntax? = items.count >= 3 ? items[items.count - 1] : nil
    knownNames.insert(name)
    resolutionLog?.definitions += 1
    let symbol = Symbol.intern(name)
    resolutionLog?.definedSymbol = symbol
    var docstring: String? = nil
    if items.count == 4, case .string(let text) = items[2].kind { docstring = text }
    version.setDocumentation(
      Documentation(
        docstring: docstring, arglistSpans: valueForm.map(Documentation.arglistSpans(of:)) ?? ArglistSpans(),
        span: form.span, file: owningFile(of: form.span),
        printedArglists: valueForm.flatMap { value in
          value.span == form.span
            ? Documentation.printedArglists(Documentation.parameterVectors(of: value), definedAt: form.span) : nil
        }), of: symbol)
    var isFunction = false
    let value: Node
    if let valueForm, let parts = valueForm.listElements, parts.first?.symbolName == "fn",
      function.lookup("fn") == nil, parts.count > 1, parts[1].symbolName == nil
    {
      isFunction = true
      let lambda = try analyzeFunction(valueForm, parts[...], definedName: name)
      value = LambdaNode(lambda: lambda, span: valueForm.span)
    } else if let valueForm {
      value = try analyze(valueForm, .value)
    } else {
      value = ConstantNode(.nil, span: form.span)
    }
    return DefineNode(entry: entry, name: symbol, value: value, isFunction: isFunction, isOnce: once, span: form.span)
  }

  /// `(defn name "doc"? {attrs}? [params] body…)`, or with `([params] body…)` clauses: what
  /// `(def name "doc"? (fn [params] body…))`, its expansion (`CoreMacros.defn`), compiles to,
  /// analyzed from the form itself. Building the expansion cost six allocations per definition
  /// at every reload, a sixth of a full reload's. `macroexpand` still shows the expansion.
  func analyzeDefn(_ form: Syntax, _ items: [Syntax], _ position: Position) throws -> Node {
    let parts = try CoreMacros.DefnParts(form, items)
    let name = parts.name
    var docstring: String? = nil
    if case .string(let text)? = parts.docstring?.kind { docstring = text }
    let first = items[parts.parametersStart]
    // A local named `fn` makes `def` analyze the value as an expression: the expansion keeps that.
    if function.lookup("fn") != nil { return try analyze(try CoreMacros.defn(form, items), position) }
    knownNames.insert(name)
    resolutionLog?.definitions += 1
    let symbol = symbols.symbol(name)
    resolutionLog?.definedSymbol = symbol
    let arglists =
      first.vectorElements != nil
      ? ArglistSpans(only: first.span)
      : ArglistSpans(several: items[parts.parametersStart...].compactMap { clause in clause.listElements?.first?.span })
    // A `defn` a macro wrote has its vectors at the macro call: compared once, printed only then.
    let printed =
      first.span == form.span
      ? Documentation.printedArglists(
        first.vectorElements != nil
          ? [first] : items[parts.parametersStart...].compactMap { clause in clause.listElements?.first },
        definedAt: form.span) : nil
    version.setDocumentation(
      Documentation(
        docstring: docstring, arglistSpans: arglists, span: form.span, file: owningFile(of: form.span),
        printedArglists: printed), of: symbol)
    let lambda = try analyzeFunction(form, items[(parts.parametersStart - 1)...], definedName: name)
    return DefineNode(
      entry: entry, name: symbol, value: LambdaNode(lambda: lambda, span: form.span), isFunction: true, isOnce: false,
      span: form.span)
  }

  func analyzeMacroDefinition(_ form: Syntax, _ items: [Syntax]) throws -> Node {
    guard items.count >= 3, let name = items[1].symbolName else {
      throw SpecialForms.syntax("defmacro takes a name, parameters and a body", form)
    }
    // A special form is analyzed before any macro is looked up: the macro was never called.
    if SpecialForms.table[name] != nil {
      throw SpecialForms.syntax("\(name) is a special form; a macro cannot replace it", items[1])
    }
    resolutionLog?.blocked = true
    var rest = Array(items.dropFirst(2))
    var docstring: String? = nil
    if case .string(let text) = rest.first?.kind, rest.count > 1 {
      docstring = text
      rest.removeFirst()
    }
    let fnForm = Syntax.list([Syntax.symbol("fn", form.span)] + rest, form.span)
    version.setDocumentation(
      Documentation(
        docstring: docstring, arglistSpans: Documentation.arglistSpans(of: fnForm), span: form.span,
        file: owningFile(of: form.span), isMacro: true,
        printedArglists: Documentation.printedArglists(Documentation.parameterVectors(of: fnForm), definedAt: form.span)
      ),
      of: Symbol.intern(name))
    let lambda = try analyzeFunction(fnForm, (fnForm.listElements ?? [])[...], definedName: name)
    return DefineMacroNode(
      entry: entry, name: Symbol.intern(name), lambda: LambdaNode(lambda: lambda, span: form.span), span: form.span)
  }

  /// `(defstruct Point x y)` or `(defstruct Point (x Int) (y Int))`: the type, `get-x`, `Point?`.
  func analyzeStructDefinition(_ form: Syntax, _ items: [Syntax]) throws -> Node {
    guard items.count >= 2, let name = items[1].symbolName else {
      throw SpecialForms.syntax("defstruct takes a name and fields", form)
    }
    resolutionLog?.blocked = true
    var fields: [Keyword] = []
    for item in items.dropFirst(2) {
      let fieldName: String?
      if let plain = item.symbolName {
        fieldName = plain
      } else if case .symbol(let module?, _) = item.kind {
        fieldName = module
      } else if let parts = item.listElements, let first = parts.first?.symbolName {
        fieldName = first
      } else if case .string = item.kind {
        continue
      } else {
        fieldName = nil
      }
      guard let fieldName else { throw SpecialForms.syntax("a struct field is a name or (name Type)", item) }
      let keyword = Keyword.intern(fieldName)
      if fields.contains(keyword) { throw SpecialForms.syntax("field \(fieldName) appears twice in \(name)", item) }
      fields.append(keyword)
    }
    // The same fields as the version being replaced keep the same layout object: its instances
    // stay current, and a migrator's old-version names the version that introduced the layout.
    let replaced = runtime.transaction?.previousVersion(of: moduleName)?.structs[name] ?? version.structs[name]
    let type: StructType
    if let replaced, replaced.fields == fields, replaced.module == moduleName {
      type = replaced
    } else {
      type = StructType(name: name, module: moduleName, fields: fields, span: form.span)
      runtime.registry.entry(moduleName).remember(layout: type)
    }
    let current = version
    current.structs[name] = type
    let module = moduleName
    for (index, field) in fields.enumerated() {
      // Reads by field name, so instances of an earlier layout answer too (a migrator reads the
      // old instance with the new version's accessors); instances of this layout by position.
      let reader = FieldReader(field: field)
      let accessor = Builtin("get-\(field.name)", arity: 1...1) { [type] _, arguments in
        if case .structInstance(let instance) = arguments[0], instance.type === type, index < instance.values.count {
          return instance.values[index]
        }
        guard case .structInstance(let instance) = arguments[0], instance.type.name == name,
          instance.type.module == module
        else { throw Failure.type("a \(module):\(name)", arguments[0], in: "get-\(field.name)") }
        guard let value = reader.read(instance) else {
          throw OxurError(
            "unknown-field",
            "this \(module):\(name) has the layout of version \(instance.type.layoutVersion), which has no field \(field.name)"
          )
        }
        return value
      }
      let accessorName = Symbol.intern("get-\(field.name)")
      _ = current.define(accessorName, .builtin(accessor), isFunction: false)
      knownNames.insert(accessorName.name)
      let docstring = "The field \(field.name) of a \(module):\(name)."
      document(accessorName, docstring, arglists: "[\(name.lowercased())]", form)
    }
    let predicate = Builtin("\(name)?", arity: 1...1) { _, arguments in
      // By module too: another module's struct of the same name is another type.
      if case .structInstance(let instance) = arguments[0] {
        return .bool(instance.type.name == name && instance.type.module == module)
      }
      return .bool(false)
    }
    let predicateName = Symbol.intern("\(name)?")
    _ = current.define(predicateName, .builtin(predicate), isFunction: false)
    knownNames.insert(predicateName.name)
    document(predicateName, "True when value is a \(module):\(name), of any layout version.", arglists: "[value]", form)
    return ConstantNode(.symbol(Symbol.intern(name)), span: form.span)
  }

  /// The documentation of a name a form defines besides its own (a struct's accessors): `doc`
  /// said "(no documentation)" and `source` that it was not defined in Oxur code.
  private func document(_ name: Symbol, _ docstring: String, arglists: String, _ form: Syntax) {
    version.setDocumentation(
      Documentation(
        docstring: docstring, arglistSpans: ArglistSpans(), span: form.span, file: owningFile(of: form.span),
        printedArglists: arglists), of: name)
  }

  /// `(struct Point :x 1 :y 2)` or `(struct Point (x 1) (y 2))`; every field exactly once.
  func analyzeStructConstruction(_ form: Syntax, _ items: [Syntax]) throws -> Node {
    guard items.count >= 2, case .symbol(let module, let name) = items[1].kind else {
      throw SpecialForms.syntax("struct takes a type name and fields", form)
    }
    resolutionLog?.blocked = true
    let type: StructType?
    if let module {
      let provider = version.aliases[module] ?? module
      type = runtime.registry.existingEntry(provider)?.current?.structs[name]
      if provider != moduleName, let type {
        if version.layoutSources.insert(provider).inserted { version.layoutSpans[provider] = items[1].span }
        version.constructedLayouts[provider, default: [:]][name] = type.fields
      }
    } else {
      type = version.structs[name]
    }
    guard let type else { throw SpecialForms.syntax("unknown struct type \(name)", items[1]) }
    var values: [Node?] = Array(repeating: nil, count: type.fields.count)
    var index = 2
    while index < items.count {
      let fieldName: String
      let valueForm: Syntax
      if case .keyword(let key) = items[index].kind, index + 1 < items.count {
        fieldName = key
        valueForm = items[index + 1]
        index += 2
      } else if let pair = items[index].listElements, pair.count == 2, let key = pair[0].symbolName {
        fieldName = key
        valueForm = pair[1]
        index += 1
      } else {
        throw SpecialForms.syntax("struct fields are :name value pairs or (name value)", items[index])
      }
      guard let position = type.fieldIndex[Keyword.intern(fieldName)] else {
        throw SpecialForms.syntax("unknown field \(fieldName) in struct \(name)", form)
      }
      if values[position] != nil { throw SpecialForms.syntax("field \(fieldName) given twice", form) }
      values[position] = try analyze(valueForm, .value)
    }
    var nodes: [Node] = []
    for (position, node) in values.enumerated() {
      guard let node else {
        throw SpecialForms.syntax("missing field \(type.fields[position].name) in struct \(name)", form)
      }
      nodes.append(node)
    }
    return StructConstructionNode(
      typeName: name, entry: runtime.registry.entry(type.module), analyzedType: type, values: nodes, owner: version,
      ownerEntry: runtime.registry.entry(moduleName), span: form.span)
  }

  /// `(defenum Shape (Circle r) (Rect w h) Empty)`.
  func analyzeEnumDefinition(_ form: Syntax, _ items: [Syntax]) throws -> Node {
    guard items.count >= 2, let name = items[1].symbolName else {
      throw SpecialForms.syntax("defenum takes a name and variants", form)
    }
    resolutionLog?.blocked = true
    var variants: [(String, Int)] = []
    // What defstruct refuses, defenum took: a variant twice, a field twice, `&` as a field, and
    // a lowercase variant, which no pattern could match (a lowercase name in a pattern binds).
    func add(_ variantName: String, fields: ArraySlice<Syntax>, at item: Syntax) throws {
      // Some, None, Ok and Err are the built-in enums' (a pattern meant one or the other), and
      // a variant name is one global per module: a second enum's took the first one's place.
      if ["Some", "None", "Ok", "Err"].contains(variantName) {
        throw SpecialForms.syntax("variant \(variantName) is built in (Option and Result)", item)
      }
      if let other = version.enums.values.first(where: {
        $0.name != name && $0.variants.contains { $0.name == variantName }
      }) {
        throw SpecialForms.syntax("variant \(variantName) is a variant of \(other.name) already", item)
      }
      guard variantName.first?.isUppercase == true else {
        throw SpecialForms.syntax(
          "variant \(variantName) must start with a capital letter (a lowercase name in a pattern binds)", item)
      }
      if variants.contains(where: { $0.0 == variantName }) {
        throw SpecialForms.syntax("variant \(variantName) appears twice in \(name)", item)
      }
      var fieldNames: Set<String> = []
      for field in fields {
        var fieldName = field.symbolName ?? field.listElements?.first?.symbolName
        if case .symbol(let annotated?, _) = field.kind { fieldName = annotated }  // `r:Float`
        guard let fieldName, fieldName != "&" else {
          throw SpecialForms.syntax("a variant field is a name or (name Type)", field)
        }
        guard fieldNames.insert(fieldName).inserted else {
          throw SpecialForms.syntax("field \(fieldName) appears twice in variant \(variantName)", field)
        }
      }
      variants.append((variantName, fields.count))
    }
    for item in items.dropFirst(2) {
      if let plain = item.symbolName {
        try add(plain, fields: [], at: item)
      } else if let parts = item.listElements, let variantName = parts.first?.symbolName {
        try add(variantName, fields: parts.dropFirst(), at: item)
      } else if case .string = item.kind {
        continue
      } else {
        throw SpecialForms.syntax("a variant is Name or (Name field…)", item)
      }
    }
    let type = EnumType(name: name, module: moduleName, variants: variants)
    let current = version
    current.enums[name] = type
    for variant in type.variants {
      current.variants[variant.name] = variant
      _ = current.define(Symbol.intern(variant.name), variant.bareValue, isFunction: false)
      knownNames.insert(variant.name)
    }
    return ConstantNode(.symbol(Symbol.intern(name)), span: form.span)
  }

  func analyzeModuleHeader(_ form: Syntax, _ items: [Syntax]) throws -> Node {
    try Self.checkModuleHeader(form)
    resolutionLog?.blocked = true
    let declared = describe(items[1])
    guard declared == moduleName else {
      throw SpecialForms.syntax("(module \(declared)) must be the first form of its file", form)
    }
    return ConstantNode(.nil, span: form.span)
  }

  /// `(module name)`: one unqualified name (dots make a hierarchy, `app.util`). Anything else
  /// loaded silently under the file's base name, and `(module a:b)` made a module no qualified
  /// name could reach.
  static func checkModuleHeader(_ form: Syntax) throws {
    guard let items = form.listElements, items.count == 2, case .symbol(nil, _) = items[1].kind else {
      throw SpecialForms.syntax("module takes one unqualified name, as in (module app.util)", form)
    }
  }

  func analyzeExport(_ form: Syntax, _ items: [Syntax]) throws -> Node {
    resolutionLog?.blocked = true
    var names = version.exports ?? []
    for item in items.dropFirst() {
      guard let name = item.symbolName else { throw SpecialForms.syntax("export takes names", item) }
      names.insert(Symbol.intern(name))
    }
    version.exports = names
    entry.invalidateSites()  // sites elsewhere that reached a name now unexported must fail
    return ConstantNode(.nil, span: form.span)
  }

  /// `(import m)`, `(import m :as alias)`, `(import m :refer [a b])`: loads m now if needed.
  func analyzeImport(_ form: Syntax, _ items: [Syntax]) throws -> Node {
    guard items.count >= 2, case .symbol = items[1].kind else {
      throw SpecialForms.syntax("import takes a module name", form)
    }
    resolutionLog?.blocked = true
    let target = describe(items[1])
    var alias = target
    var refer: [String] = []
    var referSpans: [Span] = []
    var index = 2
    while index + 1 < items.count {
      guard case .keyword(let option) = items[index].kind else {
        throw SpecialForms.syntax("import options are :as name and :refer [names]", items[index])
      }
      switch option {
      case "as":
        guard let name = items[index + 1].symbolName else {
          throw SpecialForms.syntax(":as takes a name", items[index + 1])
        }
        alias = name
      case "refer":
        guard let names = items[index + 1].vectorElements else {
          throw SpecialForms.syntax(":refer takes a vector of names", items[index + 1])
        }
        for name in names {
          guard let plain = name.symbolName else { throw SpecialForms.syntax(":refer takes names", name) }
          refer.append(plain)
          referSpans.append(name.span)
        }
      default:
        throw SpecialForms.syntax("unknown import option :\(option)", items[index])
      }
      index += 2
    }
    if index < items.count { throw SpecialForms.syntax("import option without a value", items[index]) }
    try runtime.ensureLoaded(module: target, importedFrom: version.path, span: form.span, machine: machine)
    let current = version
    current.aliases[alias] = target
    current.aliases[target] = target
    if !current.imports.contains(target) {
      current.imports.append(target)
      current.importSpans[target] = form.span
    }
    for (name, span) in zip(refer, referSpans) {
      current.referred[Symbol.intern(name)] = target
      if current.number == 0 {
        current.externalUses.append(ExternalUse(module: target, name: Symbol.intern(name), span: span))
      }
    }
    entry.invalidateSites()
    return ConstantNode(.nil, span: form.span)
  }
}

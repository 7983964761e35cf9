// The special forms: binding, functions, control, errors. Definitions live in Definitions.swift.

import OxurSyntax

enum SpecialForms {
  typealias Handler = @Sendable (Analyzer, Syntax, [Syntax], Position) throws -> Node

  /// `table` for the analyzer's look-ups (see `NameTable`).
  static let lookup = NameTable(table)

  static let table: [String: Handler] = [
    "quote": { _, form, items, _ in
      guard items.count == 2 else { throw syntax("quote takes one form", form) }
      return ConstantNode(SyntaxConversion.value(items[1]), span: form.span)
    },
    "quasiquote": { analyzer, form, items, position in
      guard items.count == 2 else { throw syntax("quasiquote takes one form", form) }
      return try analyzer.analyze(try Quasiquote.expand(items[1]), position)
    },
    "unquote": { _, form, _, _ in throw syntax("~ (unquote) used outside a quasiquote", form) },
    "unquote-splicing": { _, form, _, _ in throw syntax("~@ (unquote-splicing) used outside a quasiquote", form) },
    "if": { analyzer, form, items, position in
      guard items.count == 3 || items.count == 4 else {
        throw syntax("if takes a condition, a then-branch and an optional else-branch", form)
      }
      let condition = try analyzer.analyze(items[1], .value)
      let then = try analyzer.analyze(items[2], position)
      let otherwise = items.count == 4 ? try analyzer.analyze(items[3], position) : ConstantNode(.nil, span: form.span)
      return IfNode.make(condition, then, otherwise, span: form.span)
    },
    "do": { analyzer, form, items, position in
      try analyzer.analyzeBody(items.dropFirst(), position, span: form.span)
    },
    "let": { analyzer, form, items, position in try analyzer.analyzeLet(form, items, position) },
    "loop": { analyzer, form, items, position in try analyzer.analyzeLoop(form, items, position) },
    "recur": { analyzer, form, items, position in try analyzer.analyzeRecur(form, items, position) },
    "fn": { analyzer, form, items, _ in
      LambdaNode(lambda: try analyzer.analyzeFunction(form, items[...], definedName: nil), span: form.span)
    },
    "set!": { analyzer, form, items, _ in try analyzer.analyzeAssignment(form, items) },
    "match": { analyzer, form, items, position in try analyzer.analyzeMatch(form, items, position) },
    "receive": { analyzer, form, items, position in try analyzer.analyzeReceive(form, items, position) },
    "try": { analyzer, form, items, _ in try analyzer.analyzeTry(form, items) },
    "throw": { analyzer, form, items, _ in
      guard items.count == 2 else { throw syntax("throw takes one value", form) }
      return ThrowNode(value: try analyzer.analyze(items[1], .value), span: form.span)
    },
    "def": { analyzer, form, items, _ in try analyzer.analyzeDefinition(form, items, once: false) },
    "defonce": { analyzer, form, items, _ in try analyzer.analyzeDefinition(form, items, once: true) },
    "defmacro": { analyzer, form, items, _ in try analyzer.analyzeMacroDefinition(form, items) },
    "defstruct": { analyzer, form, items, _ in try analyzer.analyzeStructDefinition(form, items) },
    "struct": { analyzer, form, items, _ in try analyzer.analyzeStructConstruction(form, items) },
    "defenum": { analyzer, form, items, _ in try analyzer.analyzeEnumDefinition(form, items) },
    "module": { analyzer, form, items, _ in try analyzer.analyzeModuleHeader(form, items) },
    "export": { analyzer, form, items, _ in try analyzer.analyzeExport(form, items) },
    "import": { analyzer, form, items, _ in try analyzer.analyzeImport(form, items) },
    EmbeddedValues.marker: { _, form, items, _ in
      guard let value = EmbeddedValues.value(of: items) else { throw syntax("bad embedded value", form) }
      return ConstantNode(value, span: form.span)
    },
  ]

  static func syntax(_ message: String, _ form: Syntax) -> OxurError {
    OxurError("syntax", message, span: form.span)
  }
}

extension Analyzer {
  /// The text of a form for messages.
  func describe(_ form: Syntax) -> String { Printer.readable(SyntaxConversion.value(form), limit: 60) }

  /// A binding target: a plain name stores into a slot, anything else destructures.
  func bind(_ target: Syntax, to value: Node, span: Span) throws -> Node {
    var names: Set<String> = []
    return try bind(target, to: value, span: span, names: &names)
  }

  /// `names`: the names bound so far by the same parameter list, which may not bind one twice.
  func bind(_ target: Syntax, to value: Node, span: Span, names: inout Set<String>) throws -> Node {
    var bound: [String: LocalVariable] = [:]
    let pattern = try compilePattern(target, bound: &bound, here: &names)
    if case .bind(let slot, let boxed) = pattern {
      return SetLocalNode(slot: slot, value: value, boxed: boxed, span: span)
    }
    return DestructureNode(pattern: pattern, value: value, patternText: describe(target), span: target.span)
  }

  func analyzeLet(_ form: Syntax, _ items: [Syntax], _ position: Position) throws -> Node {
    guard items.count >= 2, let bindings = items[1].vectorElements, bindings.count % 2 == 0 else {
      throw SpecialForms.syntax("let needs a vector of name/value pairs", form)
    }
    function.pushBlock()
    defer { function.popBlock() }
    var nodes: [Node] = []
    var index = 0
    while index < bindings.count {
      let value = try analyze(bindings[index + 1], .value)
      nodes.append(try bind(bindings[index], to: value, span: bindings[index].span))
      index += 2
    }
    let body = try analyzeBody(items.dropFirst(2), position, span: form.span)
    return nodes.isEmpty ? body : LetNode(bindings: nodes, body: body, span: form.span)
  }

  func analyzeLoop(_ form: Syntax, _ items: [Syntax], _ position: Position) throws -> Node {
    guard items.count >= 2, let bindings = items[1].vectorElements, bindings.count % 2 == 0 else {
      throw SpecialForms.syntax("loop needs a vector of name/value pairs", form)
    }
    function.pushBlock()
    let savedCandidates = function.moveCandidates
    function.moveCandidates = [:]
    defer {
      function.popBlock()
      function.moveCandidates = savedCandidates
    }
    var initial: [Node] = []
    var slots: [Int] = []
    var prologue: [Node] = []
    var index = 0
    while index < bindings.count {
      let value = try analyze(bindings[index + 1], .value)
      let target = bindings[index]
      if let name = target.symbolName ?? annotatedName(target) {
        let variable = function.declare(name)
        slots.append(variable.slot)
        initial.append(SetLocalNode(slot: variable.slot, value: value, boxed: false, span: target.span))
        if variable.boxed { prologue.append(BoxSlotNode(slot: variable.slot, span: target.span)) }
      } else {
        let hidden = function.allocateSlot()
        slots.append(hidden)
        initial.append(SetLocalNode(slot: hidden, value: value, boxed: false, span: target.span))
        prologue.append(try bind(target, to: LocalNode(slot: hidden, span: target.span), span: target.span))
      }
      index += 2
    }
    let saved = function.recurTarget
    function.recurTarget = RecurTarget(slots: slots)
    defer { function.recurTarget = saved }
    var body = try analyzeBody(items.dropFirst(2), Position(tail: position.tail, recur: true), span: form.span)
    if !prologue.isEmpty { body = DoNode(prologue, last: body, span: form.span) }
    return LoopNode.make(bindings: initial, body: body, span: form.span)
  }

  /// `x:Type` in a binding position names x.
  func annotatedName(_ form: Syntax) -> String? {
    if case .symbol(let module?, _) = form.kind, resolveVariant(module: module, name: "") == nil,
      version.enums[module] == nil
    {
      return module
    }
    return nil
  }

  func analyzeRecur(_ form: Syntax, _ items: [Syntax], _ position: Position) throws -> Node {
    guard position.recur, let target = function.recurTarget else {
      throw SpecialForms.syntax("recur can only be used in tail position of a loop or function", form)
    }
    let arguments = Array(items.dropFirst())
    guard arguments.count == target.count else {
      throw SpecialForms.syntax(
        "recur expects \(target.count) argument(s), got \(arguments.count)", form)
    }
    let slots = target.slots
    let values = try analyzeLastUseArguments(arguments, dying: Set(slots))
    return RecurNode(slots: slots, values: values, span: form.span)
  }

  /// `(fn name? [params] body…)` or `(fn name? ([params] body…) …)`.
  /// `items` from the `fn` head on; the head itself is not looked at (`defn` passes its own
  /// elements, from the one before the parameters).
  func analyzeFunction(_ form: Syntax, _ items: ArraySlice<Syntax>, definedName: String?) throws -> Lambda {
    // Slices of `items`, not copies: every `defn` of a reloaded module comes through here.
    var rest = items.dropFirst()
    var selfName: String? = nil
    if let name = rest.first?.symbolName {
      selfName = name
      rest = rest.dropFirst()
    }
    // One clause (almost every function) needs no array of clauses: one allocation per
    // definition at every reload. Nor a tuple of its parts: copying one cost ~900 instructions.
    let singleParameters = rest.first?.vectorElements
    var clauses: [(params: [Syntax], body: ArraySlice<Syntax>, span: Span)] = []
    if singleParameters == nil {
      for clause in rest {
        guard let parts = clause.listElements, let params = parts.first?.vectorElements else {
          throw SpecialForms.syntax("fn needs a parameter vector or ([params] body…) clauses", clause)
        }
        clauses.append((params, parts.dropFirst(), clause.span))
      }
    }
    // A function of one clause makes its capture list only if it captures something (most
    // definitions do not: one allocation each at every reload); clauses share one.
    let shared: CaptureList? = singleParameters == nil ? CaptureList() : nil
    var captures = shared
    let outer = function
    let savedCandidates = outer.moveCandidates
    outer.moveCandidates = [:]
    defer { outer.moveCandidates = savedCandidates }
    func analyzeClause(_ params: [Syntax], _ body: ArraySlice<Syntax>, _ span: Span) throws -> Arity {
      var context = makeContext(parent: outer, assignedNames: outer.assignedNames, captures: shared)
      function = context
      defer {
        function = outer
        if captures == nil { captures = context.existingCaptures }
        retire(&context)
      }
      return try analyzeArity(params, body, span: span, selfName: definedName == nil ? selfName : nil)
    }
    let firstArity: Arity
    var otherArities: [Arity] = []
    if let singleParameters {
      firstArity = try analyzeClause(singleParameters, rest.dropFirst(), form.span)
    } else if let first = clauses.first {
      firstArity = try analyzeClause(first.params, first.body, first.span)
      for clause in clauses.dropFirst() {
        otherArities.append(try analyzeClause(clause.params, clause.body, clause.span))
      }
    } else {
      throw SpecialForms.syntax("fn needs a parameter vector", form)
    }
    // One arity (almost every function) cannot clash with another: no arrays and set to build.
    if !otherArities.isEmpty {
      let arities = [firstArity] + otherArities
      let variadicCount = arities.filter(\.isVariadic).count
      if variadicCount > 1 { throw SpecialForms.syntax("a function can have only one variadic arity", form) }
      let fixedCounts = arities.filter { !$0.isVariadic }.map(\.requiredCount)
      if Set(fixedCounts).count != fixedCounts.count {
        throw SpecialForms.syntax("two arities of this function take the same number of arguments", form)
      }
    }
    return Lambda(
      name: definedName ?? selfName, module: definedName == nil ? nil : moduleName, firstArity: firstArity,
      otherArities: otherArities, captureSources: captures?.sources ?? [], span: form.span,
      sourceFile: owningFile(of: form.span), homeModule: moduleName)
  }

  private func analyzeArity(_ params: [Syntax], _ bodyForms: ArraySlice<Syntax>, span: Span, selfName: String?) throws
    -> Arity
  {
    var prologue: [Node] = []
    var required = 0
    var variadic = false
    var index = 0
    // Each parameter takes the next slot, so they are `firstSlot..<firstSlot + parameterCount`.
    let firstSlot = function.slotCount
    var parameterCount = 0
    var pending: [(Syntax, Int)] = []
    // `(fn [a a] a)` took the last argument for both: a name repeated is an error, as in a pattern.
    // Short lists are scanned (a set cost an allocation a function: 4 % of a reload of 1,000
    // one-line functions); long ones use a set, so a hostile list is not quadratic.
    var names: Set<String> = []
    let scansForRepeats = params.count <= 16
    while index < params.count {
      let param = params[index]
      if param.symbolName == "&" {
        guard index + 2 == params.count else {
          throw SpecialForms.syntax("& must be followed by exactly one parameter", param)
        }
        variadic = true
        index += 1
        continue
      }
      if let name = param.symbolName ?? annotatedName(param) {
        // `_` may repeat; compared only when another parameter has the name (the first has none).
        let repeated =
          scansForRepeats
          ? params[..<index].contains { ($0.symbolName ?? annotatedName($0)) == name } && name != "_"
          : name != "_" && !names.insert(name).inserted
        guard !repeated else {
          throw SpecialForms.syntax("parameter \(name) appears more than once", param)
        }
        let variable = function.declare(name, boxed: false)
        parameterCount += 1
        if function.assignedNames.contains(name) { pending.append((param, variable.slot)) }
      } else {
        let slot = function.allocateSlot()
        parameterCount += 1
        pending.append((param, slot))
      }
      if !variadic { required += 1 }
      index += 1
    }
    guard function.slotCount == firstSlot + parameterCount else {
      throw OxurError("internal", "parameter slots are not consecutive", span: span)
    }
    // A destructuring parameter may not bind a name another parameter binds (`[a [a]]` took
    // the inner one): its pattern starts with every name bound so far.
    var patternNames: Set<String> = []
    if pending.contains(where: { $0.0.symbolName == nil && annotatedName($0.0) == nil }) {
      for param in params {
        if let name = param.symbolName ?? annotatedName(param), name != "_", name != "&" { patternNames.insert(name) }
      }
    }
    for (param, slot) in pending {
      if param.symbolName != nil || annotatedName(param) != nil {
        // A parameter assigned with set!: rebind it boxed, so closures share the cell.
        let name = param.symbolName ?? annotatedName(param) ?? ""
        let variable = function.declare(name, boxed: true)
        prologue.append(
          SetLocalNode(
            slot: variable.slot, value: LocalNode(slot: slot, span: param.span), boxed: true, span: param.span))
      } else {
        prologue.append(
          try bind(param, to: LocalNode(slot: slot, span: param.span), span: param.span, names: &patternNames))
      }
    }
    var selfSlot: Int? = nil
    if let selfName { selfSlot = function.declare(selfName, boxed: false).slot }
    var body = bodyForms
    // `-> Type` after the parameters documents the return type.
    if body.count >= 3, body.first?.symbolName == "->", case .symbol = body[body.startIndex + 1].kind {
      body = body.dropFirst(2)
    }
    function.recurTarget = RecurTarget(consecutive: firstSlot..<(firstSlot + parameterCount))
    var node = try analyzeBody(body, Position(tail: true, recur: true), span: span)
    if !prologue.isEmpty { node = DoNode(prologue, last: node, span: span) }
    return Arity(
      requiredCount: required, isVariadic: variadic, frameSize: max(function.slotCount, 1), body: node, span: span,
      captureMap: function.captureMap, selfSlot: selfSlot)
  }

  func analyzeAssignment(_ form: Syntax, _ items: [Syntax]) throws -> Node {
    guard items.count == 3, case .symbol(let module, let name) = items[1].kind else {
      throw SpecialForms.syntax("set! takes a name and a value", form)
    }
    let value = try analyze(items[2], .value)
    if module == nil, let local = function.lookup(name) {
      return AssignLocalNode(slot: local.slot, value: value, boxed: local.boxed, span: form.span)
    }
    let target: GlobalSite
    if let module {
      target = site(module: aliasTarget(module), name: name, span: items[1].span)
    } else if case .global(let global) = resolveGlobal(name, span: items[1].span) {
      target = global
    } else {
      throw SpecialForms.syntax("cannot assign to \(name): it is not a local or a global of this module", form)
    }
    return AssignGlobalNode(site: target, value: value, span: form.span)
  }

  /// `(pattern body…)` or `(pattern :when guard body…)`, in its own block: a clause of `match`
  /// and of `receive`. `parts` are the clause's elements (not empty).
  func analyzeMatchClause(_ clause: Syntax, _ parts: [Syntax], _ position: Position) throws -> MatchNode.Clause {
    function.pushBlock()
    defer { function.popBlock() }
    var bound: [String: LocalVariable] = [:]
    let pattern = try compilePattern(parts[0], bound: &bound)
    var body = parts.dropFirst()
    var guardNode: Node? = nil
    if case .keyword("when")? = body.first?.kind {
      guard body.count >= 2 else { throw SpecialForms.syntax(":when needs a guard expression", clause) }
      guardNode = try analyze(body[body.startIndex + 1], .value)
      body = body.dropFirst(2)
    }
    return .init(pattern: pattern, guardNode: guardNode, body: try analyzeBody(body, position, span: clause.span))
  }

  func analyzeMatch(_ form: Syntax, _ items: [Syntax], _ position: Position) throws -> Node {
    guard items.count >= 2 else { throw SpecialForms.syntax("match needs a value to match", form) }
    let subject = try analyze(items[1], .value)
    var clauses: [MatchNode.Clause] = []
    for clause in items.dropFirst(2) {
      guard let parts = clause.listElements, !parts.isEmpty else {
        throw SpecialForms.syntax("a match clause is (pattern body…)", clause)
      }
      clauses.append(try analyzeMatchClause(clause, parts, position))
    }
    return MatchNode(subject: subject, clauses: clauses, span: form.span)
  }

  func analyzeTry(_ form: Syntax, _ items: [Syntax]) throws -> Node {
    var body: [Syntax] = []
    var catchClause: [Syntax]? = nil
    var finallyClause: [Syntax]? = nil
    for item in items.dropFirst() {
      if let parts = item.listElements, let head = parts.first?.symbolName, head == "catch" || head == "finally" {
        if head == "catch" {
          guard catchClause == nil, finallyClause == nil else { throw SpecialForms.syntax("misplaced catch", item) }
          catchClause = parts
        } else {
          guard finallyClause == nil else { throw SpecialForms.syntax("only one finally", item) }
          finallyClause = parts
        }
        continue
      }
      guard catchClause == nil && finallyClause == nil else {
        throw SpecialForms.syntax("try body forms must come before catch and finally", item)
      }
      body.append(item)
    }
    let bodyNode = try analyzeBody(body[...], .value, span: form.span)
    var catchSlot: Int? = nil
    var handler: Node? = nil
    if let catchClause {
      var parts = catchClause.dropFirst()
      // Clojure's (catch Type e …) is accepted; the type is ignored.
      if parts.count >= 2, let first = parts.first?.symbolName, first.first?.isUppercase == true,
        parts.dropFirst().first?.symbolName != nil
      {
        parts = parts.dropFirst()
      }
      guard let name = parts.first?.symbolName else { throw SpecialForms.syntax("catch needs a name to bind", form) }
      function.pushBlock()
      defer { function.popBlock() }
      let variable = function.declare(name, boxed: false)
      catchSlot = variable.slot
      handler = try analyzeBody(parts.dropFirst(), .value, span: form.span)
    }
    let finallyNode = try finallyClause.map { try analyzeBody($0.dropFirst(), .value, span: form.span) }
    return TryNode(body: bodyNode, catchSlot: catchSlot, handler: handler, finally: finallyNode, span: form.span)
  }
}

/// Re-boxes a slot whose variable is shared with closures (after `recur` stored a raw value).
final class BoxSlotNode: Node {
  let slot: Int
  init(slot: Int, span: Span) {
    self.slot = slot
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    fp[slot] = .atom(Atom(fp[slot]))
    return .nil
  }
}

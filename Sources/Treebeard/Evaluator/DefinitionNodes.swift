// Nodes that define things at run time: def/defonce, defmacro, struct construction.

import OxurSyntax

/// `(def name value)` at run time: defines into the module's current (or staging) version.
final class DefineNode: Node {
  let entry: ModuleEntry
  let name: Symbol
  let value: Node
  let isFunction: Bool
  let isOnce: Bool
  /// The value is a function that captures nothing: every run of this node can give the same
  /// closure (`madeClosure`).
  private let makesPlainFunction: Bool
  /// The closure this definition made the first time it ran. A reload that reuses the
  /// definition's code runs this node again, and the new version's binding then holds the same
  /// closure as the old one's: a closure per definition per kept version was a fifth of what a
  /// kept version of a large module cost. Cells (bindings) stay per version.
  @exclusivity(unchecked) private var madeClosure: Closure? = nil

  init(entry: ModuleEntry, name: Symbol, value: Node, isFunction: Bool, isOnce: Bool, span: Span) {
    self.entry = entry
    self.name = name
    self.value = value
    self.isFunction = isFunction
    self.isOnce = isOnce
    self.makesPlainFunction = (value as? LambdaNode)?.lambda.captureSources.isEmpty ?? false
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    guard let version = entry.current else {
      throw OxurError("internal", "module \(entry.name) has no version to define \(name.name) in", span: span)
    }
    // A Binding object is never replaced in a version: call sites hold it unretained, owned by
    // the version, so replacing it would leave them pointing at freed memory.
    if isOnce {
      if let existing = version.bindings[name] {
        existing.isOnce = true  // already has a value (defonce again, or def then defonce): keep it
        return .symbol(name)
      }
      // The staging version gets its own cell holding the carried value, so a reload that fails
      // after changing it leaves the running version's value untouched.
      let carried = m.runtime.carriedOnce(module: entry.name, name: name)
      let initial = try carried?.value ?? value.eval(m, fp)
      version.define(name, initial, isFunction: false).isOnce = true
      return .symbol(name)
    }
    let result: Value
    if let madeClosure {
      result = .closure(madeClosure)
    } else {
      result = try value.eval(m, fp)
      if makesPlainFunction, case .closure(let made) = result { madeClosure = made }
    }
    var function = isFunction
    if case .closure = result { function = true }  // also `(def f (fn f [x] …))`
    // A staging version (number 0, every definition of every load) has no earlier definition
    // to announce: no look-up for it.
    let inPlace = version.number > 0
    let wasFunction = inPlace && version.bindings[name]?.isFunction == true
    let binding = version.define(name, result, isFunction: function)
    // A definition made in place in a committed version (the REPL, in-module) can change what
    // a name means (def ↔ defn, a name that shadows a :refer): sites relink.
    if inPlace {
      entry.invalidateSites()
      // A function redefined interactively is a hot load of its own (never during a load,
      // whose report lists its changes instead).
      if wasFunction, function, m.runtime.announcesHotLoads, m.runtime.transaction == nil,
        entry.name == m.currentModule
      {
        m.output.write("✓ Hot-loaded: \(name.name) (v\(binding.version - 1) → v\(binding.version))\n")
      }
    }
    return .symbol(name)
  }
}

/// Stores a macro's expander function into the module when the form runs.
final class DefineMacroNode: Node {
  let entry: ModuleEntry
  let name: Symbol
  let lambda: LambdaNode
  init(entry: ModuleEntry, name: Symbol, lambda: LambdaNode, span: Span) {
    self.entry = entry
    self.name = name
    self.lambda = lambda
    super.init(span: span)
  }
  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    let function = try lambda.eval(m, fp)
    entry.current?.macros[name] = function
    return .symbol(name)
  }
}

/// Builds a struct instance with the layout the defining module has *now*, so code in other
/// modules follows a reload that changes the struct (fields are matched by name; a field the
/// new layout added and this code does not give is an error) — unless this code's own version
/// has been replaced since: a call that began before the reload, or a closure kept from it,
/// finishes in that version's code (the reload's warning says so), so where the new layout
/// needs a field it does not give, it builds the layout it was written against. That instance
/// is one of an old layout, as `:force` keeps them: the next reload migrates it, and a field
/// only the new layout has reads as an error naming its layout's version.
final class StructConstructionNode: Node {
  let typeName: String
  let entry: ModuleEntry
  let analyzedType: StructType
  let values: [Node]
  /// The module whose code this is, and the version it was compiled into.
  private let ownerEntry: ModuleEntry
  private weak var owner: ModuleVersion?
  private var cachedGeneration: UInt = .max
  private var cachedType: StructType
  /// For each field of `cachedType`, the index into `values` (nil: not given).
  private var sources: [Int?] = []

  init(
    typeName: String, entry: ModuleEntry, analyzedType: StructType, values: [Node], owner: ModuleVersion,
    ownerEntry: ModuleEntry, span: Span
  ) {
    self.typeName = typeName
    self.entry = entry
    self.analyzedType = analyzedType
    self.values = values
    self.owner = owner
    self.ownerEntry = ownerEntry
    self.cachedType = analyzedType
    self.sources = Array(0..<values.count)
    super.init(span: span)
  }

  override func eval(_ m: Machine, _ fp: UnsafeMutablePointer<Value>) throws -> Value {
    if entry.generation != cachedGeneration { relink() }
    var result: [Value] = []
    result.reserveCapacity(sources.count)
    for (position, source) in sources.enumerated() {
      guard let source else {
        throw OxurError(
          "unknown-field", "missing field \(cachedType.fields[position].name) in struct \(typeName)", span: span)
      }
      result.append(try values[source].eval(m, fp))
    }
    return .structInstance(StructInstance(type: cachedType, values: result))
  }

  private func relink() {
    cachedGeneration = entry.generation
    let current = entry.current?.structs[typeName] ?? analyzedType
    let fromCurrent = current.fields.map { analyzedType.fieldIndex[$0] }
    let superseded = owner.map { ownerEntry.current !== $0 } ?? true
    if superseded && fromCurrent.contains(where: { $0 == nil }) {
      cachedType = analyzedType
      sources = Array(0..<values.count)
      entry.rememberIfForgotten(layout: analyzedType)
    } else {
      cachedType = current
      sources = fromCurrent
    }
  }
}

// The prelude table: every builtin by name, assembled from the themed files beside this one.

/// Builds the name → builtin table once per process; each runtime starts from a copy.
enum Prelude {
  /// The prelude's builtins, one table for the process: every interpreter starts from it.
  /// They hold no interpreter state (a body reaches its runtime through the machine it is
  /// given) and live as long as the process, so they are immortal: a call node that holds `+`
  /// retains and releases it without an atomic read-modify-write.
  static let standard: [String: Builtin] = {
    let builtins = buildTable()
    for builtin in builtins.values { Immortal.make(builtin) }
    return builtins
  }()

  private static func buildTable() -> [String: Builtin] {
    var table = PreludeTable()
    NumberBuiltins.register(&table)
    CollectionBuiltins.register(&table)
    SequenceBuiltins.register(&table)
    StringBuiltins.register(&table)
    OutputBuiltins.register(&table)
    InputBuiltins.register(&table)
    SystemBuiltins.register(&table)
    ModuleBuiltins.register(&table)
    RollbackBuiltins.register(&table)
    HelpBuiltins.register(&table)
    ProcessBuiltins.register(&table)
    table.mark(.macroexpand, "macroexpand")
    table.mark(.macroexpandOnce, "macroexpand-1")
    table.mark(.spawn, "spawn")
    table.mark(.reportsFailure, "load", "reload", "reload-all", "rollback", "unload")
    return table.builtins
  }
}

/// Registration helper so each file reads as a list of definitions.
struct PreludeTable {
  var builtins: [String: Builtin] = [:]

  mutating func define(_ name: String, _ arity: ClosedRange<Int>, _ body: @escaping Builtin.Body) {
    builtins[name] = Builtin(name, arity: arity, body)
  }

  mutating func define(_ name: String, atLeast minimum: Int, _ body: @escaping Builtin.Body) {
    builtins[name] = Builtin(name, atLeast: minimum, body)
  }

  /// Marks builtins that update their first argument in place (`Builtin.updatesFirstArgumentInPlace`).
  mutating func markUpdatingInPlace(_ names: String...) {
    for name in names { builtins[name]?.updatesFirstArgumentInPlace = true }
  }

  /// Gives builtins the analyzer treats specially their `Builtin.analysisRole`.
  mutating func mark(_ role: Builtin.AnalysisRole, _ names: String...) {
    for name in names { builtins[name]?.analysisRole = role }
  }

  mutating func alias(_ name: String, _ existing: String) {
    if let builtin = builtins[existing] {
      builtins[name] = Builtin(name, arity: builtin.minimumArity...(builtin.maximumArity ?? Int.max), builtin.body)
    }
  }
}

/// Argument checks with consistent messages.
enum Check {
  static func int(_ value: Value, _ context: String) throws -> Int {
    if case .int(let i) = value { return i }
    throw Failure.type("an integer", value, in: context)
  }

  static func string(_ value: Value, _ context: String) throws -> String {
    if case .string(let s) = value { return s.value }
    throw Failure.type("a string", value, in: context)
  }

  /// A file path: a string without NUL, which the system would cut the path at (Foundation
  /// instead wrote `x%00y` for `x\u{0}y`, and `load` recorded a file other than the one read).
  static func path(_ value: Value, _ context: String) throws -> String {
    let text = try string(value, context)
    if text.utf8.contains(0) { throw OxurError("io", "\(context): a path cannot contain a NUL character") }
    return text
  }

  static func atom(_ value: Value, _ context: String) throws -> Atom {
    if case .atom(let a) = value { return a }
    throw Failure.type("an atom", value, in: context)
  }

  /// A module named by a bare symbol (as `in-module` and the reporting forms take it) or a string.
  static func moduleName(_ value: Value, _ context: String) throws -> String {
    switch value {
    case .symbol(let symbol): return symbol.qualifiedName
    case .string(let s): return s.value
    default: throw Failure.type("a module name", value, in: context)
    }
  }

  static func function(_ value: Value, _ context: String) throws -> Value {
    if value.isCallable { return value }
    throw Failure.type("a function", value, in: context)
  }
}

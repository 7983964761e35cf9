// What an editor asks about names: completions of a prefix and where a name is defined.

import Foundation
import OxurSyntax

/// One candidate of `Interpreter.completions`.
public struct Completion: Sendable, Equatable {
  public let candidate: String
  /// `function`, `macro`, `variable` or `namespace` (nREPL's words).
  public let type: String
}

/// What `Interpreter.lookup` knows about a name.
public struct NameInfo: Sendable, Equatable {
  public let name: String
  /// The defining module, or `prelude` for a builtin.
  public let module: String
  public let type: String
  /// Each arity as `[a b & more]`-shaped text: the parameter list written in the definition
  /// when its source is at hand, else one placeholder per parameter.
  public let arglists: [String]
  /// The docstring, the one-line doc of a builtin, or else the definition's first source line.
  public let doc: String
  public let file: String?
  public let line: Int?
  public let column: Int?
}

extension Interpreter {
  /// Names visible from `module` that start with `prefix`: prelude builtins, special forms and
  /// core macros, the module's own definitions and macros, what it took with `:refer`, loaded
  /// module names and its aliases (as `m:`), and after `m:` what `m` exports.
  public func completions(prefix: String, module: String = "user", limit: Int = 500) -> [Completion] {
    runtime.lock.withLock {
      var found: [String: String] = [:]
      let registry = runtime.registry
      if let colon = prefix.firstIndex(of: ":"), colon != prefix.startIndex {
        let moduleName = String(prefix[..<colon])
        let rest = String(prefix[prefix.index(after: colon)...])
        let target =
          registry.existingEntry(moduleName)?.current
          ?? registry.existingEntry(module)?.current?.aliases[moduleName].flatMap {
            registry.existingEntry($0)?.current
          }
        if let target {
          for (symbol, binding) in target.bindings
          where symbol.name.hasPrefix(rest) && target.isExported(symbol) && !binding.isSessionVariable {
            found["\(moduleName):\(symbol.name)"] = binding.isFunction ? "function" : "variable"
          }
          for symbol in target.macros.keys where symbol.name.hasPrefix(rest) && target.isExported(symbol) {
            found["\(moduleName):\(symbol.name)"] = "macro"
          }
        }
      } else {
        for name in runtime.prelude.keys where name.hasPrefix(prefix) && !name.hasPrefix("%") {
          found[name] = "function"
        }
        for name in SpecialForms.table.keys where name.hasPrefix(prefix) && !name.hasPrefix("%") {
          found[name] = "special-form"
        }
        for name in CoreMacros.table.keys where name.hasPrefix(prefix) { found[name] = "macro" }
        if let own = registry.existingEntry(module)?.current {
          for (symbol, binding) in own.bindings where symbol.name.hasPrefix(prefix) {
            found[symbol.name] = binding.isFunction ? "function" : "variable"
          }
          for symbol in own.macros.keys where symbol.name.hasPrefix(prefix) { found[symbol.name] = "macro" }
          for symbol in own.referred.keys where symbol.name.hasPrefix(prefix) { found[symbol.name] = "function" }
          for alias in own.aliases.keys where alias.hasPrefix(prefix) { found[alias + ":"] = "namespace" }
        }
        for entry in registry.loadedModules where entry.current != nil && entry.name.hasPrefix(prefix) {
          found[entry.name + ":"] = "namespace"
        }
      }
      return found.sorted { $0.key < $1.key }.prefix(max(0, limit)).map {
        Completion(candidate: $0.key, type: $0.value)
      }
    }
  }

  /// Where `name` (`f` or `m:f`) seen from `module` is defined, or nil when nothing is.
  public func lookup(name: String, module: String = "user") -> NameInfo? {
    runtime.lock.withLock {
      let registry = runtime.registry
      var moduleName = module
      var local = name
      if let colon = name.firstIndex(of: ":"), colon != name.startIndex {
        moduleName = String(name[..<colon])
        local = String(name[name.index(after: colon)...])
        if registry.existingEntry(moduleName) == nil,
          let aliased = registry.existingEntry(module)?.current?.aliases[moduleName]
        {
          moduleName = aliased
        }
      }
      let symbol = Symbol.intern(local)
      if let version = registry.existingEntry(moduleName)?.current {
        let documentation = version.documentation(of: symbol)
        if let binding = version.bindings[symbol] {
          return Self.info(
            local, module: moduleName, value: binding.value, isFunction: binding.isFunction,
            documentation: documentation)
        }
        if let macro = version.macros[symbol] {
          return Self.info(
            local, module: moduleName, value: macro, isFunction: true, type: "macro", documentation: documentation)
        }
        if let provider = version.referred[symbol], let providing = registry.existingEntry(provider)?.current,
          let binding = providing.bindings[symbol]
        {
          return Self.info(
            local, module: provider, value: binding.value, isFunction: binding.isFunction,
            documentation: providing.documentation(of: symbol))
        }
      }
      if moduleName == module, let builtin = runtime.prelude[local] {
        let placeholders = (0..<builtin.minimumArity).map { "x\($0 + 1)" }
        let arglist =
          "[" + (placeholders + (builtin.maximumArity == nil ? ["&", "more"] : [])).joined(separator: " ") + "]"
        let known = PreludeDocs.entries[local]
        return NameInfo(
          name: local, module: "prelude", type: "function",
          arglists: known.map { Self.splitArglists($0.arglists) } ?? [arglist], doc: known?.doc ?? "builtin \(local)",
          file: nil, line: nil, column: nil)
      }
      return nil
    }
  }

  private static func info(
    _ name: String, module: String, value: Value, isFunction: Bool, type: String? = nil,
    documentation: Documentation? = nil
  ) -> NameInfo {
    guard case .closure(let closure) = value else {
      // A variable (or a host's value) is where its defining form is, when it has one.
      let file = documentation?.file ?? documentation?.span.file
      let span = documentation?.span ?? .unknown
      return NameInfo(
        name: name, module: module, type: type ?? (isFunction ? "function" : "variable"),
        arglists: documentation.map { splitArglists($0.arglists) } ?? [], doc: documentation?.docstring ?? "",
        file: file?.name, line: file == nil ? nil : span.line, column: file == nil ? nil : span.column)
    }
    let lambda = closure.lambda
    let recorded = documentation.map { splitArglists($0.arglists) } ?? []
    let arglists =
      !recorded.isEmpty
      ? recorded
      : lambda.arities.map { arity in
        Self.writtenParameters(arity.span)
          ?? "["
          + ((0..<arity.requiredCount).map { "x\($0 + 1)" } + (arity.isVariadic ? ["&", "more"] : []))
          .joined(separator: " ") + "]"
      }
    let span = lambda.span
    let doc =
      documentation?.docstring ?? span.file?.line(span.line).map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    return NameInfo(
      name: name, module: module, type: type ?? "function", arglists: arglists, doc: doc, file: span.file?.name,
      line: span.file == nil ? nil : span.line, column: span.file == nil ? nil : span.column)
  }

  /// `[x] [x [y z]]` → `["[x]", "[x [y z]]"]`: the top-level brackets of an arglists text.
  static func splitArglists(_ text: String) -> [String] {
    var lists: [String] = []
    var depth = 0
    var current = ""
    for character in text {
      if character == "[" { depth += 1 }
      if depth > 0 { current.append(character) }
      if character == "]" {
        depth -= 1
        if depth == 0 {
          lists.append(current)
          current = ""
        }
      }
    }
    return lists
  }

  /// The first `[...]` on the arity's source line, when it closes on that line.
  private static func writtenParameters(_ span: Span) -> String? {
    guard let line = span.file?.line(span.line), let open = line.firstIndex(of: "["),
      let close = line[open...].firstIndex(of: "]")
    else { return nil }
    return String(line[open...close])
  }
}

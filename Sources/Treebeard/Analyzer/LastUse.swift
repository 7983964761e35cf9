// Last-use analysis: which locals `recur` and tail calls may move out of their slots.

import OxurSyntax

extension Analyzer {
  /// Analyzes the arguments of `recur` or of a tail call. The frame's locals die right after, so a
  /// local named exactly once among all the arguments (and not inside a nested `fn` or `loop`)
  /// is read with a move. Counting is syntactic and conservative: any other mention disables it.
  /// `dying` limits the candidates to those slots (for `recur`: the rebound loop variables;
  /// other locals stay live into the next iteration).
  func analyzeLastUseArguments(_ forms: [Syntax], dying: Set<Int>? = nil) throws -> [Node] {
    // A user macro may repeat or introduce a variable the syntax shows once: no moves then.
    if forms.contains(where: containsUserMacroCall) { return try forms.map { try analyze($0, .value) } }
    var counts: [String: Int] = [:]
    for form in forms { SymbolCount.count(form, into: &counts, depth: 0) }
    var candidates: [ObjectIdentifier: LocalVariable] = [:]
    for (name, count) in counts where count == 1 {
      if let local = function.lookupWithoutCapture(name), !local.boxed, dying?.contains(local.slot) ?? true {
        candidates[ObjectIdentifier(local)] = local
      }
    }
    let saved = function.moveCandidates
    function.moveCandidates = candidates
    defer { function.moveCandidates = saved }
    return try forms.map { try analyze($0, .value) }
  }
}

extension Analyzer {
  func containsUserMacroCall(_ form: Syntax) -> Bool { containsUserMacroCall(form, depth: 0) }

  private func containsUserMacroCall(_ form: Syntax, depth: Int) -> Bool {
    guard depth < 500 else { return true }
    switch form.kind {
    case .list(let items):
      if case .symbol(let module, let name)? = items.first?.kind, module != nil || function.lookup(name) == nil,
        userMacro(module: module, name: name, at: form.span) != nil
      {
        return true
      }
      return items.contains { containsUserMacroCall($0, depth: depth + 1) }
    case .vector(let items), .map(let items), .set(let items):
      return items.contains { containsUserMacroCall($0, depth: depth + 1) }
    default:
      return false
    }
  }
}

/// Counts symbol mentions in a form; nested `fn`, `loop` and quoted data count as many uses.
enum SymbolCount {
  static func count(_ form: Syntax, into counts: inout [String: Int], depth: Int) {
    guard depth < 500 else { return }
    switch form.kind {
    case .symbol(nil, let name): counts[name, default: 0] += 1
    case .list(let items):
      if let head = items.first?.symbolName,
        ["fn", "loop", "quote", "quasiquote", "defn", "while", "doseq", "for", "dotimes"].contains(head)
      {
        var inner: [String: Int] = [:]
        for item in items { count(item, into: &inner, depth: depth + 1) }
        for name in inner.keys { counts[name, default: 0] += 2 }
        return
      }
      for item in items { count(item, into: &counts, depth: depth + 1) }
    case .vector(let items), .map(let items), .set(let items):
      for item in items { count(item, into: &counts, depth: depth + 1) }
    default: return
    }
  }
}

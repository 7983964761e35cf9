// Per-definition fingerprints of expanded code, and the added/changed/removed diff built from them.

import Foundation
import OxurSyntax

/// A top-level definition's identity for diffs: the hash of its head-expanded form printed
/// without spans, so reformatting and comments are not changes. Auto-gensyms are numbered by
/// first appearance, because every expansion draws fresh ones and that is not an edit.
enum DefinitionFingerprint {
  /// Forms whose second element names what they define.
  static let definingForms: Set<String> = ["def", "defonce", "defmacro", "defstruct", "defenum"]

  /// The defined name and its fingerprint, or nil for a form that defines nothing.
  /// `expansions` are what user macros inside the form expanded to.
  static func of(_ form: Syntax, expansions: [Syntax] = []) -> (name: Symbol, hash: String)? {
    guard let items = form.listElements, items.count >= 2, let head = items[0].symbolName,
      definingForms.contains(head), let name = items[1].symbolName
    else { return nil }
    var text = ""
    print(form, into: &text)
    for expansion in expansions {
      text += " => "
      print(expansion, into: &text)
    }
    return (Symbol.intern(name), ContentHash.of(Data(normalizingGensyms(text).utf8)))
  }

  private static func print(_ syntax: Syntax, into text: inout String) {
    switch syntax.kind {
    case .nil: text += "nil"
    case .bool(let b): text += b ? "true" : "false"
    case .int(let i): text += String(i)
    case .float(let d): text += "\(d)f"
    case .string(let s): text += Printer.readable(.string(s))
    case .char(let c): text += "\\u{\(String(c.value, radix: 16))}"
    case .keyword(let k): text += ":" + k
    case .symbol(let module, let name): text += module.map { "\($0):\(name)" } ?? name
    case .list(let items): printItems(items, "(", ")", into: &text)
    case .vector(let items): printItems(items, "[", "]", into: &text)
    case .map(let items): printItems(items, "{", "}", into: &text)
    case .set(let items): printItems(items, "#{", "}", into: &text)
    }
  }

  private static func printItems(_ items: [Syntax], _ open: String, _ close: String, into text: inout String) {
    text += open
    for (index, item) in items.enumerated() {
      if index > 0 { text += " " }
      print(item, into: &text)
    }
    text += close
  }

  /// `x__12__auto__` and `G__7` become `%g1`, `%g2` … in order of first appearance.
  private static func normalizingGensyms(_ text: String) -> String {
    guard text.contains("__"), let pattern = gensymPattern else { return text }
    var names: [String: String] = [:]
    var result = ""
    var last = text.startIndex
    for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
      guard let range = Range(match.range, in: text) else { continue }
      let found = String(text[range])
      let replacement = names[found] ?? "%g\(names.count + 1)"
      names[found] = replacement
      result += text[last..<range.lowerBound] + replacement
      last = range.upperBound
    }
    return result + text[last...]
  }

  private static let gensymPattern = try? NSRegularExpression(pattern: #"[^\s()\[\]{}"]*__\d+(__auto__)?"#)

  /// What `new` changed against `old`, in the order the files define them.
  static func changes(from old: ModuleVersion, to new: ModuleVersion) -> DefinitionChanges {
    var result = DefinitionChanges()
    for name in new.fingerprintOrder {
      guard let hash = new.fingerprints[name] else { continue }
      if let previous = old.fingerprints[name] {
        if previous != hash { result.changed.append(name.name) }
      } else {
        result.added.append(name.name)
      }
    }
    for name in old.fingerprintOrder where new.fingerprints[name] == nil { result.removed.append(name.name) }
    return result
  }
}

extension ModuleVersion {
  /// Records one top-level definition's fingerprint while the version is staged.
  func recordFingerprint(of form: Syntax, expansions: [Syntax]) {
    guard let (name, hash) = DefinitionFingerprint.of(form, expansions: expansions) else { return }
    if fingerprints.updateValue(hash, forKey: name) == nil { fingerprintOrder.append(name) }
  }
}

// Per-definition fingerprints of expanded code, and the added/changed/removed diff built from them.

import OxurSyntax

/// A top-level definition's identity for diffs: a hash of its head-expanded form without spans,
/// so reformatting and comments are not changes. Auto-gensyms are numbered by first appearance,
/// because every expansion draws fresh ones and that is not an edit. The form is hashed as it
/// is walked (FNV-1a 64 over a tagged encoding): printing it to text first cost more than
/// analyzing it.
enum DefinitionFingerprint {
  /// Forms whose second element names what they define.
  static let definingForms: NameSet = ["def", "defonce", "defn", "defmacro", "defstruct", "defenum"]

  /// The defined name and its fingerprint, or nil for a form that defines nothing.
  /// `expansions` are what user macros inside the form expanded to; `interned` is the defined
  /// name's symbol when the caller has it already (interning again was ~400 instructions).
  static func of(_ form: Syntax, expansions: [Syntax] = [], interned: Symbol? = nil) -> (name: Symbol, hash: UInt64)? {
    guard let items = form.listElements, items.count >= 2, let head = items[0].symbolName,
      definingForms.contains(head), let name = items[1].symbolName
    else { return nil }
    var hasher = FingerprintHasher()
    // `defn` is analyzed without being expanded, but is hashed as its expansion: writing
    // `(def f (fn …))` as `(defn f …)`, or adding an attribute map, changes no code.
    if head != "defn" || !hasher.addAsDefnExpansion(form, items) { hasher.add(form) }
    for expansion in expansions {
      hasher.addTag(0x3E)
      hasher.add(expansion)
    }
    return (Symbol.intern(name, reusing: interned), hasher.value)
  }

  /// What `new` changed against `old`, in the order the files define them.
  static func changes(from old: ModuleVersion, to new: ModuleVersion) -> DefinitionChanges {
    var result = DefinitionChanges()
    for name in new.fingerprintOrder {
      guard let hash = new.fingerprint(of: name) else { continue }
      if let previous = old.fingerprint(of: name) {
        if previous != hash { result.changed.append(name.name) }
      } else {
        result.added.append(name.name)
      }
    }
    for name in old.fingerprintOrder where new.fingerprint(of: name) == nil { result.removed.append(name.name) }
    return result
  }
}

extension ModuleVersion {
  /// Records one top-level definition's fingerprint while the version is staged.
  func recordFingerprint(of form: Syntax, expansions: [Syntax], interned: Symbol? = nil) {
    guard let (name, hash) = DefinitionFingerprint.of(form, expansions: expansions, interned: interned) else {
      return
    }
    recordFingerprint(name: name, hash: hash)
  }

  func recordFingerprint(name: Symbol, hash: UInt64) {
    recordFacts(of: name, fingerprint: hash, documentation: nil)
  }

  /// A definition's fingerprint and documentation in one table access (a reused definition
  /// brings both).
  func recordFacts(of name: Symbol, fingerprint: UInt64?, documentation: Documentation?) {
    guard fingerprint != nil || documentation != nil else { return }
    let hadOne = facts[name, default: DefinitionFacts()].record(fingerprint: fingerprint, documentation: documentation)
    if !hadOne && fingerprint != nil { fingerprintOrder.append(name) }
  }

  /// Makes the fingerprint order the same array as the definition order when they hold the same
  /// names, as they do in a module of plain definitions: one array per kept version instead of
  /// two (8 bytes a definition a version). Either is copied on its next change.
  func shareOrderWhenEqual() {
    guard fingerprintOrder.count == definitionOrder.count else { return }
    for index in fingerprintOrder.indices where fingerprintOrder[index] !== definitionOrder[index] { return }
    fingerprintOrder = definitionOrder
  }
}

/// FNV-1a 64 over a form's kinds and contents; each kind has a tag byte and variable-length
/// contents end with a terminator, so different forms do not run together into equal bytes.
struct FingerprintHasher {
  private(set) var value = FNV1a.offsetBasis
  /// Gensym names in order of first appearance.
  private var gensyms: [String: Int] = [:]

  mutating func addTag(_ byte: UInt8) {
    value = FNV1a.adding(UInt64(byte), to: value)
  }

  mutating func add(_ text: String) {
    // A small string (every ordinary name) is hashed from its two words: lending its UTF-8
    // spills it to the stack and calls a closure, ~60 instructions a name.
    if SmallUTF8.isLayoutVerifiedHere, let words = SmallUTF8.words(text) {
      value = FNV1a.adding(low: words.low, high: words.high, count: words.count, to: value)
      addTag(0)
      return
    }
    // Native strings lend their UTF-8 directly: iterating the view cost ~10 instructions a byte.
    let done = text.utf8.withContiguousStorageIfAvailable { bytes in
      var hash = value
      for byte in bytes {
        hash = FNV1a.adding(UInt64(byte), to: hash)
      }
      return hash
    }
    if let done {
      value = done
    } else {
      for byte in text.utf8 { addTag(byte) }
    }
    addTag(0)
  }

  mutating func add(_ number: UInt64) {
    var remaining = number
    for _ in 0..<8 {
      addTag(UInt8(truncatingIfNeeded: remaining))
      remaining >>= 8
    }
  }

  mutating func add(_ syntax: Syntax) {
    switch syntax.kind {
    case .nil: addTag(1)
    case .bool(let b): addTag(b ? 2 : 3)
    case .int(let i):
      addTag(4)
      add(UInt64(bitPattern: Int64(i)))
    case .float(let d):
      addTag(5)
      add(d.bitPattern)
    case .string(let s):
      addTag(6)
      add(s)
    case .char(let c):
      addTag(7)
      add(UInt64(c.value))
    case .keyword(let k):
      addTag(8)
      add(k)
    case .symbol(let module, let name):
      addTag(9)
      if let module { addName(module) }
      addTag(0x3A)
      addName(name)
    case .list(let items): addItems(items, 10)
    case .vector(let items): addItems(items, 11)
    case .map(let items): addItems(items, 12)
    case .set(let items): addItems(items, 13)
    }
  }

  /// Adds what `CoreMacros.defn` would expand `(defn …)` to, `(def name "doc"? (fn …))`,
  /// without building it; false (nothing added) for a form it would reject.
  mutating func addAsDefnExpansion(_ form: Syntax, _ items: [Syntax]) -> Bool {
    guard let parts = try? CoreMacros.DefnParts(form, items) else { return false }
    addTag(10)
    addSymbol("def")
    add(items[1])
    if let docstring = parts.docstring { add(docstring) }
    addTag(10)
    addSymbol("fn")
    for item in items[parts.parametersStart...] { add(item) }
    addTag(14)
    addTag(14)
    return true
  }

  /// An unqualified symbol, as `add` hashes one.
  private mutating func addSymbol(_ name: String) {
    addTag(9)
    addTag(0x3A)
    addName(name)
  }

  private mutating func addItems(_ items: [Syntax], _ tag: UInt8) {
    addTag(tag)
    for item in items { add(item) }
    addTag(14)
  }

  /// A gensym (`x__12__auto__`, `G__7`) hashes as its number of first appearance.
  private mutating func addName(_ name: String) {
    guard FingerprintHasher.isGensym(name) else {
      add(name)
      return
    }
    let number = gensyms[name] ?? gensyms.count + 1
    gensyms[name] = number
    addTag(0x25)
    add(UInt64(number))
  }

  /// Ends in `__` and digits, optionally followed by `__auto__`.
  static func isGensym(_ name: String) -> Bool {
    // Almost no name ends in a digit or `_`: decided from a small string's last byte.
    if SmallUTF8.isLayoutVerifiedHere, let words = SmallUTF8.words(name) {
      guard words.count > 0 else { return false }
      let last =
        words.count > 8 ? words.high >> (8 * UInt64(words.count - 9)) : words.low >> (8 * UInt64(words.count - 1))
      let byte = UInt8(truncatingIfNeeded: last)
      if byte != UInt8(ascii: "_") && !(byte >= 0x30 && byte <= 0x39) { return false }
    }
    // On the contiguous UTF-8: slicing and reversing the view cost ~900 instructions a name.
    if let answer = name.utf8.withContiguousStorageIfAvailable({ isGensym(bytes: $0) }) { return answer }
    return isGensym(bytes: Array(name.utf8))
  }

  /// `isGensym` of a name's UTF-8 bytes.
  static func isGensym(bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { isGensym(bytes: $0) } }

  private static func isGensym(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let underscore = UInt8(ascii: "_")
    var end = bytes.count
    if end > 8 {
      var suffix = true
      for (offset, byte) in "__auto__".utf8.enumerated() where bytes[end - 8 + offset] != byte {
        suffix = false
        break
      }
      if suffix { end -= 8 }
    }
    var digits = 0
    while end > 0, bytes[end - 1] >= 0x30, bytes[end - 1] <= 0x39 {
      digits += 1
      end -= 1
    }
    return digits > 0 && end >= 2 && bytes[end - 1] == underscore && bytes[end - 2] == underscore
  }

}

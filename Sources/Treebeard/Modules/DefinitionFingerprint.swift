// Per-definition fingerprints of expanded code, and the added/changed/removed diff built from them.

import OxurSyntax
import Synchronization

/// A top-level definition's identity for diffs: a `SyntaxHash` of its head-expanded form, so
/// reformatting and comments are not changes. Auto-gensyms are numbered by first appearance,
/// because every expansion draws fresh ones and that is not an edit. `(def f (fn …))` is
/// hashed as `(defn f …)` would be read, and a `defn`'s attribute map is left out: a form
/// as read comes with its hash (`TopLevelForm.hash`), and then a plain `defn` is not walked.
enum DefinitionFingerprint {
  /// Fingerprints made of forms too deep to hash whole, so each differs from every other.
  private static let unhashableCount = Atomic<UInt64>(0)

  /// Forms whose second element names what they define.
  static let definingForms: NameSet = ["def", "defonce", "defn", "defmacro", "defstruct", "defenum"]

  /// The defined name and its fingerprint, or nil for a form that defines nothing.
  /// `expansions` are what user macros inside the form expanded to; `interned` is the defined
  /// name's symbol when the caller has it already (interning again was ~400 instructions);
  /// `read` is the form's hash as the reader computed it, when it is that very form.
  static func of(
    _ form: Syntax, expansions: [Syntax] = [], interned: Symbol? = nil, read: UInt64? = nil
  ) -> (name: Symbol, hash: UInt64)? {
    guard let items = form.listElements, items.count >= 2, let head = items[0].symbolName,
      definingForms.contains(head), let name = items[1].symbolName
    else { return nil }
    var hasher = FingerprintHasher()
    // Writing `(def f (fn …))` as `(defn f …)`, or adding an attribute map, changes no code.
    var value: UInt64
    if head == "defn", let map = attributeMapIndex(items) {
      value = hasher.hashAsDefn(items[...], skipping: map)
    } else if head == "def", let function = defnShape(items) {
      value = hasher.hashAsDefn(function, skipping: nil)
    } else {
      value = read ?? hasher.hash(form)
    }
    for expansion in expansions {
      value = SyntaxHash.mix(SyntaxHash.mix(value, SyntaxHash.Tag.expansion.rawValue), hasher.hash(expansion))
    }
    // Part of the form went unhashed: an edit there must still count, so the definition counts
    // as changed at every load. (Reuse does not go by fingerprints: it compares the source
    // bytes and what the analysis asked, and macro output is never reused.)
    if hasher.wasTruncated { value = SyntaxHash.mix(value, unhashableCount.add(1, ordering: .relaxed).newValue) }
    return (Symbol.intern(name, reusing: interned), value)
  }

  /// Where a `defn`'s attribute map is (`CoreMacros.DefnParts` skips it), if it has one.
  static func attributeMapIndex(_ items: [Syntax]) -> Int? {
    guard items.count >= 4 else { return nil }
    var index = 2
    if case .string = items[index].kind { index += 1 }
    guard index + 1 < items.count, case .map = items[index].kind else { return nil }
    return index
  }

  /// `(def name "doc"? (fn [params] body…))` (no name inside `fn`) as the `defn` written for it:
  /// `defn`, then the name, the docstring and the function's parts.
  static func defnShape(_ items: [Syntax]) -> ArraySlice<Syntax>? {
    var documented = false
    if items.count == 4, case .string = items[2].kind { documented = true }
    guard items.count == 3 || documented, let function = items[items.count - 1].listElements, function.count >= 2,
      function[0].symbolName == "fn",
      function[1].vectorElements != nil || function[1].listElements != nil
    else { return nil }
    var shape = Array(items[..<(items.count - 1)])
    shape.append(contentsOf: function[1...])
    return shape[...]
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
  func recordFingerprint(of form: Syntax, expansions: [Syntax], interned: Symbol? = nil, read: UInt64? = nil) {
    guard let (name, hash) = DefinitionFingerprint.of(form, expansions: expansions, interned: interned, read: read)
    else {
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

/// `SyntaxHash` by walking a form, except that gensyms hash as their number of first appearance
/// in the definition: equal to the reader's hashes for a form without gensym-like names.
struct FingerprintHasher {
  /// Gensym names in order of first appearance.
  private var gensyms: [String: Int] = [:]
  /// A form nested deeper than `maximumDepth` was hashed as empty below that depth.
  private(set) var wasTruncated = false
  /// Deeper than the reader ever builds (only macro output can be); bounded for the host stack.
  static let maximumDepth = 4 * Reader.maximumNesting

  mutating func hash(_ syntax: Syntax) -> UInt64 { hash(syntax, depth: 0) }

  private mutating func hash(_ syntax: Syntax, depth: Int) -> UInt64 {
    switch syntax.kind {
    case .symbol(let module, let name):
      let verified = SmallUTF8.isLayoutVerifiedHere
      guard
        SyntaxHash.isGensym(name, layoutVerified: verified)
          || (module.map { SyntaxHash.isGensym($0, layoutVerified: verified) } ?? false)
      else { return SyntaxHash.symbol(module: module, name: name, layoutVerified: verified) }
      var state = SyntaxHash.start(.symbol)
      if let module { state = SyntaxHash.mix(state, part(module)) }
      return SyntaxHash.mix(SyntaxHash.mix(state, module == nil ? 0 : 1), part(name))
    case .list(let items): return hashItems(items, .list, depth: depth)
    case .vector(let items): return hashItems(items, .vector, depth: depth)
    case .map(let items): return hashItems(items, .map, depth: depth)
    case .set(let items): return hashItems(items, .set, depth: depth)
    default: return SyntaxHash.atom(syntax.kind) ?? 0
    }
  }

  private mutating func hashItems(_ items: [Syntax], _ tag: SyntaxHash.Tag, depth: Int) -> UInt64 {
    var state = SyntaxHash.start(tag)
    guard depth < FingerprintHasher.maximumDepth else {
      wasTruncated = true
      return SyntaxHash.finish(state, count: 0)
    }
    for item in items { state = SyntaxHash.mix(state, hash(item, depth: depth + 1)) }
    return SyntaxHash.finish(state, count: items.count)
  }

  /// A symbol's module or name: a gensym as its number of first appearance, else its text.
  private mutating func part(_ text: String) -> UInt64 {
    guard SyntaxHash.isGensym(text, layoutVerified: SmallUTF8.isLayoutVerifiedHere) else {
      return SyntaxHash.text(text, layoutVerified: SmallUTF8.isLayoutVerifiedHere)
    }
    let number = gensyms[text] ?? gensyms.count + 1
    gensyms[text] = number
    return SyntaxHash.mix(SyntaxHash.start(.gensym), UInt64(number))
  }

  /// The hash `(defn …)` made of `items` (its head is not looked at: `defn` is hashed in its
  /// place) has when read, leaving out the element at `skipping`.
  mutating func hashAsDefn(_ items: ArraySlice<Syntax>, skipping: Int?) -> UInt64 {
    var state = SyntaxHash.start(.list)
    state = SyntaxHash.mix(
      state, SyntaxHash.symbol(module: nil, name: "defn", layoutVerified: SmallUTF8.isLayoutVerifiedHere))
    var count = 1
    for index in items.indices.dropFirst() where index != skipping {
      state = SyntaxHash.mix(state, hash(items[index]))
      count += 1
    }
    return SyntaxHash.finish(state, count: count)
  }
}

// Structural hashes of syntax: computed by the reader as it reads, and the stuff definition fingerprints are made of.

/// A 64-bit hash of a form's structure and contents, spans excluded, so a form hashes the same
/// however it is laid out and commented. A compound form combines its elements' hashes in order
/// (a Merkle tree): the reader hashes each form as it reads it, and a consumer can hash a
/// rearrangement of read elements (a `defn` as its expansion) from the elements' hashes alone,
/// without walking them. Not collision-resistant against chosen inputs; stable within a process.
public enum SyntaxHash {
  /// One tag per kind of form, mixed in first.
  public enum Tag: UInt64 {
    case `nil` = 1
    case `true`, `false`, int, float, string, char, keyword, symbol
    case list, vector, map, set
    /// A gensym as its number of first appearance (definition fingerprints only).
    case gensym = 0x25
    /// What a user macro inside a definition expanded to (definition fingerprints only).
    case expansion = 0x3E
  }

  /// `state` with `value` mixed in: for a fixed state a bijection of the value, and every bit of
  /// the result depends on every bit of both.
  @inlinable @inline(__always) public static func mix(_ state: UInt64, _ value: UInt64) -> UInt64 {
    var x = (state &* 0x9E37_79B9_7F4A_7C15) ^ value
    x ^= x &>> 32
    x = x &* 0xD6E8_FEB8_6659_FD93
    x ^= x &>> 32
    return x
  }

  @inlinable @inline(__always) public static func start(_ tag: Tag) -> UInt64 {
    mix(0x243F_6A88_85A3_08D3, tag.rawValue)
  }

  /// A compound form's hash once its `count` elements are mixed in.
  @inlinable @inline(__always) public static func finish(_ state: UInt64, count: Int) -> UInt64 {
    mix(state, 0xC0DE_0000_0000_0000 | UInt64(truncatingIfNeeded: count))
  }

  /// A text's UTF-8 bytes, eight at a time (little-endian, the last word zero-padded), then its
  /// length. A small string is hashed from its two words directly, and gives what its bytes give.
  @inlinable public static func text(_ text: String) -> UInt64 {
    self.text(text, layoutVerified: SmallUTF8.isLayoutVerified)
  }

  /// `text(_:)` for a caller that has read `SmallUTF8.isLayoutVerified` already (a lazily made
  /// global of this module: about 20 instructions a read from another).
  @inlinable @inline(__always) public static func text(_ text: String, layoutVerified: Bool) -> UInt64 {
    if layoutVerified, let words = SmallUTF8.words(text) {
      return smallText(low: words.low, high: words.high, count: words.count)
    }
    return largeText(text)
  }

  @inlinable @inline(__always) static func smallText(low: UInt64, high: UInt64, count: Int) -> UInt64 {
    var state: UInt64 = 0x1319_8A2E_0370_7344
    if count > 0 { state = mix(state, count >= 8 ? low : low & ((1 &<< UInt64(count &* 8)) &- 1)) }
    if count > 8 { state = mix(state, high & ((1 &<< UInt64((count &- 8) &* 8)) &- 1)) }
    return mix(state, UInt64(truncatingIfNeeded: count))
  }

  @usableFromInline @inline(never) static func largeText(_ text: String) -> UInt64 {
    if let hash = text.utf8.withContiguousStorageIfAvailable({ bytes($0) }) {
      return hash
    }
    return Array(text.utf8).withUnsafeBufferPointer { bytes($0) }
  }

  static func bytes(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var state: UInt64 = 0x1319_8A2E_0370_7344
    var word: UInt64 = 0
    var filled: UInt64 = 0
    for byte in bytes {
      word |= UInt64(byte) &<< (filled &* 8)
      filled &+= 1
      if filled == 8 {
        state = mix(state, word)
        word = 0
        filled = 0
      }
    }
    if filled > 0 { state = mix(state, word) }
    return mix(state, UInt64(truncatingIfNeeded: bytes.count))
  }

  /// A symbol as written: its module (if qualified) and name.
  @inlinable public static func symbol(module: String?, name: String) -> UInt64 {
    symbol(module: module, name: name, layoutVerified: SmallUTF8.isLayoutVerified)
  }

  @inlinable @inline(__always) public static func symbol(module: String?, name: String, layoutVerified: Bool) -> UInt64
  {
    symbol(
      moduleText: module.map { text($0, layoutVerified: layoutVerified) },
      nameText: text(name, layoutVerified: layoutVerified))
  }

  /// A symbol from the `text` hashes of its module (if qualified) and name.
  @inlinable @inline(__always) public static func symbol(moduleText: UInt64?, nameText: UInt64) -> UInt64 {
    var state = start(.symbol)
    if let moduleText { state = mix(state, moduleText) }
    return mix(mix(state, moduleText == nil ? 0 : 1), nameText)
  }

  /// An atom's hash; nil for a compound form.
  public static func atom(_ kind: Syntax.Kind) -> UInt64? { atom(kind, layoutVerified: SmallUTF8.isLayoutVerified) }

  static func atom(_ kind: Syntax.Kind, layoutVerified: Bool) -> UInt64? {
    func text(_ value: String) -> UInt64 { SyntaxHash.text(value, layoutVerified: layoutVerified) }
    switch kind {
    case .nil: return start(.nil)
    case .bool(let value): return start(value ? .true : .false)
    case .int(let value): return mix(start(.int), UInt64(bitPattern: Int64(value)))
    case .float(let value): return mix(start(.float), value.bitPattern)
    case .string(let value): return mix(start(.string), text(value))
    case .char(let value): return mix(start(.char), UInt64(value.value))
    case .keyword(let value): return mix(start(.keyword), text(value))
    case .symbol(let module, let name): return symbol(module: module, name: name, layoutVerified: layoutVerified)
    case .list, .vector, .map, .set: return nil
    }
  }

  /// The tag of a compound form's kind.
  public static func compoundTag(_ kind: Syntax.Kind) -> Tag? {
    switch kind {
    case .list: return .list
    case .vector: return .vector
    case .map: return .map
    case .set: return .set
    default: return nil
    }
  }

  /// The hash of any form, by walking it (the reader computes the same as it reads).
  public static func of(_ form: Syntax) -> UInt64 { of(form, depth: 0) }

  private static func of(_ form: Syntax, depth: Int) -> UInt64 {
    if let atom = atom(form.kind) { return atom }
    let items: [Syntax]
    switch form.kind {
    case .list(let elements), .vector(let elements), .map(let elements), .set(let elements): items = elements
    default: items = []
    }
    var state = start(compoundTag(form.kind) ?? .list)
    // Deeper than the reader ever builds: hashed as empty rather than risk the stack.
    guard depth < 4 * Reader.maximumNesting else { return finish(state, count: 0) }
    for item in items { state = mix(state, of(item, depth: depth + 1)) }
    return finish(state, count: items.count)
  }

  /// Ends in `__` and digits, optionally followed by `__auto__` (`x__12__auto__`, `G__7`): the
  /// names macro expansion draws fresh, which definition fingerprints number by appearance.
  public static func isGensym(_ name: String) -> Bool { isGensym(name, layoutVerified: SmallUTF8.isLayoutVerified) }

  @inlinable @inline(__always) public static func isGensym(_ name: String, layoutVerified: Bool) -> Bool {
    if layoutVerified, let words = SmallUTF8.words(name) {
      // Almost no name ends in a digit or `_`: decided from a small string's last byte.
      guard words.count > 0 else { return false }
      let byte = SmallUTF8.lastByte(low: words.low, high: words.high, count: words.count)
      if byte != UInt8(ascii: "_") && !(byte >= 0x30 && byte <= 0x39) { return false }
    }
    return isGensymOutOfLine(name)
  }

  @usableFromInline @inline(never) static func isGensymOutOfLine(_ name: String) -> Bool {
    if let answer = name.utf8.withContiguousStorageIfAvailable({ isGensym(bytes: $0) }) { return answer }
    return Array(name.utf8).withUnsafeBufferPointer { isGensym(bytes: $0) }
  }

  /// `isGensym` of a name's bytes, decided from its last byte for nearly every name.
  @inline(__always) static func mayBeGensym(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let last = bytes.last, last == UInt8(ascii: "_") || (last >= 0x30 && last <= 0x39) else { return false }
    return isGensym(bytes: bytes)
  }

  static func isGensym(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
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

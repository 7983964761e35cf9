// Interned symbols and keywords: one object per name, so equality is a pointer comparison.

import Foundation
import OxurSyntax

/// An interned symbol. Qualified symbols keep their module part.
public final class Symbol: Hashable, @unchecked Sendable, CustomStringConvertible {
  public let name: String
  public let module: String?
  public let qualifiedName: String

  private init(module: String?, name: String, key: NameKey) {
    self.module = module
    self.name = name
    self.qualifiedName = key.text
    self.stableHash = key.stableHash &+ Symbol.hashOffset
  }

  /// What a symbol's stable hash adds to its name key's (so symbols and strings hash apart).
  static let hashOffset = 0x5bd1_e995

  /// The key of this symbol's qualified name, from the hash it keeps: no rehash of the text.
  var nameKey: NameKey { NameKey(text: qualifiedName, stableHash: stableHash &- Symbol.hashOffset) }

  private static let table = InternTable<Symbol>()

  /// `intern("calc:add")` is `intern("add", module: "calc")`: both spell the same key, so
  /// whichever came first must not decide whether the symbol has a module part (a symbol made
  /// by `(symbol "calc:add")` once made the reader's `calc:add` unqualified).
  public static func intern(_ name: String, module: String? = nil) -> Symbol {
    if module == nil {
      // One pass over the UTF-8 finds a module separator and hashes the key (':' is ASCII;
      // `String.firstIndex` and SipHash were most of interning, several times per definition).
      let scanned = NameKey.scanning(name)
      if let colon = scanned.colon {
        let utf8 = name.utf8
        let separator = utf8.index(utf8.startIndex, offsetBy: colon)
        return intern(String(name[utf8.index(after: separator)...]), module: String(name[..<separator]))
      }
      return table.intern(scanned.key) { Symbol(module: nil, name: name, key: scanned.key) }
    }
    let key = NameKey(module.map { "\($0):\(name)" } ?? name)
    return table.intern(key) { Symbol(module: module, name: name, key: key) }
  }

  /// `intern(name)`, answered by `known` when that is the symbol (about 400 instructions saved
  /// for a name the caller interned a step before).
  static func intern(_ name: String, reusing known: Symbol?) -> Symbol {
    if let known, known.module == nil, known.name == name { return known }
    return intern(name)
  }

  public static func == (a: Symbol, b: Symbol) -> Bool { a === b }
  public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
  /// Symbols are interned, so a dictionary keyed by them needs no SipHash of the identity (about
  /// 150 instructions a look-up, a fifth of a one-function reload): the name's stable hash,
  /// mixed with the table's seed, is consistent with `==` (one object per name).
  public func _rawHashValue(seed: Int) -> Int { identityHash(stableHash, seed: seed) }
  public var description: String { qualifiedName }

  /// A process-stable hash (the stdlib's Hasher is seeded per process).
  public let stableHash: Int
}

/// An interned keyword, `:name`.
public final class Keyword: Hashable, @unchecked Sendable, CustomStringConvertible {
  public let name: String
  public let stableHash: Int

  private init(_ key: NameKey) {
    self.name = key.text
    self.stableHash = key.stableHash &+ 0x27d4_eb2d
  }

  private static let table = InternTable<Keyword>()

  public static func intern(_ name: String) -> Keyword {
    let key = NameKey(name)
    return table.intern(key) { Keyword(key) }
  }

  public static func == (a: Keyword, b: Keyword) -> Bool { a === b }
  public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
  /// Interned like symbols: see `Symbol._rawHashValue(seed:)`.
  public func _rawHashValue(seed: Int) -> Int { identityHash(stableHash, seed: seed) }
  public var description: String { ":" + name }
}

/// A table hash for an interned object from its stable hash and the table's per-instance seed:
/// a multiply-xorshift mix, so every bit of the result depends on every bit of both.
@inline(__always) func identityHash(_ stableHash: Int, seed: Int) -> Int {
  var mixed = UInt64(bitPattern: Int64(stableHash ^ seed)) &* 0x9E37_79B9_7F4A_7C15
  mixed ^= mixed >> 29
  mixed = mixed &* 0xBF58_476D_1CE4_E5B9
  return Int(Int64(bitPattern: mixed ^ (mixed >> 32)))
}

/// FNV-1a over UTF-8: stable across runs, so map iteration order is reproducible.
@inline(__always) func stableStringHash(_ text: String) -> Int {
  // A small string's bytes are hashed straight from its two words (`withContiguousStorage` of a
  // small string first spills it to the stack and calls a closure); other strings take the
  // out-of-line path, so this part stays small enough to inline into every hash.
  guard SmallUTF8.isLayoutVerifiedHere, let words = SmallUTF8.words(text) else { return stableLargeStringHash(text) }
  let hash = FNV1a.adding(low: words.low, high: words.high, count: words.count, to: FNV1a.offsetBasis)
  return Int(bitPattern: UInt(hash))
}

/// `stableStringHash` of a string stored out of line (or of any string when the small-string
/// layout was not verified).
@inline(never) func stableLargeStringHash(_ text: String) -> Int {
  // Native strings lend their UTF-8 bytes directly; iterating the UTF-8 view byte by byte costs
  // several times more. Bridged or foreign strings take the iterator.
  if let hash = text.utf8.withContiguousStorageIfAvailable({ stableBytesHash($0) }) { return hash }
  var hash = FNV1a.offsetBasis
  for byte in text.utf8 {
    hash = FNV1a.adding(UInt64(byte), to: hash)
  }
  return Int(bitPattern: UInt(hash))
}

/// FNV-1a over `bytes`: `stableStringHash`'s function for contiguous UTF-8.
@inline(__always) func stableBytesHash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
  var hash = FNV1a.offsetBasis
  for byte in bytes {
    hash = FNV1a.adding(UInt64(byte), to: hash)
  }
  return Int(bitPattern: UInt(hash))
}

@inline(__always) func mixHash(_ value: Int) -> Int {
  var x = UInt64(bitPattern: Int64(value))
  x ^= x >> 33
  x = x &* 0xff51_afd7_ed55_8ccd
  x ^= x >> 33
  x = x &* 0xc4ce_b9fe_1a85_ec53
  x ^= x >> 33
  return Int(bitPattern: UInt(x))
}

/// A name → object table shared by all threads. NSLock (pthread) rather than `Mutex`, whose
/// futex-based lock ThreadSanitizer cannot see, so race checks stay meaningful.
final class InternTable<Object: AnyObject>: @unchecked Sendable {
  private let lock = NSLock()
  /// Touched only under `lock`: no dynamic exclusivity check on top of it.
  @exclusivity(unchecked) private var objects: [NameKey: Object] = [:]

  func intern(_ key: NameKey, _ make: () -> Object) -> Object {
    lock.lock()
    defer { lock.unlock() }
    if let existing = objects[key] { return existing }
    let created = make()
    Immortal.make(created)
    objects[key] = created
    return created
  }
}

/// A name as an intern-table key, hashed with its FNV-1a stable hash (which the interned object
/// keeps) instead of SipHash: interning runs several times per definition at every reload.
/// Collisions only cost a string comparison; the table's seed still mixes the hash.
struct NameKey: Hashable, Sendable {
  let text: String
  let stableHash: Int

  init(_ text: String) {
    self.text = text
    self.stableHash = stableStringHash(text)
  }

  /// A key whose hash the caller already has (`Symbol.nameKey`).
  init(text: String, stableHash: Int) {
    self.text = text
    self.stableHash = stableHash
  }

  /// The key for an unqualified spelling, and the offset of a `:` that splits it into module and
  /// name (neither first nor last), found in the same pass as the hash.
  static func scanning(_ text: String) -> (key: NameKey, colon: Int?) {
    let scanned = text.utf8.withContiguousStorageIfAvailable { bytes -> (Int, Int?) in
      var hash = FNV1a.offsetBasis
      var colon: Int? = nil
      var offset = 0
      for byte in bytes {
        if byte == UInt8(ascii: ":"), colon == nil { colon = offset }
        hash = FNV1a.adding(UInt64(byte), to: hash)
        offset += 1
      }
      return (Int(bitPattern: UInt(hash)), colon)
    }
    let (key, first): (NameKey, Int?)
    if let (hash, colon) = scanned {
      (key, first) = (NameKey(text: text, stableHash: hash), colon)
    } else {
      (key, first) = (
        NameKey(text),
        text.utf8.firstIndex(of: UInt8(ascii: ":")).map { text.utf8.distance(from: text.utf8.startIndex, to: $0) }
      )
    }
    // Only the first `:` counts, and only between a module and a name (as `intern` always did).
    guard let first, first > 0, first + 1 < text.utf8.count else { return (key, nil) }
    return (key, first)
  }

  static func == (a: NameKey, b: NameKey) -> Bool { a.stableHash == b.stableHash && a.text == b.text }
  func hash(into hasher: inout Hasher) { hasher.combine(stableHash) }
  func _rawHashValue(seed: Int) -> Int { identityHash(stableHash, seed: seed) }
}

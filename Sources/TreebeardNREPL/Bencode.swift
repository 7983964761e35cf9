// Bencode, nREPL's wire format: integers, byte strings, lists and dictionaries, with limits.

/// One bencoded value. Strings are bytes on the wire; nREPL's are UTF-8 text.
public enum Bencode: Sendable, Equatable {
  case integer(Int)
  /// An integer of more than 18 digits, as its decimal text. Bencode's integers have no
  /// bound, and refusing one lost the framing: the connection was closed for a `line` of
  /// 2^62 sent by a client.
  case bigInteger(String)
  case bytes([UInt8])
  case list([Bencode])
  case dictionary([String: Bencode])

  public static func string(_ text: String) -> Bencode { .bytes(Array(text.utf8)) }

  /// The text of a byte string (invalid UTF-8 repaired), nil for any other value.
  public var text: String? {
    if case .bytes(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
    return nil
  }

  public var integer: Int? {
    if case .integer(let value) = self { return value }
    return nil
  }

  public var list: [Bencode]? {
    if case .list(let items) = self { return items }
    return nil
  }

  public var dictionary: [String: Bencode]? {
    if case .dictionary(let entries) = self { return entries }
    return nil
  }

  /// The wire form. Dictionary keys are written sorted by their bytes, as bencode requires.
  public func encoded() -> [UInt8] {
    var out: [UInt8] = []
    encode(into: &out)
    return out
  }

  public func encode(into out: inout [UInt8]) {
    switch self {
    case .integer(let value):
      out.append(UInt8(ascii: "i"))
      out.append(contentsOf: String(value).utf8)
      out.append(UInt8(ascii: "e"))
    case .bigInteger(let text):
      out.append(UInt8(ascii: "i"))
      out.append(contentsOf: text.utf8)
      out.append(UInt8(ascii: "e"))
    case .bytes(let bytes):
      Bencode.appendBytes(bytes, to: &out)
    case .list(let items):
      out.append(UInt8(ascii: "l"))
      for item in items { item.encode(into: &out) }
      out.append(UInt8(ascii: "e"))
    case .dictionary(let entries):
      out.append(UInt8(ascii: "d"))
      let keys = entries.keys.map { (key: $0, bytes: Array($0.utf8)) }.sorted {
        $0.bytes.lexicographicallyPrecedes($1.bytes)
      }
      for key in keys {
        Bencode.appendBytes(key.bytes, to: &out)
        entries[key.key]?.encode(into: &out)
      }
      out.append(UInt8(ascii: "e"))
    }
  }

  private static func appendBytes(_ bytes: [UInt8], to out: inout [UInt8]) {
    out.append(contentsOf: String(bytes.count).utf8)
    out.append(UInt8(ascii: ":"))
    out.append(contentsOf: bytes)
  }
}

/// Why input is not bencode (the connection that sent it is closed).
public struct BencodeError: Error, Equatable, CustomStringConvertible {
  public let description: String
  public let offset: Int
}

/// Reads bencoded values from the front of a byte buffer, which may hold a partial value
/// (nil: wait for more bytes). Every length and count is checked against the limits before
/// anything is allocated, so hostile input costs at most `maximumMessageBytes` of memory.
public struct BencodeDecoder: Sendable {
  /// One message (a whole top-level value) may not be longer than this.
  public var maximumMessageBytes = 64 << 20
  /// Lists and dictionaries may not nest deeper than this (the decoder recurses).
  public var maximumDepth = 64

  public init(maximumMessageBytes: Int = 64 << 20, maximumDepth: Int = 64) {
    self.maximumMessageBytes = maximumMessageBytes
    self.maximumDepth = maximumDepth
  }

  /// The first value in `bytes` and how many bytes it took, or nil when it is not complete
  /// yet. Throws on input that can never become a valid value, or one over the limits.
  public func decode(_ bytes: [UInt8]) throws(BencodeError) -> (value: Bencode, length: Int)? {
    switch try attempt(bytes) {
    case .complete(let value, let length): return (value, length)
    case .incomplete: return nil
    }
  }

  public enum Attempt: Sendable, Equatable {
    case complete(Bencode, length: Int)
    /// Not a whole value yet: at least `needing` bytes must be there before it can be (a
    /// reader waits for them instead of parsing the same prefix again on every read).
    case incomplete(needing: Int)
  }

  /// The value starting at `start`; lengths in the answer count from `start`, so a reader
  /// can keep several messages in one buffer and move past each without copying the rest.
  public func attempt(_ bytes: [UInt8], from start: Int = 0) throws(BencodeError) -> Attempt {
    var position = start
    let end = start + maximumMessageBytes
    do {
      let value = try value(bytes, &position, depth: 0, end: end)
      return .complete(value, length: position - start)
    } catch {
      switch error {
      case .incomplete(let needing):
        if bytes.count > end {
          throw BencodeError(description: "message longer than \(maximumMessageBytes) bytes", offset: bytes.count)
        }
        return .incomplete(needing: max(needing, bytes.count + 1) - start)
      case .malformed(let problem):
        throw problem
      }
    }
  }

  private enum Failure: Error {
    case incomplete(needing: Int)
    case malformed(BencodeError)
  }

  private func fail(_ message: String, _ offset: Int) -> Failure {
    .malformed(BencodeError(description: message, offset: offset))
  }

  private func value(_ bytes: [UInt8], _ position: inout Int, depth: Int, end: Int) throws(Failure) -> Bencode {
    guard position < bytes.count else { throw .incomplete(needing: 0) }
    if position > end { throw fail("message longer than \(maximumMessageBytes) bytes", position) }
    let marker = bytes[position]
    switch marker {
    case UInt8(ascii: "i"):
      position += 1
      return try integer(bytes, &position, end: end)
    case UInt8(ascii: "l"):
      guard depth < maximumDepth else { throw fail("nested deeper than \(maximumDepth)", position) }
      position += 1
      var items: [Bencode] = []
      while true {
        guard position < bytes.count else { throw .incomplete(needing: 0) }
        if bytes[position] == UInt8(ascii: "e") {
          position += 1
          return .list(items)
        }
        items.append(try value(bytes, &position, depth: depth + 1, end: end))
      }
    case UInt8(ascii: "d"):
      guard depth < maximumDepth else { throw fail("nested deeper than \(maximumDepth)", position) }
      position += 1
      var entries: [String: Bencode] = [:]
      while true {
        guard position < bytes.count else { throw .incomplete(needing: 0) }
        if bytes[position] == UInt8(ascii: "e") {
          position += 1
          return .dictionary(entries)
        }
        let keyOffset = position
        guard case .bytes(let key) = try value(bytes, &position, depth: depth + 1, end: end) else {
          throw fail("a dictionary key must be a string", keyOffset)
        }
        entries[String(decoding: key, as: UTF8.self)] = try value(bytes, &position, depth: depth + 1, end: end)
      }
    case UInt8(ascii: "0")...UInt8(ascii: "9"):
      let start = position
      let length = try number(bytes, &position, until: UInt8(ascii: ":"), allowsSign: false)
      guard length <= end - start else {
        throw fail("string of \(length) bytes is over the message limit", start)
      }
      guard length <= bytes.count - position else { throw .incomplete(needing: position + length) }
      defer { position += length }
      return .bytes(Array(bytes[position..<position + length]))
    default:
      throw fail("unexpected byte \(marker)", position)
    }
  }

  /// An integer's digits up to its `e`: an Int when it fits in 18 digits, its text otherwise
  /// (no longer than the message limit allows).
  private func integer(_ bytes: [UInt8], _ position: inout Int, end: Int) throws(Failure) -> Bencode {
    let start = position
    var scan = position
    if scan < bytes.count, bytes[scan] == UInt8(ascii: "-") { scan += 1 }
    let digitsStart = scan
    while scan < bytes.count, bytes[scan] >= UInt8(ascii: "0"), bytes[scan] <= UInt8(ascii: "9") {
      if scan > end { throw fail("message longer than \(maximumMessageBytes) bytes", scan) }
      scan += 1
    }
    if scan - digitsStart <= 18 {
      return .integer(try number(bytes, &position, until: UInt8(ascii: "e"), allowsSign: true))
    }
    guard scan < bytes.count else { throw .incomplete(needing: 0) }
    guard bytes[scan] == UInt8(ascii: "e") else { throw fail("unexpected byte \(bytes[scan]) in a number", scan) }
    position = scan + 1
    return .bigInteger(String(decoding: bytes[start..<scan], as: UTF8.self))
  }

  /// Decimal digits up to `terminator`; at most 18 of them, so the value fits an Int.
  private func number(_ bytes: [UInt8], _ position: inout Int, until terminator: UInt8, allowsSign: Bool)
    throws(Failure) -> Int
  {
    let start = position
    var negative = false
    if allowsSign, position < bytes.count, bytes[position] == UInt8(ascii: "-") {
      negative = true
      position += 1
    }
    var value = 0
    var digits = 0
    while true {
      guard position < bytes.count else {
        if digits > 18 { throw fail("number too long", start) }
        throw .incomplete(needing: 0)
      }
      let byte = bytes[position]
      if byte == terminator {
        guard digits > 0 else { throw fail("number without digits", start) }
        position += 1
        return negative ? -value : value
      }
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
        throw fail("unexpected byte \(byte) in a number", position)
      }
      digits += 1
      guard digits <= 18 else { throw fail("number too long", start) }
      value = value * 10 + Int(byte - UInt8(ascii: "0"))
      position += 1
    }
  }
}

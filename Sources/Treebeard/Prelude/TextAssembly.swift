// `str` and `join` of strings and Ints written straight into the new string's storage.

import OxurSyntax

/// Appending piece by piece to a Swift `String` costs several hundred instructions per piece
/// (small-string promotion, capacity checks, re-validation); `str` of a key such as `"k" i` and
/// `join` of a vector of strings spend most of their time there. When every piece is a string
/// or an Int, the exact length is known up front: one allocation (none for up to 15 bytes),
/// then plain byte copies. Other pieces take the printer, as before.
enum TextAssembly {
  /// `str` of strings, Ints and nils whose text fits in a small string (15 bytes): assembled in
  /// two words, no allocation, no closure, no byte copies. Nil otherwise; the caller goes on to
  /// `concatenated`.
  @inline(__always) static func short(_ a: Arguments) -> String? {
    // A first piece stored out of line is (almost always) 16 bytes or more: the result is not
    // small, and leaving here saves `(str long-prefix i)` the set-up below. Only bits are read,
    // so this is safe before the layout check; a wrong guess only means the general path.
    if a.count > 0, case .string(let s) = a.base[0], SmallUTF8.words(s.value) == nil { return nil }
    guard SmallUTF8.isLayoutVerifiedHere else { return nil }
    // `(str i)` alone: the digits' words are the string's.
    if a.count == 1, case .int(let i) = a.base[0] {
      guard let digits = DecimalText.words(i) else { return nil }
      return SmallUTF8.string(low: digits.low, high: digits.high, count: digits.count, isASCII: true)
    }
    var builder = SmallUTF8Builder()
    for index in 0..<a.count {
      switch a.base[index] {
      case .nil: continue
      case .string(let s): guard builder.append(s.value) else { return nil }
      case .int(let i): guard builder.append(i) else { return nil }
      default: return nil
      }
    }
    return builder.string()
  }

  /// `str` of strings, Ints and nils; nil when another kind is present or the text is long.
  static func concatenated(_ a: Arguments) -> String? {
    var capacity = 0
    for index in 0..<a.count {
      switch a[index] {
      case .nil: continue
      case .string(let s): capacity += s.value.utf8.count
      // Exact, so that results of up to 15 bytes are small strings.
      case .int(let i): capacity += DecimalText.count(i)
      default: return nil
      }
      if capacity > 4096 { return nil }
    }
    return String(unsafeUninitializedCapacity: capacity) { buffer in
      var position = 0
      for index in 0..<a.count { position += write(a[index], into: buffer, at: position) }
      return position
    }
  }

  /// `join`: the text of each element (as `str` makes it) with `separator` between them.
  static func joined(_ items: Value, separator: String, machine: Machine) throws -> String {
    if case .vector(let vector) = items, SmallUTF8.isLayoutVerifiedHere,
      let text = try joinedPieces(vector, separator: separator, machine: machine)
    {
      return text
    }
    var capacity = 0
    var count = 0
    var direct = true
    try Collections.forEach(items, "join") {
      switch $0 {
      case .string(let s): capacity += s.value.utf8.count
      case .int(let i): capacity += DecimalText.count(i)
      default: direct = false
      }
      count += 1
      // Stops before the sum can overflow: one string shared by many elements adds up fast.
      if capacity > Printer.maximumCompleteLength { throw PrintJob.tooLong() }
      if count & 0xFFFF == 0 { try machine.checkInterrupt() }
    }
    let separatorBytes = separator.utf8.count
    // Multiplied with overflow reported: a huge separator times many elements must not trap.
    let (separators, overflow) = separatorBytes.multipliedReportingOverflow(by: max(0, count - 1))
    if overflow || capacity > Printer.maximumCompleteLength || separators > Printer.maximumCompleteLength - capacity {
      throw PrintJob.tooLong()
    }
    guard direct else { return try printed(items, separator: separator, machine: machine) }
    try MemoryGuard.reserve(capacity + separators, for: "join's text")
    let separatorValue = Value.string(separator)
    return try String(unsafeUninitializedCapacity: capacity + separators) { buffer in
      var position = 0
      var first = true
      try Collections.forEach(items, "join") {
        if !first { position += write(separatorValue, into: buffer, at: position) }
        first = false
        position += write($0, into: buffer, at: position)
      }
      return position
    }
  }

  /// `join` of a vector of strings and Ints, walked 32 elements at a time; nil when another kind
  /// is present. Small strings and Ints of up to 15 digits go into the result as two 8-byte
  /// stores of their words (the bytes past their count are overwritten by the next piece or lie
  /// past the end), so a vector of short keys costs a few instructions per element.
  private static func joinedPieces(_ vector: PersistentVector, separator: String, machine: Machine) throws -> String? {
    var capacity = 0
    var direct = true
    var nextInterruptCheck = 0x10000
    var seen = 0
    try vector.forEachChunk { chunk in
      guard direct else { return }
      for index in 0..<chunk.count {
        switch chunk[index] {
        case .string(let s): capacity += s.value.utf8.count
        case .int(let i): capacity += DecimalText.count(i)
        default:
          direct = false
          return
        }
      }
      // Stops before the sum can overflow: one string shared by many elements adds up fast.
      if capacity > Printer.maximumCompleteLength { throw PrintJob.tooLong() }
      seen += chunk.count
      if seen >= nextInterruptCheck {
        nextInterruptCheck += 0x10000
        try machine.checkInterrupt()
      }
    }
    guard direct else { return nil }
    let separatorBytes = separator.utf8.count
    // Multiplied with overflow reported: a huge separator times many elements must not trap.
    let (separators, overflow) = separatorBytes.multipliedReportingOverflow(by: max(0, vector.count - 1))
    if overflow || separators > Printer.maximumCompleteLength - capacity { throw PrintJob.tooLong() }
    if capacity + separators <= SmallUTF8.capacity { return joinedSmall(vector, separator: separator) }
    try MemoryGuard.reserve(capacity + separators, for: "join's text")
    return String(unsafeUninitializedCapacity: capacity + separators) { buffer in
      guard let base = buffer.baseAddress else { return 0 }
      let end = buffer.count
      var position = 0
      var first = true
      vector.forEachChunk { chunk in
        for index in 0..<chunk.count {
          if first {
            first = false
          } else if separatorBytes > 0 {
            position = put(separator, at: position, in: base, end: end)
          }
          switch chunk[index] {
          case .string(let s): position = put(s.value, at: position, in: base, end: end)
          case .int(let i): position = put(i, at: position, in: base, end: end)
          default: continue
          }
        }
      }
      return position
    }
  }

  /// `joinedPieces` when the whole result fits in a small string: built in two words (writing
  /// into a 15-byte buffer went byte by byte, there being no room for 8-byte stores).
  private static func joinedSmall(_ vector: PersistentVector, separator: String) -> String? {
    var builder = SmallUTF8Builder()
    var fits = true
    var first = true
    vector.forEachChunk { chunk in
      for index in 0..<chunk.count where fits {
        if !first && !separator.isEmpty { fits = builder.append(separator) }
        first = false
        switch chunk[index] {
        case .string(let s): fits = fits && builder.append(s.value)
        case .int(let i): fits = fits && builder.append(i)
        default: fits = false
        }
      }
    }
    // Not reached when the lengths were measured right; nil sends the caller to the general path.
    return fits ? builder.string() : nil
  }

  /// Writes `text`'s bytes at `position` and returns the position after them; a piece that would
  /// pass `end` (the caller sized the buffer from the same values, so none does) is left out.
  @inline(__always) private static func put(
    _ text: String, at position: Int, in base: UnsafeMutablePointer<UInt8>, end: Int
  ) -> Int {
    if let words = SmallUTF8.words(text) {
      return put(low: words.low, high: words.high, count: words.count, at: position, in: base, end: end)
    }
    let copied = text.utf8.withContiguousStorageIfAvailable { source -> Int in
      guard let from = source.baseAddress, source.count <= end - position else { return 0 }
      (base + position).update(from: from, count: source.count)
      return source.count
    }
    if let copied { return position + copied }
    var written = position
    for byte in text.utf8 where written < end {
      base[written] = byte
      written += 1
    }
    return written
  }

  /// Writes the digits of `value` at `position` and returns the position after them.
  @inline(__always) private static func put(
    _ value: Int, at position: Int, in base: UnsafeMutablePointer<UInt8>, end: Int
  ) -> Int {
    if let words = DecimalText.words(value) {
      return put(low: words.low, high: words.high, count: words.count, at: position, in: base, end: end)
    }
    let room = UnsafeMutableBufferPointer(start: base + position, count: end - position)
    return position + DecimalText.write(value, to: room)
  }

  /// Writes `count` (at most 15) bytes held in two words at `position`: two unaligned 8-byte
  /// stores when 16 bytes of room remain, byte by byte near the end.
  @inline(__always) private static func put(
    low: UInt64, high: UInt64, count: Int, at position: Int, in base: UnsafeMutablePointer<UInt8>, end: Int
  ) -> Int {
    guard count <= end - position else { return position }
    if end - position >= 16 {
      let target = UnsafeMutableRawPointer(base + position)
      target.storeBytes(of: low.littleEndian, as: UInt64.self)
      target.storeBytes(of: high.littleEndian, toByteOffset: 8, as: UInt64.self)
      return position + count
    }
    var word = low
    for offset in 0..<count {
      if offset == 8 { word = high }
      base[position + offset] = UInt8(truncatingIfNeeded: word)
      word &>>= 8
    }
    return position + count
  }

  /// `join` through the printer, for elements other than strings and Ints.
  private static func printed(_ items: Value, separator: String, machine: Machine) throws -> String {
    var out = ""
    var index = 0
    var growth = MemoryGuard.Growth()
    try Collections.forEach(items, "join") { item in
      if index > 0 { out.append(separator) }
      index += 1
      switch item {
      case .string(let s): out.append(s.value)
      case .int(let i): DecimalText.append(i, to: &out)
      // As `str` does: `(join "," [nil 1])` is ",1" (it was "nil,1").
      case .nil: break
      default: out.append(try Printer.complete(item, readably: false, machine: machine))
      }
      if out.utf8.count > Printer.maximumCompleteLength { throw PrintJob.tooLong() }
      try growth.check(out.utf8.count, for: "join's text")
      if index & 0xFFFF == 0 { try machine.checkInterrupt() }
    }
    return out
  }

  /// Writes a string's bytes or an Int's digits at `position` and returns how many; other
  /// kinds write nothing. The caller sized `buffer` from the same values; a piece that would
  /// not fit (it cannot) is left out rather than written past the end.
  @inline(__always) private static func write(
    _ value: Value, into buffer: UnsafeMutableBufferPointer<UInt8>, at position: Int
  ) -> Int {
    switch value {
    case .string(let s):
      let text = s.value.utf8
      let copied = text.withContiguousStorageIfAvailable { source -> Int in
        guard source.count <= buffer.count - position, let target = buffer.baseAddress else { return 0 }
        UnsafeMutableRawPointer(target + position).copyMemory(
          from: UnsafeRawPointer(source.baseAddress ?? UnsafePointer(target)), byteCount: source.count)
        return source.count
      }
      if let copied { return copied }
      var written = position
      for byte in text where written < buffer.count {
        buffer[written] = byte
        written += 1
      }
      return written - position
    case .int(let i): return DecimalText.write(i, to: UnsafeMutableBufferPointer(rebasing: buffer[position...]))
    default: return 0
    }
  }
}

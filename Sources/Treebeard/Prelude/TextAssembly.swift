// `str` and `join` of strings and Ints written straight into the new string's storage.

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
    guard SmallUTF8.isLayoutVerified else { return nil }
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

  /// `join` through the printer, for elements other than strings and Ints.
  private static func printed(_ items: Value, separator: String, machine: Machine) throws -> String {
    var out = ""
    var index = 0
    try Collections.forEach(items, "join") { item in
      if index > 0 { out.append(separator) }
      index += 1
      switch item {
      case .string(let s): out.append(s.value)
      case .int(let i): DecimalText.append(i, to: &out)
      default: out.append(try Printer.complete(item, readably: false, machine: machine))
      }
      if out.utf8.count > Printer.maximumCompleteLength { throw PrintJob.tooLong() }
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

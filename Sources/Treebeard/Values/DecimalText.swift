// Decimal text of Ints for the printer and `str`, without the standard library's generic path.

enum DecimalText {
  /// The decimal digits of `value` (with `-` when negative). `String(value)` goes through
  /// generic integer printing and `description` (about 250 instructions for a 6-digit Int);
  /// this writes the digits into a stack buffer, and results of up to 15 bytes become small
  /// strings with no allocation.
  @inline(__always) static func string(_ value: Int) -> String {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
      let start = write(value, into: buffer)
      return String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self)
    }
  }

  /// Appends the decimal digits of `value` to `out`.
  @inline(__always) static func append(_ value: Int, to out: inout String) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
      let start = write(value, into: buffer)
      out.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self))
    }
  }

  /// How many bytes `string(value)` has.
  @inline(__always) static func count(_ value: Int) -> Int {
    var magnitude = value.magnitude
    var count = value < 0 ? 2 : 1
    while magnitude >= 10 {
      magnitude /= 10
      count += 1
    }
    return count
  }

  /// Writes the digits at the start of `destination` (at least `count(value)` bytes) and
  /// returns how many.
  @inline(__always) static func write(_ value: Int, to destination: UnsafeMutableBufferPointer<UInt8>) -> Int {
    let count = count(value)
    guard count <= destination.count else { return 0 }
    var magnitude = value.magnitude
    var position = count
    repeat {
      position -= 1
      let (quotient, digit) = magnitude.quotientAndRemainder(dividingBy: 10)
      destination[position] = UInt8(truncatingIfNeeded: digit) &+ 0x30
      magnitude = quotient
    } while magnitude != 0
    if value < 0 { destination[0] = 0x2D }
    return count
  }

  /// Writes the digits right-aligned into `buffer` (20 bytes: `Int.min` has 19 digits and a
  /// sign) and returns the index of the first byte written.
  @inline(__always) private static func write(_ value: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
    // The magnitude as UInt: `Int.min` has no positive Int counterpart.
    var magnitude = value.magnitude
    var position = buffer.count
    repeat {
      position -= 1
      let (quotient, digit) = magnitude.quotientAndRemainder(dividingBy: 10)
      buffer[position] = UInt8(truncatingIfNeeded: digit) &+ 0x30
      magnitude = quotient
    } while magnitude != 0 && position > 1
    if value < 0 {
      position -= 1
      buffer[position] = 0x2D
    }
    return position
  }
}

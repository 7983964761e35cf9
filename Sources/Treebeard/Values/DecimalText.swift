// Decimal text of Ints for the printer and `str`, without the standard library's generic path.

import OxurSyntax

enum DecimalText {
  /// The decimal digits of `value` (with `-` when negative). `String(value)` goes through
  /// generic integer printing and `description` (about 250 instructions for a 6-digit Int);
  /// up to 15 digits are made straight into a small string from `words`, longer ones are
  /// written into a stack buffer.
  @inline(__always) static func string(_ value: Int) -> String {
    if SmallUTF8.isLayoutVerifiedHere, let digits = words(value) {
      return SmallUTF8.string(low: digits.low, high: digits.high, count: digits.count, isASCII: true)
    }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
      let start = write(value, into: buffer)
      return String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self)
    }
  }

  /// Appends the decimal digits of `value` to `out`.
  @inline(__always) static func append(_ value: Int, to out: inout String) { out.append(string(value)) }

  /// The text of `value` as `SmallUTF8.words` holds a string's bytes (first byte lowest), when
  /// it has at most 15 bytes; nil otherwise. Four digits per 64-bit division (a multiply and a
  /// shift), split into pairs with 32-bit ones, and the bytes go in four at a time: a digit at a
  /// time cost twice as much.
  @inline(__always) static func words(_ value: Int) -> (low: UInt64, high: UInt64, count: Int)? {
    var magnitude = value.magnitude
    // 15 digits at most: with the sign that is 16 bytes, all still inside the two words.
    guard magnitude < 1_000_000_000_000_000 else { return nil }
    var low: UInt64 = 0
    var high: UInt64 = 0
    var count = 0
    // Bytes shifted in later land earlier: the least significant digits go in first, four at
    // a time while there are more than four.
    while magnitude >= 10_000 {
      let (quotient, group) = magnitude.quotientAndRemainder(dividingBy: 10_000)
      let (upper, lower) = UInt32(truncatingIfNeeded: group).quotientAndRemainder(dividingBy: 100)
      high = (high &<< 32) | (low &>> 32)
      low = (low &<< 32) | (UInt64(pairBytes(lower)) &<< 16) | UInt64(pairBytes(upper))
      count &+= 4
      magnitude = quotient
    }
    while magnitude >= 100 {
      let (quotient, pair) = magnitude.quotientAndRemainder(dividingBy: 100)
      let (tens, ones) = pair.quotientAndRemainder(dividingBy: 10)
      high = (high &<< 16) | (low &>> 48)
      low = (low &<< 16) | (UInt64(truncatingIfNeeded: ones) &<< 8) | UInt64(truncatingIfNeeded: tens) | 0x3030
      count &+= 2
      magnitude = quotient
    }
    if magnitude >= 10 {
      let (tens, ones) = magnitude.quotientAndRemainder(dividingBy: 10)
      high = (high &<< 16) | (low &>> 48)
      low = (low &<< 16) | (UInt64(truncatingIfNeeded: ones) &<< 8) | UInt64(truncatingIfNeeded: tens) | 0x3030
      count &+= 2
    } else {
      high = (high &<< 8) | (low &>> 56)
      low = (low &<< 8) | (UInt64(truncatingIfNeeded: magnitude) &+ 0x30)
      count &+= 1
    }
    if value < 0 {
      high = (high &<< 8) | (low &>> 56)
      low = (low &<< 8) | 0x2D
      count &+= 1
    }
    guard count <= SmallUTF8.capacity else { return nil }
    return (low, high, count)
  }

  /// The two ASCII digits of `pair` (below 100), the tens digit in the low byte.
  @inline(__always) private static func pairBytes(_ pair: UInt32) -> UInt32 {
    let (tens, ones) = pair.quotientAndRemainder(dividingBy: 10)
    return (ones &<< 8) | tens | 0x3030
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

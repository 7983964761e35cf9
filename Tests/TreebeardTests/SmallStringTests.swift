// Small strings made and read as two words: layout check, builder, digits, the stable hash, forEachChunk.

import OxurSyntax
import Testing

@testable import Treebeard

@Suite struct SmallStringTests {
  /// Strings of every length around the 8- and 15-byte boundaries, ASCII and not.
  static let samples: [String] = {
    var samples = ["", "a", "é", "🌳", "e\u{301}", "a\u{0}b", "\u{7F}", "\u{80}", "k199999"]
    for length in 0...20 {
      samples.append(String(repeating: "x", count: length))
      samples.append(String((0..<length).map { Character(Unicode.Scalar(UInt8(0x41 + $0))) }))
      if length > 1 { samples.append(String(repeating: "x", count: length - 2) + "é") }
      if length > 3 { samples.append("🌳" + String(repeating: "y", count: length - 4)) }
    }
    return samples
  }()

  @Test func layoutIsVerifiedOnThisPlatform() {
    // Without it every fast path below falls back silently and these tests would prove less.
    #expect(SmallUTF8.isLayoutVerified)
  }

  @Test(arguments: samples)
  func wordsReadBackTheBytes(_ text: String) {
    let bytes = Array(text.utf8)
    guard let words = SmallUTF8.words(text) else {
      #expect(bytes.count > SmallUTF8.capacity)
      return
    }
    #expect(words.count == bytes.count)
    #expect(words.isASCII == bytes.allSatisfy { $0 < 0x80 })
    var read: [UInt8] = []
    for index in 0..<words.count {
      let word = index < 8 ? words.low : words.high
      read.append(UInt8(truncatingIfNeeded: word >> UInt64((index % 8) * 8)))
    }
    #expect(read == bytes)
    let made = SmallUTF8.string(low: words.low, high: words.high, count: words.count, isASCII: words.isASCII)
    #expect(made == text)
    #expect(Array(made.utf8) == bytes)
    #expect(made.unicodeScalars.count == text.unicodeScalars.count)
    #expect(made.count == text.count)
    #expect(made.hashValue == text.hashValue)
  }

  @Test func builderConcatenatesEveryPairAndTriple() {
    let pieces = Self.samples.filter { $0.utf8.count <= 9 }
    for first in pieces {
      for second in pieces {
        for third in ["", "1", "é"] {
          var builder = SmallUTF8Builder()
          let fits = builder.append(first) && builder.append(second) && builder.append(third)
          let expected = first + second + third
          #expect(fits == (expected.utf8.count <= 15), "\(first) \(second) \(third)")
          if fits {
            let made = builder.string()
            #expect(made == expected)
            #expect(Array(made.utf8) == Array(expected.utf8))
            #expect(made.count == expected.count)
            #expect(made.uppercased() == expected.uppercased())
          }
        }
      }
    }
  }

  @Test func aPieceThatDoesNotFitLeavesTheBuilderUnchanged() {
    var builder = SmallUTF8Builder()
    let accepted = [
      builder.append("abcdefghij"), builder.append("123456"), builder.append(123_456),
      builder.append(String(repeating: "z", count: 40)), builder.append(12_345),
    ]
    #expect(accepted == [true, false, false, false, true])
    #expect(builder.string() == "abcdefghij12345")
  }

  /// A short string kept out of line (reserved capacity) is not small: every fast path must see
  /// that and take the general one, with the same results.
  @Test func shortStringStoredOutOfLineTakesTheGeneralPaths() {
    var text = String()
    text.reserveCapacity(64)
    text.append("ab")
    text.append("é")
    #expect(SmallUTF8.words(text) == nil)
    #expect(stableStringHash(text) == Self.referenceHash("abé"))
    var builder = SmallUTF8Builder()
    let accepted = builder.append(text)
    #expect(!accepted)
    #expect(builder.count == 0)
    let (interpreter, _, _) = bufferedInterpreter()
    interpreter.define(name: "out-of-line", value: .string(text))
    let results = ["(str out-of-line 1)", "(str 1 out-of-line)", "(join \",\" [out-of-line 2 out-of-line])"].map {
      (try? interpreter.eval($0)).map { Printer.readable($0) }
    }
    #expect(results == ["\"abé1\"", "\"1abé\"", "\"abé,2,abé\""])
  }

  static let integers: [Int] = {
    var values = [0, 1, -1, 9, 10, -10, 99, 100, -100, 101, Int.max, Int.min, Int.min + 1]
    var power = 1
    for _ in 0..<18 {
      power *= 10
      values += [power - 1, power, power + 1, -(power - 1), -power, -(power + 1)]
    }
    return values
  }()

  @Test(arguments: integers)
  func decimalWordsMatchTheStandardLibrary(_ value: Int) {
    let expected = String(value)
    #expect(DecimalText.string(value) == expected)
    #expect(DecimalText.count(value) == expected.utf8.count)
    guard let words = DecimalText.words(value) else {
      #expect(expected.utf8.count > 15 || value.magnitude >= 1_000_000_000_000_000)
      return
    }
    #expect(SmallUTF8.string(low: words.low, high: words.high, count: words.count, isASCII: true) == expected)
    var builder = SmallUTF8Builder()
    let accepted = builder.append(value)
    #expect(accepted)
    #expect(builder.string() == expected)
  }

  /// FNV-1a over UTF-8, written out plainly: the values `stableStringHash` must keep, because map
  /// iteration order (and so printed maps) depends on them.
  static func referenceHash(_ text: String) -> Int {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return Int(bitPattern: UInt(hash))
  }

  @Test(arguments: samples)
  func stableHashIsFNV1a(_ text: String) {
    #expect(stableStringHash(text) == Self.referenceHash(text))
    // The out-of-line path, which every string takes when the layout is not verified.
    #expect(stableLargeStringHash(text) == Self.referenceHash(text))
    let copy = String(decoding: Array(text.utf8), as: UTF8.self)
    #expect(stableStringHash(copy) == Self.referenceHash(text))
  }

  @Test func stableHashKeepsKnownValues() {
    #expect(UInt(bitPattern: stableStringHash("")) == 0xcbf2_9ce4_8422_2325)
    #expect(UInt(bitPattern: stableStringHash("a")) == 0xaf63_dc4c_8601_ec8c)
    #expect(UInt(bitPattern: stableStringHash("foobar")) == 0x8594_4171_f739_67e8)
  }

  @Test(arguments: [0, 1, 31, 32, 33, 64, 100, 1024, 1057])
  func forEachChunkVisitsEveryElementInOrder(_ count: Int) {
    var vector = PersistentVector.empty
    for index in 0..<count { vector = vector.conj(.int(index)) }
    var seen: [Int] = []
    vector.forEachChunk { chunk in
      #expect(chunk.count <= 32)
      for value in chunk { if case .int(let i) = value { seen.append(i) } }
    }
    #expect(seen == Array(0..<count))
    // An older version sharing the tail buffer sees only its own prefix.
    let older = vector
    let newer = vector.conj(.int(-1))
    var olderSeen: [Int] = []
    older.forEachChunk { chunk in for value in chunk { if case .int(let i) = value { olderSeen.append(i) } } }
    #expect(olderSeen == Array(0..<count))
    #expect(newer.count == count + 1)
  }
}

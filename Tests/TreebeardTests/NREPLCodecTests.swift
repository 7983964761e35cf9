// The bencode codec: round trips, partial input, and every kind of malformed or oversized input.

import Foundation
import Testing
import TreebeardNREPL

@Suite struct NREPLCodecTests {
  let decoder = BencodeDecoder()

  func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

  @Test func encodesEachKindAsTheSpecificationWritesIt() {
    #expect(Bencode.integer(-42).encoded() == bytes("i-42e"))
    #expect(Bencode.string("spam").encoded() == bytes("4:spam"))
    #expect(Bencode.string("").encoded() == bytes("0:"))
    #expect(Bencode.list([.integer(1), .string("a")]).encoded() == bytes("li1e1:ae"))
    // Keys sorted by their bytes, whatever the dictionary's order.
    #expect(Bencode.dictionary(["b": .integer(2), "a": .integer(1)]).encoded() == bytes("d1:ai1e1:bi2ee"))
    // Lengths count UTF-8 bytes, not characters.
    #expect(Bencode.string("✗").encoded() == bytes("3:✗"))
  }

  @Test func decodesWhatItEncodes() throws {
    let message = Bencode.dictionary([
      "op": .string("eval"), "code": .string("(println \"ü\")"), "line": .integer(12),
      "nested": .list([.dictionary([:]), .list([]), .integer(0), .string("")]),
    ])
    let encoded = message.encoded()
    let decoded = try decoder.decode(encoded)
    #expect(decoded?.value == message)
    #expect(decoded?.length == encoded.count)
  }

  @Test func aPartialMessageWaitsForMoreBytes() throws {
    let encoded = Bencode.dictionary(["op": .string("describe"), "id": .string("1")]).encoded()
    for cut in 0..<encoded.count {
      #expect(try decoder.decode(Array(encoded[..<cut])) == nil, "cut at \(cut)")
    }
    // A long string's length is known early: the reader is told to wait for all of it.
    let long = Bencode.string(String(repeating: "x", count: 1000)).encoded()
    #expect(try decoder.attempt(Array(long[..<10])) == .incomplete(needing: long.count))
  }

  @Test func twoMessagesInOneReadComeOutOneByOne() throws {
    let first = Bencode.dictionary(["id": .string("1")]).encoded()
    let second = Bencode.dictionary(["id": .string("2")]).encoded()
    let decoded = try decoder.decode(first + second)
    #expect(decoded?.length == first.count)
    #expect(decoded?.value.dictionary?["id"]?.text == "1")
  }

  @Test(arguments: [
    "x", "i12x", "ie", "i-e", "-1:a", "d i1e 1:ae", "di1ei2ee", "l1:a:e", "5x:abcde", "i123456789012345678x",
    "99999999999999999999:a", "i12345678901234567890x",
  ])
  func malformedInputIsRejected(_ input: String) {
    #expect(throws: BencodeError.self) { try decoder.decode(bytes(input)) }
  }

  @Test func integersOfAnyLengthKeepTheirText() throws {
    #expect(try decoder.decode(bytes("i123456789012345678e"))?.value == .integer(123_456_789_012_345_678))
    let big = try decoder.decode(bytes("i-1234567890123456789012e"))
    #expect(big?.value == .bigInteger("-1234567890123456789012"))
    #expect(big?.length == 25)
    #expect(Bencode.bigInteger("99999999999999999999").encoded() == bytes("i99999999999999999999e"))
    #expect(try decoder.decode(bytes("i1234567890123456789012")) == nil)
    #expect(throws: BencodeError.self) {
      try BencodeDecoder(maximumMessageBytes: 10).decode(bytes("i" + String(repeating: "1", count: 40) + "e"))
    }
  }

  @Test func aStringLongerThanTheLimitIsRejectedBeforeItArrives() {
    let small = BencodeDecoder(maximumMessageBytes: 100)
    #expect(throws: BencodeError.self) { try small.decode(bytes("1000:abc")) }
    #expect(throws: BencodeError.self) { try small.decode(bytes("l" + String(repeating: "i1e", count: 40))) }
  }

  @Test func nestingDeeperThanTheLimitIsRejected() throws {
    let shallow = BencodeDecoder(maximumDepth: 8)
    #expect(throws: BencodeError.self) { try shallow.decode(bytes(String(repeating: "l", count: 9))) }
    #expect(try shallow.decode(bytes(String(repeating: "l", count: 8) + String(repeating: "e", count: 8))) != nil)
    // The default limit stops a hostile nesting long before the stack could overflow.
    #expect(throws: BencodeError.self) { try decoder.decode(bytes(String(repeating: "l", count: 100_000))) }
  }
}

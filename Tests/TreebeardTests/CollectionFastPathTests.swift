// The collection and string fast paths against their plain counterparts: same results, no sharing leaks.

import Testing

@testable import Treebeard

@Suite struct CollectionFastPathTests {
  /// The builtins that take their first argument out of the call are the ones marked for the
  /// analyzer's moves (spec/tail-calls/builtin-moves.oxur checks what the moves do).
  @Test func exactlyTheInPlaceBuiltinsAreMarked() {
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    let marked = interpreter.runtime.prelude.filter { $0.value.updatesFirstArgumentInPlace }.map(\.key).sorted()
    #expect(marked == ["assoc", "conj", "update"])
  }

  /// FNV-1a over the UTF-8 view, byte by byte: what `stableStringHash` computed before it read
  /// contiguous storage. Map iteration order depends on it, so it must not change.
  func referenceHash(_ text: String) -> Int {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return Int(bitPattern: UInt(hash))
  }

  @Test func stringHashIsUnchanged() {
    let long = String(repeating: "abcdefghij", count: 50)
    let texts = [
      "", "k", "k123456", "exactly 15 byte", "sixteen bytes ok", long, "é", "e\u{301}", "🌳a", "日本語のテキスト",
      String(long.dropFirst(3)), String(Substring("xyz🌳")), "\u{0}nul",
    ]
    for text in texts {
      #expect(stableStringHash(text) == referenceHash(text), "\(text)")
      #expect(Value.string(text).stableHash == referenceHash(text), "\(text)")
    }
  }

  @Test func decimalTextMatchesDescription() {
    var samples = [0, 1, -1, 9, 10, -10, 99, 100, 12345, -987_654_321, Int.max, Int.min, Int.max - 1, Int.min + 1]
    var power = 1
    for _ in 0..<18 {
      power *= 10
      samples += [power, power - 1, -power, -(power - 1)]
    }
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<2000 { samples.append(Int.random(in: Int.min...Int.max, using: &generator)) }
    for value in samples {
      #expect(DecimalText.string(value) == String(value))
      #expect(DecimalText.count(value) == String(value).utf8.count)
      var out = "prefix"
      DecimalText.append(value, to: &out)
      #expect(out == "prefix" + String(value))
    }
  }

  @Test func writeRefusesTooSmallBuffers() {
    let written = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 3) { buffer in
      DecimalText.write(12345, to: buffer)
    }
    #expect(written == 0)
  }

  @Test(arguments: [0, 1, 31, 32, 33, 1024, 1025, 1057, 32 * 32 * 32 + 1, 70_000])
  func builderMatchesModel(_ count: Int) {
    var builder = VectorBuilder()
    builder.reserve(count / 2)
    for index in 0..<count { builder.append(.int(index)) }
    let vector = builder.finish()
    #expect(vector.count == count)
    #expect(vector.elements == (0..<count).map { Value.int($0) })
    #expect(vector.at(count) == nil)
    // Appending to a built vector, twice from the same version, keeps both results apart.
    let first = vector.conj(.int(-1))
    let second = vector.conj(.int(-2))
    #expect(first.at(count) == .int(-1) && second.at(count) == .int(-2) && vector.count == count)
  }

  /// `conj` into a loop's accumulator (the path of `(recur … (conj v x))`) changes the vector and
  /// the trie nodes in place when nobody else holds them; every version kept on the way must
  /// still show exactly what it showed when it was kept.
  @Test func inPlaceAppendLeavesKeptVersionsAlone() throws {
    var current = Value.vector(.empty)
    var kept: [(Value, Int)] = []
    var generator = SystemRandomNumberGenerator()
    for index in 0..<40_000 {
      if Int.random(in: 0..<500, using: &generator) == 0 || index == 1056 || index == 32 * 32 + 32 {
        kept.append((current, index))
      }
      try Collections.conj(into: &current, .int(index))
    }
    #expect(current == Collections.vector((0..<40_000).map { .int($0) }))
    for (version, count) in kept {
      guard case .vector(let vector) = version else {
        Issue.record("not a vector")
        continue
      }
      #expect(vector.count == count)
      #expect(vector.elements == (0..<count).map { Value.int($0) })
    }
  }

  /// Two vectors grown in place from one shared version: neither sees the other's elements.
  @Test func siblingsGrownInPlaceStayApart() throws {
    var base = Value.vector(.empty)
    for index in 0..<2000 { try Collections.conj(into: &base, .int(index)) }
    var left = base
    var right = base
    for index in 0..<3000 {
      try Collections.conj(into: &left, .int(index))
      try Collections.conj(into: &right, .int(-index))
    }
    let prefix = (0..<2000).map { Value.int($0) }
    #expect(base == Collections.vector(prefix))
    #expect(left == Collections.vector(prefix + (0..<3000).map { .int($0) }))
    #expect(right == Collections.vector(prefix + (0..<3000).map { .int(-$0) }))
  }

  @Test func strOfScalarsMatchesPrinter() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let pieces = ["\"k\"", "-17", "nil", "\"🌳é\"", "9223372036854775807", "\"\"", "0", "\"long string past fifteen\""]
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<300 {
      let chosen = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
        pieces[Int.random(in: 0..<pieces.count, using: &generator)]
      }
      let expected = chosen.map { piece -> String in
        if piece == "nil" { return "" }
        if piece.hasPrefix("\"") { return String(piece.dropFirst().dropLast()) }
        return piece
      }.joined()
      let source = "(str \(chosen.joined(separator: " ")))"
      #expect(try interpreter.eval(source) == .string(expected), "\(source)")
      let joined = "(join \"/\" [\(chosen.filter { $0 != "nil" }.joined(separator: " "))])"
      let expectedJoin = chosen.filter { $0 != "nil" }.map { piece -> String in
        piece.hasPrefix("\"") ? String(piece.dropFirst().dropLast()) : piece
      }.joined(separator: "/")
      #expect(try interpreter.eval(joined) == .string(expectedJoin), "\(joined)")
    }
  }
}

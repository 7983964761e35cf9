// Finding text inside Oxur strings by Unicode scalars (UTF-8 bytes), as `=` compares them.

/// Swift's `hasPrefix`, `contains`, `components(separatedBy:)` and Foundation's replacing match
/// grapheme clusters under canonical equivalence: `(starts-with? "\u{e9}" "e\u{301}")` was true
/// though the two strings are not `=`, and `"e"` was not found in `"e\u{301}"` although its first
/// scalar is `e`. Oxur strings are sequences of scalars (docs/language.md, item 33), so these
/// match bytes. A match of valid UTF-8 inside valid UTF-8 always starts and ends on scalar
/// boundaries (a lead byte is never a continuation byte), so byte matches are scalar matches.
/// Searches are linear (Knuth–Morris–Pratt): a hostile needle cannot make them quadratic.
enum TextMatching {
  static func hasPrefix(_ text: String, _ prefix: String) -> Bool { text.utf8.starts(with: prefix.utf8) }

  static func hasSuffix(_ text: String, _ suffix: String) -> Bool {
    let textCount = text.utf8.count
    let suffixCount = suffix.utf8.count
    guard suffixCount <= textCount else { return false }
    return text.utf8.dropFirst(textCount - suffixCount).elementsEqual(suffix.utf8)
  }

  static func contains(_ text: String, _ needle: String) -> Bool {
    needle.isEmpty || !occurrences(of: needle, in: text.utf8, limit: 1).isEmpty
  }

  /// The pieces of `text` between non-overlapping occurrences of a non-empty `separator`, left
  /// to right (an occurrence at either end gives an empty piece there); an empty separator
  /// splits into scalars.
  /// `pieces` is how many there will be when the caller has counted them already.
  static func split(_ text: String, by separator: String, pieces expected: Int? = nil) -> [String] {
    if separator.isEmpty { return text.unicodeScalars.map { String($0) } }
    let bytes = Array(text.utf8)
    var pieces: [String] = []
    pieces.reserveCapacity(expected ?? occurrenceCount(of: separator, in: bytes) + 1)
    var start = 0
    forEachOccurrence(of: separator, in: bytes) { match in
      pieces.append(String(decoding: bytes[start..<match.lowerBound], as: UTF8.self))
      start = match.upperBound
      return true
    }
    pieces.append(String(decoding: bytes[start...], as: UTF8.self))
    return pieces
  }

  /// `text` with every non-overlapping occurrence of a non-empty `target` replaced, left to right.
  /// Counts the matches first and asks `MemoryGuard` for the result (built as bytes, then made
  /// a string: two blocks at once) before making it; the matches are not kept (a list of 64
  /// million ranges was itself a gigabyte, which Swift failed to allocate, trapping).
  static func replacing(_ text: String, _ target: String, with replacement: String) throws -> String {
    // An empty target matches before each character and at the end, as in Rust and Clojure
    // (`"-a-b-"`); the text came back unchanged.
    guard !target.isEmpty else {
      let characters = text.unicodeScalars.count + 1
      let (grown, overflow) = characters.multipliedReportingOverflow(by: replacement.utf8.count)
      let (size, sizeOverflow) = grown.addingReportingOverflow(text.utf8.count)
      try MemoryGuard.reserve(overflow || sizeOverflow ? Int.max : size, for: "replace's result")
      var result = replacement
      for scalar in text.unicodeScalars {
        result.unicodeScalars.append(scalar)
        result += replacement
      }
      return result
    }
    let count = occurrenceCount(of: target, in: text.utf8)
    guard count > 0 else { return text }
    let growth = max(0, replacement.utf8.count - target.utf8.count)
    let (grown, grownOverflow) = count.multipliedReportingOverflow(by: growth)
    let (size, sizeOverflow) = text.utf8.count.addingReportingOverflow(grown)
    let (both, bothOverflow) = size.multipliedReportingOverflow(by: 2)
    try MemoryGuard.reserve(grownOverflow || sizeOverflow || bothOverflow ? Int.max : both, for: "replace's result")
    var result: [UInt8] = []
    result.reserveCapacity(size)
    var start = 0
    var text = text
    text.withUTF8 { bytes in
      forEachOccurrence(of: target, in: bytes) { match in
        result.append(contentsOf: bytes[start..<match.lowerBound])
        result.append(contentsOf: replacement.utf8)
        start = match.upperBound
        return true
      }
      result.append(contentsOf: bytes[start...])
    }
    return String(decoding: result, as: UTF8.self)
  }

  /// Byte ranges of the non-overlapping occurrences of a non-empty `needle` in `text` (UTF-8
  /// bytes), left to right, at most `limit` of them.
  static func occurrences<Bytes: Sequence<UInt8>>(
    of needle: String, in text: Bytes, limit: Int = .max
  ) -> [Range<Int>] {
    var found: [Range<Int>] = []
    forEachOccurrence(of: needle, in: text) { match in
      found.append(match)
      return found.count < limit
    }
    return found
  }

  /// How many non-overlapping occurrences of `needle` `text` holds, without keeping them.
  static func occurrenceCount<Bytes: Sequence<UInt8>>(of needle: String, in text: Bytes) -> Int {
    var count = 0
    forEachOccurrence(of: needle, in: text) { _ in
      count += 1
      return true
    }
    return count
  }

  /// Calls `body` with each non-overlapping occurrence of `needle`, left to right (Knuth–Morris–
  /// Pratt), until it returns false.
  static func forEachOccurrence<Bytes: Sequence<UInt8>>(
    of needle: String, in text: Bytes, _ body: (Range<Int>) -> Bool
  ) {
    let pattern = Array(needle.utf8)
    guard !pattern.isEmpty else { return }
    // failure[i]: length of the longest proper prefix of pattern[0...i] that is also its suffix.
    var failure = [Int](repeating: 0, count: pattern.count)
    var length = 0
    var index = 1
    while index < pattern.count {
      if pattern[index] == pattern[length] {
        length += 1
        failure[index] = length
        index += 1
      } else if length > 0 {
        length = failure[length - 1]
      } else {
        index += 1
      }
    }
    var matched = 0
    var position = 0
    for byte in text {
      while matched > 0 && byte != pattern[matched] { matched = failure[matched - 1] }
      if byte == pattern[matched] { matched += 1 }
      position += 1
      if matched == pattern.count {
        guard body((position - pattern.count)..<position) else { return }
        matched = 0
      }
    }
  }
}

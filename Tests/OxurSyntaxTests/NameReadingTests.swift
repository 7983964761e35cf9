// Names read as small strings from their bytes: each equals what the public initialiser makes.

import Testing

@testable import OxurSyntax

@Suite struct NameReadingTests {
  /// Names of every length around the 15-byte small-string limit, ASCII and not, with and
  /// without the layout check: the same strings, byte for byte, as `String(decoding:)` makes,
  /// and equal-comparing and hashing like them.
  @Test func namesEqualThePublicInitialisersStrings() {
    var samples: [[UInt8]] = []
    for length in 0...20 {
      samples.append(Array("abcdefghijklmnopqrstu".utf8.prefix(length)))
      samples.append(Array(repeating: UInt8(ascii: "~"), count: length))
    }
    samples.append(Array("ünï".utf8))
    samples.append(Array("abcdefgé".utf8))  // not ASCII from the eighth byte on
    samples.append(Array("abcdefghijklmné".utf8))  // 16 bytes, the last two not ASCII
    samples.append(Array("abcdefghijklmé".utf8))  // 15 bytes, not ASCII
    samples.append([0x61, 0x00, 0x62])  // a NUL inside is kept by count
    samples.append([0x61, 0xFF, 0x62])  // invalid UTF-8 is repaired as the initialiser repairs it
    samples.append(Array("abcdefg".utf8) + [0xFF])  // a lone invalid byte in the first word's top byte
    for bytes in samples {
      let expected = String(decoding: bytes, as: UTF8.self)
      for small in [true, false] {
        let (made, hash) = bytes.withUnsafeBufferPointer { Reader.name($0, small: small && SmallUTF8.isLayoutVerified) }
        #expect(made == expected, "\(bytes)")
        #expect(hash == SyntaxHash.text(expected), "\(bytes)")
        #expect(Array(made.utf8) == Array(expected.utf8), "\(bytes)")
        #expect(made.hashValue == expected.hashValue, "\(bytes)")
        #expect(made.count == expected.count, "\(bytes)")
      }
    }
  }

  /// Symbols, qualified symbols and keywords read through it.
  @Test func symbolsAndKeywordsReadTheirNames() throws {
    let forms = try Reader.readAll(
      SourceFile(name: "t.oxur", text: "abc calc:add :key ünïcödé a-fifteen-bytes! sixteen-bytes-xx"))
    let kinds = forms.map(\.kind)
    guard kinds.count == 6, case .symbol(nil, "abc") = kinds[0], case .symbol("calc", "add") = kinds[1],
      case .keyword("key") = kinds[2],
      case .symbol(nil, "ünïcödé") = kinds[3], case .symbol(nil, "a-fifteen-bytes!") = kinds[4],
      case .symbol(nil, "sixteen-bytes-xx") = kinds[5]
    else {
      Issue.record("unexpected kinds \(kinds)")
      return
    }
  }
}

// The reader asks the host before a collection's elements grow past 8 MiB, and stops when told.

import Foundation
import Testing

@testable import OxurSyntax

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct ReaderMemoryTests {
  /// A collection literal the host says cannot grow any more is a read error at its opening
  /// bracket, not an allocation that fails (Swift traps on those). The check refuses only on
  /// this test's thread, so tests reading at the same time are not affected.
  @Test func aCollectionPastWhatTheHostAllowsIsAReadErrorAtItsBracket() throws {
    let reader = pthread_self()
    ReaderMemory.setCheck { bytes in
      pthread_equal(pthread_self(), reader) != 0 && bytes > 40 << 20 ? "needs \(bytes >> 20) MB" : nil
    }
    defer { ReaderMemory.setCheck { _ in nil } }
    let text = "(count\n  [" + String(repeating: "1 ", count: 300_000) + "])"
    do {
      _ = try Reader.readAll(SourceFile(name: "big.oxur", text: text))
      Issue.record("a collection past the host's limit was read")
    } catch {
      #expect(error.message == "'[' holds more forms than fit: needs 48 MB")
      #expect((error.span.line, error.span.column) == (2, 3))
    }
    // Under the limit, the same text reads.
    let fits = try Reader.readAll(
      SourceFile(name: "big.oxur", text: "[" + String(repeating: "1 ", count: 200_000) + "]"))
    #expect(fits.first?.vectorElements?.count == 200_000)
  }
}

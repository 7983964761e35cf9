// `spit` writes to what a path names: through links, into FIFOs, keeping a file's mode.

import Foundation
import Testing

@testable import Treebeard

@Suite struct SpitTests {
  private func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<none>" }

  private func mode(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
  }

  /// `spit` renamed a new file over every path: a link became a file (its target kept the old
  /// text), a second hard link kept the old text, and a 600 or 755 file became 644.
  @Test func spitWritesThroughLinksAndKeepsTheMode() throws {
    let directory = ModuleDirectory()
    let target = directory.write("target.txt", "old")
    let link = directory.path("link.txt")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    let secret = directory.write("secret.txt", "old")
    chmod(secret, 0o600)
    let script = directory.write("script.sh", "old")
    chmod(script, 0o755)
    let first = directory.write("first.txt", "old")
    let second = directory.path("second.txt")
    try FileManager.default.linkItem(atPath: first, toPath: second)
    let (interpreter, _, _) = bufferedInterpreter()
    for path in [link, secret, script, first] { try interpreter.eval("(spit \"\(path)\" \"new\")") }
    let linkKind = try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType
    #expect(linkKind == .typeSymbolicLink)
    #expect(text(target) == "new")
    #expect(text(second) == "new")
    #expect(mode(secret) == 0o600)
    #expect(mode(script) == 0o755)
    #expect(text(secret) == "new" && text(script) == "new")
    // A plain file is still replaced whole (what a watcher reads is never half written), and
    // nothing is left beside it.
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
    #expect(!names.contains { $0.contains(".spit-") }, "\(names)")
  }

  /// A link to a file not made yet was replaced by a plain file (its target never created),
  /// and the set-user-ID bit was lost (a change of owner clears it; the mode now comes after).
  @Test func spitCreatesADanglingLinksTargetAndKeepsSpecialModeBits() throws {
    let directory = ModuleDirectory()
    let link = directory.path("dangling")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "made-by-spit")
    let special = directory.write("special", "old")
    chmod(special, 0o4751)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.eval("(spit \"\(link)\" \"through\")")
    try interpreter.eval("(spit \"\(special)\" \"new\")")
    let kind = try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType
    #expect(kind == .typeSymbolicLink)
    #expect(text(directory.path("made-by-spit")) == "through")
    #expect(mode(special) == 0o4751)
  }

  /// A FIFO became a plain file and its reader got nothing.
  @Test func spitWritesIntoAFIFOOnceItHasAReader() throws {
    let directory = ModuleDirectory()
    let fifo = directory.path("pipe")
    #expect(mkfifo(fifo, 0o644) == 0)
    let received = BufferedOutput()
    let reader = Thread {
      let handle = FileHandle(forReadingAtPath: fifo)
      received.write(String(decoding: handle?.readDataToEndOfFile() ?? Data(), as: UTF8.self))
      received.write("<end>")
    }
    reader.start()
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.eval("(spit \"\(fifo)\" [1 2])")
    var got = ""
    waitUntil("the reader got the text") {
      got += received.take()
      return got.hasSuffix("<end>")
    }
    #expect(got == "[1 2]<end>")
    let kind = try FileManager.default.attributesOfItem(atPath: fifo)[.type] as? FileAttributeType
    #expect(kind != .typeRegular)
  }

  @Test func aFailedSpitSaysWhy() throws {
    let directory = ModuleDirectory()
    let (interpreter, _, _) = bufferedInterpreter()
    for (path, why) in [
      (directory.path("no/such/dir.txt"), "No such file or directory"), (directory.url.path, "it is a directory"),
    ] {
      do {
        try interpreter.eval("(spit \"\(path)\" 1)")
        Issue.record("spit to \(path) succeeded")
      } catch let error as OxurError {
        #expect(error.kind == "io")
        #expect(error.message == "cannot write file \(path): \(why)")
      }
    }
  }
}

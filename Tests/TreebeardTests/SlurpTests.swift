// `slurp` reads to the end of files whose size the system does not report: procfs and pipes.

import Foundation
import Testing

@testable import Treebeard

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct SlurpTests {
  /// /proc files report size 0; slurp gave their first page only (about 4 KiB of smaps).
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/smaps")))
  func slurpReadsAProcFileToItsEnd() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let text = try interpreter.eval("(slurp \"/proc/self/smaps\")").printed
    // Every mapping has some twenty lines; this process has dozens of mappings.
    #expect(text.utf8.count > 16_384, "\(text.utf8.count) bytes")
    #expect(text.contains("[stack]"))
  }

  /// A FIFO with no writer yet blocked `open`, and a silent writer blocked `read`: Ctrl-C
  /// could not end the wait. Both now wait in 50 ms polls that look at the interrupt.
  @Test func anInterruptEndsASlurpWaitingForAPipe() throws {
    let directory = ModuleDirectory()
    let path = directory.url.appendingPathComponent("silent").path
    #expect(mkfifo(path, 0o600) == 0)
    let (interpreter, _, _) = bufferedInterpreter()
    let slurping = Background { try interpreter.eval("(slurp \"\(path)\")").printed }
    // An interrupt reaches only an evaluation already started: ask until it has ended.
    let ended = Counter()
    let asking = Thread {
      while ended.value == 0 {
        interpreter.interrupt()
        Thread.sleep(forTimeInterval: 0.1)
      }
    }
    asking.start()
    defer { ended.increment() }
    #expect(oxurError(slurping.wait("the slurp ends", timeout: 20))?.kind == "interrupted")
    #expect(try interpreter.eval("(+ 40 2)").printed == "42")
  }

  /// Waiting for a writer is kept: a FIFO's writer that comes later is read to its end.
  @Test func slurpWaitsForAPipesWriter() throws {
    signal(SIGPIPE, SIG_IGN)
    let directory = ModuleDirectory()
    let path = directory.url.appendingPathComponent("late").path
    #expect(mkfifo(path, 0o600) == 0)
    let writer = Thread {
      Thread.sleep(forTimeInterval: 0.3)
      guard let handle = FileHandle(forWritingAtPath: path) else { return }
      Thread.sleep(forTimeInterval: 0.2)
      try? handle.write(contentsOf: Data("late words".utf8))
      try? handle.close()
    }
    writer.start()
    let (interpreter, _, _) = bufferedInterpreter()
    #expect(try interpreter.eval("(slurp \"\(path)\")").printed == "\"late words\"")
  }

  /// A named pipe: the writer's 300,000 bytes arrive over many reads, all of them kept.
  @Test func slurpReadsANamedPipeToItsEnd() throws {
    // A reader that stops early must fail this test, not kill the test process with SIGPIPE.
    signal(SIGPIPE, SIG_IGN)
    let directory = ModuleDirectory()
    let path = directory.url.appendingPathComponent("pipe").path
    #expect(mkfifo(path, 0o600) == 0)
    let line = String(repeating: "x", count: 99) + "\n"
    let writer = Thread {
      guard let handle = FileHandle(forWritingAtPath: path) else { return }
      // A reader that stops early makes the write fail (EPIPE): the test fails, the writer stops.
      do { for _ in 0..<3000 { try handle.write(contentsOf: Data(line.utf8)) } } catch {}
      try? handle.close()
    }
    writer.start()
    let (interpreter, _, _) = bufferedInterpreter()
    #expect(try interpreter.eval("(count (slurp \"\(path)\"))").printed == "300000")
  }

  /// A file without end is an error at the limit, not a host out of memory.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/zero")))
  func aFileWithoutEndStopsAtTheLimit() {
    #expect(FileContents.whole("/dev/zero", limit: 1 << 20) == .failure(.tooLarge))
    #expect(FileContents.whole("/no/such/file") == .failure(.cannotRead("No such file or directory")))
    var asked = 0
    let stopped = FileContents.whole("/dev/zero", limit: 1 << 30) {
      asked += 1
      return asked > 3
    }
    #expect(stopped == .failure(.interrupted))
  }
}

// The cheaper start-up paths (issue 12, start-up aim): each answers what the Foundation call it replaced answered.

import Foundation
import Testing

@testable import Treebeard

@Suite struct StartupPathTests {
  /// `FilePaths.standardized` is `URL.standardizedFileURL.path`, computed on the text.
  @Test func pathsStandardizeAsURLDoes() {
    let base = "/work/project"
    let paths = [
      "m.oxur", "./m.oxur", "a/b/../m.oxur", "a//b///m.oxur", "../m.oxur", "../../../../m.oxur", "/abs/m.oxur",
      "/abs/./x/../m.oxur", "/", "/..", "a/./././b", "dir/", "ünï/cödé.oxur", "a b/c d.oxur", "..x/y..", ".hidden",
    ]
    for path in paths {
      let url =
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: base).appendingPathComponent(path)
      #expect(FilePaths.standardized(path, relativeTo: base) == url.standardizedFileURL.path, "\(path)")
    }
    #expect(FilePaths.standardized("x.oxur", relativeTo: "/") == "/x.oxur")
  }

  /// `FilePaths.baseName` is `URL.deletingPathExtension().lastPathComponent` for module files.
  @Test func baseNamesMatchURL() {
    let paths = [
      "/a/b/geometry.oxur", "geometry.oxur", "/a/b/archive.tar.gz", "/a/b/noextension", "/a/.hidden", "/a/b.c/d",
      "rel/dir/m.oxur", "/a/b/ünï.oxur",
    ]
    for path in paths {
      #expect(
        FilePaths.baseName(path) == URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, "\(path)")
    }
  }

  /// `ProcessEnvironment.value` reads the variable as `ProcessInfo` does, unset as nil.
  @Test func environmentValuesAreReadOneByOne() {
    let name = "TREEBEARD_TEST_VARIABLE_\(UUID().uuidString.prefix(8))"
    #expect(ProcessEnvironment.value(name) == nil)
    setenv(name, "välue with spaces", 1)
    defer { unsetenv(name) }
    #expect(ProcessEnvironment.value(name) == "välue with spaces")
    #expect(ProcessEnvironment.value(name) == ProcessInfo.processInfo.environment[name])
    #expect(ProcessEnvironment.value("PATH") == ProcessInfo.processInfo.environment["PATH"])
  }

  /// Only threads `LargeStack` started count as large, however they were started.
  @Test func largeStackThreadsAreKnownByTheirFlag() throws {
    #expect(!LargeStack.isCurrentThreadLarge)
    #expect(try LargeStack.run { LargeStack.isCurrentThreadLarge })
    let answers = AnswerBox()
    let done = DispatchSemaphore(value: 0)
    LargeStack.start(name: "test-large") {
      answers.set(started: LargeStack.isCurrentThreadLarge)
      done.signal()
    }
    Thread.detachNewThread {
      answers.set(plain: LargeStack.isCurrentThreadLarge)
      done.signal()
    }
    #expect(done.wait(timeout: .now() + 60) == .success)
    #expect(done.wait(timeout: .now() + 60) == .success)
    #expect(answers.started == true)
    #expect(answers.plain == false)
    #expect(!LargeStack.isCurrentThreadLarge)
  }

  /// An error thrown on the large stack reaches the caller as itself, and a value as itself.
  @Test func largeStackRunPassesValuesAndErrorsThrough() {
    #expect((try? LargeStack.run { 42 }) == 42)
    let thrown = Result { try LargeStack.run { () throws -> Int in throw OxurError("boom", "went off") } }
    guard case .failure(let error as OxurError) = thrown else {
      Issue.record("expected the OxurError, got \(thrown)")
      return
    }
    #expect(error.message.contains("went off"))
  }

  /// Phase times add up per phase, and only phases timed appear.
  @Test func phaseTimesSumPerPhase() {
    var times = PhaseTimes()
    #expect(times.milliseconds.isEmpty)
    times.add(.read, 1.5)
    times.add(.read, 2)
    times.add(.commit, 0)
    #expect(times[.read] == 3.5)
    #expect(times[.analyze] == 0)
    #expect(times.milliseconds == [.read: 3.5, .commit: 0])
    var other = PhaseTimes()
    other.add(.analyze, 4)
    other.add(.read, 1)
    times.add(other)
    #expect(times.milliseconds == [.read: 4.5, .analyze: 4, .commit: 0])
    #expect(times != PhaseTimes())
  }
}

/// What two threads answered, read after both signalled.
private final class AnswerBox: @unchecked Sendable {
  private let lock = NSLock()
  private var startedAnswer: Bool?
  private var plainAnswer: Bool?
  var started: Bool? { lock.withLock { startedAnswer } }
  var plain: Bool? { lock.withLock { plainAnswer } }
  func set(started: Bool) { lock.withLock { startedAnswer = started } }
  func set(plain: Bool) { lock.withLock { plainAnswer = plain } }
}

extension StartupPathTests {
  /// A FIFO named as a module is refused as what it is, without blocking on it; a module
  /// loaded through a symbolic link is still a regular file.
  @Test func nonRegularFilesAreRefusedByName() throws {
    let directory = ModuleDirectory()
    let fifo = directory.path("pipe.oxur")
    #expect(mkfifo(fifo, 0o600) == 0)
    let (interpreter, _, _) = bufferedInterpreter()
    let failure = Result { try interpreter.load(path: fifo) }
    guard case .failure(let error as LoadFailure) = failure else {
      Issue.record("expected a LoadFailure, got \(failure)")
      return
    }
    #expect(error.error.message.contains("not a regular file"), "\(error.error.message)")
    let real = directory.write("real.oxur", "(module linked)\n(defn f [] 7)\n")
    let link = directory.path("link.oxur")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
    try interpreter.load(path: link)
    #expect(try interpreter.eval("(linked:f)") == .int(7))
  }
}

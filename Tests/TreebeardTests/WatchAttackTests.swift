// Hostile saves under the watcher: each broken save is reported, and a save that can load again does.

import Foundation
import Testing
import Treebeard
import TreebeardWatch

/// A watched directory of modules with captured output (the watcher's own tests keep theirs private).
private final class WatchedDirectory: @unchecked Sendable {
  let directory = ModuleDirectory()
  let output = BufferedOutput()
  let errors = BufferedOutput()
  let interpreter: Interpreter
  let watcher: Watcher
  private let lock = NSLock()
  private var seenOut = ""
  private var seenErr = ""

  /// Writes `files`, loads `load` (which may import the others) and starts watching.
  init(_ backend: WatchBackend, files: [String: String], load: String) throws {
    interpreter = Interpreter(output: output, errorOutput: errors)
    for (name, text) in files { directory.write(name, text) }
    try interpreter.load(path: directory.path(load))
    watcher = Watcher(interpreter: interpreter, options: WatchOptions(backend: backend, debounce: 0.05))
    try watcher.watchLoadedModules()
  }

  deinit { watcher.stop() }

  func call(_ module: String, _ function: String) -> String {
    do { return try interpreter.call(module: module, function: function).printed } catch { return "\(error)" }
  }

  func version(_ module: String) -> Int? { interpreter.modules().first { $0.name == module }?.version }

  var err: String {
    lock.withLock {
      seenErr += errors.take()
      return seenErr
    }
  }

  var out: String {
    lock.withLock {
      seenOut += output.take()
      return seenOut
    }
  }

  /// Truncates and writes through the same file, as an in-place save does.
  func save(_ name: String, _ bytes: [UInt8]) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.path(name)))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data(bytes))
    try handle.close()
  }

  func save(_ name: String, _ text: String) throws { try save(name, Array(text.utf8)) }
}

@Suite(.serialized) struct WatchAttackTests {
  private static let library = "(module lib)\n(defn old [] :old)\n"
  private static let newLibrary = "(module lib)\n(defn old [] :old)\n(defn new [] :new)\n"
  private static func app(_ body: String) -> String { "(module app)\n(import lib)\n(defn show [] \(body))\n" }

  /// A save of `app` failed only because `lib` lacked a name; `lib` is saved with it and
  /// reloads. Saving `app` again, unchanged, must now load it: the watcher remembered the failed
  /// content and ignored it for good, so `app` kept its old code until its text changed.
  @Test(arguments: WatchBackend.allCases) func aSaveThatFailedForWantOfAnotherModuleLoadsWhenSavedAgain(
    _ backend: WatchBackend
  ) throws {
    let watched = try WatchedDirectory(
      backend, files: ["lib.oxur": Self.library, "app.oxur": Self.app("(lib:old)")], load: "app.oxur")
    try watched.save("app.oxur", Self.app("(lib:new)"))
    waitUntil("the failed save is reported", timeout: 20) {
      watched.err.contains("unknown name: lib:new") && watched.err.contains("✗ Module not reloaded (keeping version 1)")
    }
    try watched.save("lib.oxur", Self.newLibrary)
    waitUntil("lib reloads", timeout: 20) { watched.version("lib") == 2 }
    #expect(watched.call("app", "show") == ":old")
    try watched.save("app.oxur", Self.app("(lib:new)"))
    waitUntil("app reloads from the same text", timeout: 20) { watched.call("app", "show") == ":new" }
    #expect(watched.version("app") == 2)
  }

  /// Saved unchanged without any commit in between, a failed save still says nothing new.
  @Test(arguments: WatchBackend.allCases) func aFailedSaveSavedAgainAloneIsNotReportedTwice(
    _ backend: WatchBackend
  ) throws {
    let watched = try WatchedDirectory(
      backend, files: ["lib.oxur": Self.library, "app.oxur": Self.app("(lib:old)")], load: "app.oxur")
    try watched.save("app.oxur", Self.app("(lib:missing)"))
    waitUntil("the failed save is reported", timeout: 20) { watched.err.contains("unknown name: lib:missing") }
    try watched.save("app.oxur", Self.app("(lib:missing)"))
    // A later good save of another module shows the watcher went past the second save.
    try watched.save("lib.oxur", Self.newLibrary)
    waitUntil("lib reloads", timeout: 20) { watched.version("lib") == 2 }
    #expect(watched.err.components(separatedBy: "unknown name: lib:missing").count == 2, "\(watched.err)")
    #expect(watched.version("app") == 1)
  }

  /// A module loaded through a symlink is edited where its target lives: only the link's
  /// directory was watched, so the program never reloaded, and nothing said so.
  @Test(arguments: WatchBackend.allCases) func aModuleLoadedThroughASymlinkReloadsWhenItsTargetIsSaved(
    _ backend: WatchBackend
  ) throws {
    let directory = ModuleDirectory()
    let manager = FileManager.default
    try manager.createDirectory(atPath: directory.path("real"), withIntermediateDirectories: false)
    try manager.createDirectory(atPath: directory.path("links"), withIntermediateDirectories: false)
    let target = directory.write("real/calc.oxur", "(module calc)\n(defn answer [] :v1)\n")
    try manager.createSymbolicLink(atPath: directory.path("links/calc.oxur"), withDestinationPath: target)
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: directory.path("links/calc.oxur"))
    let watcher = Watcher(interpreter: interpreter, options: WatchOptions(backend: backend, debounce: 0.05))
    defer { watcher.stop() }
    try watcher.watchLoadedModules()
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data("(module calc)\n(defn answer [] :v2)\n".utf8))
    try handle.close()
    waitUntil("calc reloads from its target", timeout: 20) {
      (try? interpreter.call(module: "calc", function: "answer").printed) == ":v2"
    }
    #expect(interpreter.modules().first { $0.name == "calc" }?.path == directory.path("links/calc.oxur"))
    waitUntil("one reload line", timeout: 20) { output.take().contains("↻ Auto-reloaded: calc (version 2") }
  }

  /// Bytes that are not UTF-8 (an editor saving Latin-1) were skipped without a word: the
  /// program kept its old code and nobody was told. Now it is a broken save like any other.
  @Test(arguments: WatchBackend.allCases) func aSaveThatIsNotUTF8IsReportedAndKeepsTheVersion(
    _ backend: WatchBackend
  ) throws {
    let watched = try WatchedDirectory(
      backend, files: ["lib.oxur": Self.library, "app.oxur": Self.app("(lib:old)")], load: "app.oxur")
    try watched.save("app.oxur", Array(Self.app("\"caf").utf8) + [0xE9] + Array("\")\n".utf8))
    waitUntil("the broken save is reported", timeout: 20) {
      watched.err.contains("is not valid UTF-8 text\n✗ Module not reloaded (keeping version 1)")
    }
    #expect(watched.call("app", "show") == ":old")
    #expect(watched.version("app") == 1)
    try watched.save("app.oxur", Self.app("\"caf\u{e9}\""))
    waitUntil("the good save reloads", timeout: 20) { watched.call("app", "show") == "\"caf\u{e9}\"" }
    #expect(watched.err.components(separatedBy: "not valid UTF-8").count == 2, "reported once: \(watched.err)")
  }
}

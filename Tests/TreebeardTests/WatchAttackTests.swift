// Hostile saves under the watcher: each broken save is reported, and a save that can load again does.

import Foundation
import Testing
import Treebeard
import TreebeardWatch

@Suite(.serialized) struct WatchAttackTests {
  private static let library = "(module lib)\n(defn old [] :old)\n"
  private static let newLibrary = "(module lib)\n(defn old [] :old)\n(defn new [] :new)\n"
  private static func app(_ body: String) -> String { "(module app)\n(import lib)\n(defn show [] \(body))\n" }
  /// Modules `a` and `b` (`v` answers `:a1`, `:b1`), and `app`, whose `show` asks both.
  private static let twoLibraries = [
    "a.oxur": "(module a)\n(defn v [] :a1)\n", "b.oxur": "(module b)\n(defn v [] :b1)\n",
    "app.oxur": "(module app)\n(import a)\n(import b)\n(defn show [] [(a:v) (b:v)])\n",
  ]

  /// `app` calling `(lib:old)`, loaded and watched.
  private static func watchedAppOnLibrary(_ backend: WatchBackend) throws -> WatchedModules {
    let watched = try WatchedModules(
      backend, files: ["lib.oxur": library, "app.oxur": app("(lib:old)")], load: "app.oxur")
    try watched.watcher.watchLoadedModules()
    return watched
  }

  /// A save of `app` failed only because `lib` lacked a name; `lib` is then saved with it.
  /// `app`'s saved content goes in again with `lib`'s, so both load (the watcher once
  /// remembered the failed content for good and `app` kept its old code until its text changed).
  @Test(arguments: WatchBackend.allCases) func aSaveThatFailedForWantOfAnotherModuleLoadsWithIt(
    _ backend: WatchBackend
  ) throws {
    let watched = try Self.watchedAppOnLibrary(backend)
    try watched.inPlaceSave("app.oxur", Self.app("(lib:new)"))
    waitUntil("the failed save is reported", timeout: 20) {
      watched.err.contains("unknown name: lib:new") && watched.err.contains("✗ Module not reloaded (keeping version 1)")
    }
    try watched.inPlaceSave("lib.oxur", Self.newLibrary)
    waitUntil("app loads with lib", timeout: 20) { watched.call("app", "show") == ":new" }
    #expect(watched.version("lib") == 2)
    #expect(watched.version("app") == 2)
  }

  /// Two files saved together, one broken: nothing loads (one transaction). Fixing the broken
  /// one must load the other's save too: it was left unread, the program ran the old `b` while
  /// `b.oxur` said otherwise, and nothing told anyone.
  @Test(arguments: WatchBackend.allCases) func aGoodSaveHeldBackByABrokenOneLoadsWhenThatIsFixed(
    _ backend: WatchBackend
  ) throws {
    let watched = try WatchedModules(
      backend,
      files: Self.twoLibraries, load: "app.oxur")
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("a.oxur", "(module a)\n(defn v [] (undefined-thing))\n")
    try watched.inPlaceSave("b.oxur", "(module b)\n(defn v [] :b2)\n")
    waitUntil("the broken save is reported", timeout: 20) { watched.err.contains("unknown name: undefined-thing") }
    // Saved within one debounce they are one transaction, and nothing loads; a very slow
    // machine may split them, and then `b` loads alone.
    #expect(["[:a1 :b1]", "[:a1 :b2]"].contains(watched.call("app", "show")))
    try watched.inPlaceSave("a.oxur", "(module a)\n(defn v [] :a3)\n")
    waitUntil("both saves load", timeout: 20) { watched.call("app", "show") == "[:a3 :b2]" }
  }

  /// Saved unchanged without any commit in between, a failed save still says nothing new.
  @Test(arguments: WatchBackend.allCases) func aFailedSaveSavedAgainAloneIsNotReportedTwice(
    _ backend: WatchBackend
  ) throws {
    let watched = try Self.watchedAppOnLibrary(backend)
    try watched.inPlaceSave("app.oxur", Self.app("(lib:missing)"))
    waitUntil("the failed save is reported", timeout: 20) { watched.err.contains("unknown name: lib:missing") }
    try watched.inPlaceSave("app.oxur", Self.app("(lib:missing)"))
    // A later good save of another module shows the watcher went past the second save.
    try watched.inPlaceSave("lib.oxur", Self.newLibrary)
    waitUntil("lib reloads", timeout: 20) { watched.version("lib") == 2 }
    #expect(watched.err.components(separatedBy: "unknown name: lib:missing").count == 2, "\(watched.err)")
    #expect(watched.version("app") == 1)
  }

  /// An in-place save seen half-way (the file emptied, then written back with the same broken
  /// content): the emptied file is refused, and the broken content, already reported, is not
  /// reported again. With one failed hash kept per file the empty one replaced it, the broken
  /// text counted as news, and under CI's load this test's neighbour saw it twice.
  @Test(arguments: WatchBackend.allCases) func aFailedSaveSeenEmptiedHalfWayIsNotReportedTwice(
    _ backend: WatchBackend
  ) throws {
    let watched = try Self.watchedAppOnLibrary(backend)
    try watched.inPlaceSave("app.oxur", Self.app("(lib:missing)"))
    waitUntil("the failed save is reported", timeout: 20) { watched.err.contains("unknown name: lib:missing") }
    try watched.inPlaceSave("app.oxur", "")
    waitUntil("the emptied file is refused", timeout: 20) { watched.err.contains("app.oxur is empty") }
    try watched.inPlaceSave("app.oxur", Self.app("(lib:missing)"))
    try watched.inPlaceSave("lib.oxur", Self.newLibrary)
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

  /// A watched tree holding symbolic links back up to itself (`a -> .`, `b -> .`): the walk
  /// went round the cycles (2^40 paths with two, a core busy for ever) and a save never
  /// reloaded. Each directory is now watched and scanned once, under its first path.
  @Test(arguments: WatchBackend.allCases) func aTreeWithSymlinkCyclesIsWatchedOnce(_ backend: WatchBackend) throws {
    let directory = ModuleDirectory()
    let manager = FileManager.default
    try manager.createDirectory(atPath: directory.path("tree"), withIntermediateDirectories: false)
    let module = directory.write("tree/calc.oxur", "(module calc)\n(defn answer [] :v1)\n")
    for link in ["a", "b"] {
      try manager.createSymbolicLink(atPath: directory.path("tree/\(link)"), withDestinationPath: ".")
    }
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: module)
    let watcher = Watcher(interpreter: interpreter, options: WatchOptions(backend: backend, debounce: 0.05))
    defer { watcher.stop() }
    try watcher.watch(directory: directory.path("tree"))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: module))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data("(module calc)\n(defn answer [] :v2)\n".utf8))
    try handle.close()
    waitUntil("calc reloads", timeout: 20) {
      (try? interpreter.call(module: "calc", function: "answer").printed) == ":v2"
    }
  }

  /// The watched directory deleted and made again (a `git checkout` of a branch without it
  /// and back, `rsync --delete`): the kernel dropped the inotify watch with the directory, and
  /// every later save went unseen, silently. Polling saw them.
  @Test(arguments: WatchBackend.allCases) func aWatchedDirectoryMadeAgainIsWatchedAgain(_ backend: WatchBackend) throws
  {
    let directory = ModuleDirectory()
    let manager = FileManager.default
    try manager.createDirectory(atPath: directory.path("lib"), withIntermediateDirectories: false)
    let module = directory.write("lib/calc.oxur", "(module calc)\n(defn answer [] :v1)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: module)
    let watcher = Watcher(interpreter: interpreter, options: WatchOptions(backend: backend, debounce: 0.05))
    defer { watcher.stop() }
    try watcher.watchLoadedModules()
    Thread.sleep(forTimeInterval: 0.2)
    try manager.removeItem(atPath: directory.path("lib"))
    Thread.sleep(forTimeInterval: 0.3)
    try manager.createDirectory(atPath: directory.path("lib"), withIntermediateDirectories: false)
    directory.write("lib/calc.oxur", "(module calc)\n(defn answer [] :v2)\n")
    waitUntil("the file in the directory made again reloads", timeout: 20) {
      (try? interpreter.call(module: "calc", function: "answer").printed) == ":v2"
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: module))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data("(module calc)\n(defn answer [] :v3)\n".utf8))
    try handle.close()
    waitUntil("a later save reloads too", timeout: 20) {
      (try? interpreter.call(module: "calc", function: "answer").printed) == ":v3"
    }
  }

  /// A directory renamed inside a watched tree (`mv tree/sub tree/moved`) keeps being watched
  /// under its new name: the watch stayed keyed under the old one, or was dropped as lost,
  /// and saves in the renamed directory went unseen.
  @Test(arguments: WatchBackend.allCases) func aDirectoryRenamedInAWatchedTreeIsStillWatched(_ backend: WatchBackend)
    throws
  {
    let directory = ModuleDirectory()
    let manager = FileManager.default
    try manager.createDirectory(atPath: directory.path("tree/sub"), withIntermediateDirectories: true)
    directory.write("tree/sub/calc.oxur", "(module calc)\n(defn answer [] :v1)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    let watcher = Watcher(interpreter: interpreter, options: WatchOptions(backend: backend, debounce: 0.05))
    defer { watcher.stop() }
    try watcher.watch(directory: directory.path("tree"))
    Thread.sleep(forTimeInterval: 0.3)
    try manager.moveItem(atPath: directory.path("tree/sub"), toPath: directory.path("tree/moved"))
    Thread.sleep(forTimeInterval: 0.3)
    let module = directory.path("tree/moved/calc.oxur")
    try interpreter.load(path: module)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: module))
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data("(module calc)\n(defn answer [] :v2)\n".utf8))
    try handle.close()
    waitUntil("calc reloads in the renamed directory", timeout: 20) {
      (try? interpreter.call(module: "calc", function: "answer").printed) == ":v2"
    }
  }

  /// Bytes that are not UTF-8 (an editor saving Latin-1) were skipped without a word: the
  /// program kept its old code and nobody was told. Now it is a broken save like any other.
  @Test(arguments: WatchBackend.allCases) func aSaveThatIsNotUTF8IsReportedAndKeepsTheVersion(
    _ backend: WatchBackend
  ) throws {
    let watched = try Self.watchedAppOnLibrary(backend)
    try watched.inPlaceSave("app.oxur", Array(Self.app("\"caf").utf8) + [0xE9] + Array("\")\n".utf8))
    waitUntil("the broken save is reported", timeout: 20) {
      watched.err.contains("is not valid UTF-8 text\n✗ Module not reloaded (keeping version 1)")
    }
    #expect(watched.call("app", "show") == ":old")
    #expect(watched.version("app") == 1)
    try watched.inPlaceSave("app.oxur", Self.app("\"caf\u{e9}\""))
    waitUntil("the good save reloads", timeout: 20) { watched.call("app", "show") == "\"caf\u{e9}\"" }
    #expect(watched.err.components(separatedBy: "not valid UTF-8").count == 2, "reported once: \(watched.err)")
  }

  /// A module file replaced by a directory said nothing, ever: the watcher took it for a save
  /// in flight. It is now told once, the module keeps answering, and a file put back reloads.
  @Test(arguments: WatchBackend.allCases) func aModuleFileTurnedIntoADirectoryIsReportedOnce(
    _ backend: WatchBackend
  ) throws {
    let watched = try Self.watchedAppOnLibrary(backend)
    let manager = FileManager.default
    try manager.removeItem(atPath: watched.directory.path("app.oxur"))
    try manager.createDirectory(atPath: watched.directory.path("app.oxur"), withIntermediateDirectories: false)
    waitUntil("the directory is reported", timeout: 20) { watched.err.contains("app.oxur is now a directory") }
    #expect(watched.call("app", "show") == ":old")
    try watched.inPlaceSave("lib.oxur", Self.newLibrary)
    waitUntil("lib reloads", timeout: 20) { watched.version("lib") == 2 }
    #expect(watched.err.components(separatedBy: "is now a directory").count == 2, "once: \(watched.err)")
    try manager.removeItem(atPath: watched.directory.path("app.oxur"))
    watched.directory.write("app.oxur", Self.app("(lib:new)"))
    waitUntil("app reloads from the file put back", timeout: 20) { watched.call("app", "show") == ":new" }
  }

  /// A file that is not UTF-8 saved together with a good one fails them both, as an analysis
  /// error does: the good one used to load alone (half a branch switch). Fixing the bad file
  /// loads both.
  @Test(arguments: WatchBackend.allCases) func aSaveThatIsNotUTF8FailsTheFilesSavedWithIt(
    _ backend: WatchBackend
  ) throws {
    let watched = try WatchedModules(
      backend,
      files: Self.twoLibraries, load: "app.oxur", debounce: 0.5)
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("a.oxur", Array("(module a)\n(defn v [] \"caf".utf8) + [0xE9] + Array("\")\n".utf8))
    try watched.inPlaceSave("b.oxur", "(module b)\n(defn v [] :b2)\n")
    waitUntil("the broken save is reported", timeout: 20) { watched.err.contains("is not valid UTF-8 text") }
    waitUntil("both are kept", timeout: 20) { watched.err.contains("✗ No module reloaded (keeping a v1, b v1)") }
    #expect(watched.call("app", "show") == "[:a1 :b1]")
    try watched.inPlaceSave("a.oxur", "(module a)\n(defn v [] :a3)\n")
    waitUntil("both saves load", timeout: 20) { watched.call("app", "show") == "[:a3 :b2]" }
  }
}

// The watcher with real files, for both backends: each way an editor saves, and what must not reload.

import Foundation
import Testing
import Treebeard
import TreebeardWatch

@Suite(.serialized) struct WatchTests {
  @Test(arguments: WatchBackend.allCases) func aRenameSaveReloads(_ backend: WatchBackend) throws {
    let watched = try WatchedModules(backend, files: ["calc.oxur": WatchedModules.module("calc", ":v1")])
    try watched.watcher.watchLoadedModules()
    try watched.renameSave("calc.oxur", WatchedModules.module("calc", ":v2"))
    watched.waitForAnswer("calc", ":v2")
    #expect(watched.version("calc") == 2)
    waitUntil("the reload line is printed", timeout: 20) {
      watched.out.contains("↻ Auto-reloaded: calc (version 2, ")
    }
    #expect(watched.out.contains(" ms) ~answer\n"), "the line names what changed: \(watched.out)")
  }

  @Test(arguments: WatchBackend.allCases) func anInPlaceSaveReloads(_ backend: WatchBackend) throws {
    let watched = try WatchedModules(backend, files: ["calc.oxur": WatchedModules.module("calc", ":v1")])
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("calc.oxur", WatchedModules.module("calc", ":v2"))
    watched.waitForAnswer("calc", ":v2")
    #expect(watched.version("calc") == 2)
  }

  /// An unchanged save next to a real one: only the real one makes a new version.
  @Test(arguments: WatchBackend.allCases) func anUnchangedSaveDoesNothing(_ backend: WatchBackend) throws {
    let watched = try WatchedModules(
      backend,
      files: ["a.oxur": WatchedModules.module("a", ":a1"), "b.oxur": WatchedModules.module("b", ":b1")])
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("a.oxur", WatchedModules.module("a", ":a1"))
    try watched.renameSave("a.oxur", WatchedModules.module("a", ":a1"))
    try watched.inPlaceSave("b.oxur", WatchedModules.module("b", ":b2"))
    watched.waitForAnswer("b", ":b2")
    #expect(watched.version("a") == 1)
    #expect(watched.watcher.reloadAttempts == 1)
    #expect(!watched.out.contains("Auto-reloaded: a "))
  }

  @Test(arguments: WatchBackend.allCases) func aBurstOfSavesEndsWithTheLastContent(_ backend: WatchBackend) throws {
    let watched = try WatchedModules(backend, files: ["calc.oxur": WatchedModules.module("calc", ":v0")])
    try watched.watcher.watchLoadedModules()
    for number in 1...20 {
      if number.isMultiple(of: 2) {
        try watched.renameSave("calc.oxur", WatchedModules.module("calc", ":v\(number)"))
      } else {
        try watched.inPlaceSave("calc.oxur", WatchedModules.module("calc", ":v\(number)"))
      }
    }
    watched.waitForAnswer("calc", ":v20")
    #expect(watched.watcher.reloadAttempts <= 5, "a burst is debounced into few reloads")
    #expect((watched.version("calc") ?? 99) <= 6)
  }

  @Test(arguments: WatchBackend.allCases) func aBrokenSaveKeepsTheVersionAndTheNextGoodOneReloads(
    _ backend: WatchBackend
  ) throws {
    let watched = try WatchedModules(backend, files: ["calc.oxur": WatchedModules.module("calc", ":v1")])
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("calc.oxur", "(module calc)\n(defn answer [] (:v2\n")
    waitUntil("the failure is reported", timeout: 20) {
      watched.err.contains("✗ Module not reloaded (keeping version 1)")
    }
    #expect(watched.answer("calc") == ":v1")
    try watched.renameSave("calc.oxur", WatchedModules.module("calc", ":v3"))
    watched.waitForAnswer("calc", ":v3")
    #expect(watched.version("calc") == 2)
  }

  /// A save caught between truncation and write is refused, and the finished save reloads.
  @Test(arguments: WatchBackend.allCases) func aTruncatedSaveIsRefused(_ backend: WatchBackend) throws {
    let watched = try WatchedModules(backend, files: ["calc.oxur": WatchedModules.module("calc", ":v1")])
    try watched.interpreter.eval("(swap! calc:hits inc)")
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("calc.oxur", "")
    waitUntil("the empty file is refused", timeout: 20) { watched.err.contains("calc.oxur is empty") }
    #expect(watched.err.contains("✗ Module not reloaded (keeping version 1)"))
    #expect(watched.answer("calc") == ":v1")
    try watched.inPlaceSave("calc.oxur", WatchedModules.module("calc", ":v2"))
    watched.waitForAnswer("calc", ":v2")
    #expect(try watched.interpreter.eval("@calc:hits").printed == "1", "the defonce survived")
  }

  @Test(arguments: WatchBackend.allCases) func aDeletedFileWarnsOnceAndKeepsTheVersion(_ backend: WatchBackend) throws {
    let watched = try WatchedModules(
      backend,
      files: ["a.oxur": WatchedModules.module("a", ":a1"), "b.oxur": WatchedModules.module("b", ":b1")])
    try watched.watcher.watchLoadedModules()
    try FileManager.default.removeItem(atPath: watched.directory.path("a.oxur"))
    waitUntil("the deletion is reported", timeout: 20) {
      watched.err.contains("a.oxur was deleted; a version 1 keeps answering")
    }
    // Another save proves the watcher went on, and the deletion was reported once.
    try watched.inPlaceSave("b.oxur", WatchedModules.module("b", ":b2"))
    watched.waitForAnswer("b", ":b2")
    #expect(watched.answer("a") == ":a1")
    #expect(watched.err.components(separatedBy: "was deleted").count == 2, "\(watched.err)")
  }

  /// A save whose header names another module loaded that name as a new module (typing a
  /// header left one module per name typed on the way). As reload-all does, the module stays,
  /// with one warning, and a save that brings the header back reloads it.
  @Test(arguments: WatchBackend.allCases) func aRenamedHeaderKeepsTheModule(_ backend: WatchBackend) throws {
    let watched = try WatchedModules(
      backend,
      files: ["a.oxur": WatchedModules.module("a", ":a1"), "b.oxur": WatchedModules.module("b", ":b1")])
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("a.oxur", WatchedModules.module("a2", ":a2"))
    waitUntil("the rename is reported", timeout: 20) {
      watched.err.contains("a.oxur now declares module a2; keeping a version 1")
    }
    try watched.inPlaceSave("a.oxur", WatchedModules.module("a2", ":a3"))
    try watched.inPlaceSave("b.oxur", WatchedModules.module("b", ":b2"))
    watched.waitForAnswer("b", ":b2")
    #expect(watched.answer("a") == ":a1")
    #expect(!watched.interpreter.modules().contains { $0.name == "a2" })
    #expect(watched.err.components(separatedBy: "now declares module a2").count == 2, "\(watched.err)")
    try watched.inPlaceSave("a.oxur", WatchedModules.module("a", ":a4"))
    watched.waitForAnswer("a", ":a4")
  }

  /// A save that removes a function another module calls, or changes its arity, reloaded
  /// without the warnings `(reload)` prints (hot-reload.md): the next call failed unwarned.
  @Test(arguments: WatchBackend.allCases) func aSaveThatBreaksAnotherModuleWarns(_ backend: WatchBackend) throws {
    let watched = try WatchedModules(
      backend,
      files: [
        "a.oxur": "(module a)\n(defn va [] 1)\n(defn ar [x] x)\n",
        "m.oxur": "(module m)\n(import a)\n(defn use [] [(a:va) (a:ar 1)])\n",
      ], load: "m.oxur")
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("a.oxur", "(module a)\n(defn other [] 1)\n(defn ar [x y] x)\n")
    waitUntil("the reload line is printed", timeout: 20) { watched.out.contains("↻ Auto-reloaded: a (version 2") }
    let lines = watched.err.split(separator: "\n")
    #expect(lines.contains { $0.hasPrefix("⚠ a: va was removed but m still uses it at ") && $0.hasSuffix("m.oxur:3") })
    #expect(
      lines.contains {
        $0.hasPrefix("⚠ a: ar no longer takes 1 argument(s) (now 2); m calls it with 1 at ") && $0.hasSuffix("m.oxur:3")
      }, "\(watched.err)")
  }

  /// A saved macro module re-expands its users in the same transaction; the watcher printed
  /// only the macro module's line, so nothing said the user's code had changed too.
  @Test(arguments: WatchBackend.allCases) func aSavedMacroModuleListsTheUsersItReexpanded(_ backend: WatchBackend)
    throws
  {
    let watched = try WatchedModules(
      backend,
      files: [
        "macs.oxur": "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n",
        "user2.oxur": "(module user2)\n(import macs)\n(defn f [] (macs:tag 1))\n",
      ], load: "user2.oxur")
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v2 ~x])\n")
    waitUntil("the reload lines are printed", timeout: 20) { watched.out.contains("↳") }
    #expect(watched.out.contains("↻ Auto-reloaded: macs (version 2, "), "\(watched.out)")
    #expect(
      watched.out.contains(" ms) ~tag\n  ↳ user2 (version 2, re-expanded: it uses macros of macs) ~f\n"),
      "\(watched.out)")
    #expect(!watched.out.contains("Auto-reloaded: user2"), "a re-expanded user printed as a saved file: \(watched.out)")
    #expect(try watched.interpreter.eval("(user2:f)").printed == "[:v2 1]")
  }

  /// Saved together, a macro module and a module that imports another: one `↻` line for each
  /// saved file, a `↳` line for the module re-expanded with them and none of its own.
  @Test func filesSavedTogetherListWhatCameAlongUnderTheirLines() throws {
    let watched = try WatchedModules(
      .poll,
      files: [
        "macs.oxur": "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n",
        "user2.oxur": "(module user2)\n(import macs)\n(defn f [] (macs:tag 1))\n",
        "other.oxur": "(module other)\n(defn g [] 1)\n",
      ], load: "user2.oxur", debounce: 0.3)
    try watched.interpreter.load(path: watched.directory.path("other.oxur"))
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v2 ~x])\n")
    try watched.inPlaceSave("other.oxur", "(module other)\n(defn g [] 2)\n")
    waitUntil("the reload lines are printed", timeout: 20) { watched.out.contains("↳") }
    waitUntil("both saved modules reloaded", timeout: 20) { watched.version("other") == 2 }
    let lines = watched.out.split(separator: "\n").map(String.init)
    #expect(lines.filter { $0.hasPrefix("↻ Auto-reloaded: macs (version 2, ") }.count == 1, "\(watched.out)")
    #expect(lines.filter { $0.hasPrefix("↻ Auto-reloaded: other (version 2, ") }.count == 1, "\(watched.out)")
    #expect(lines.contains("  ↳ user2 (version 2, re-expanded: it uses macros of macs) ~f"), "\(watched.out)")
    #expect(!watched.out.contains("Auto-reloaded: user2"), "\(watched.out)")
  }

  /// The warnings are written while the evaluator is held, where a stalled log pipe stopped the
  /// program for as long as thousands of lines waited: past 20 they are summed up.
  @Test func aSaveThatBreaksManyUsesSumsUpTheWarnings() throws {
    let names = (0..<25).map { "f\($0)" }
    let watched = try WatchedModules(
      .poll,
      files: [
        "a.oxur": "(module a)\n" + names.map { "(defn \($0) [] 1)\n" }.joined(),
        "m.oxur": "(module m)\n(import a)\n(defn use [] [" + names.map { "(a:\($0))" }.joined(separator: " ") + "])\n",
      ], load: "m.oxur")
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("a.oxur", "(module a)\n(defn other [] 1)\n")
    waitUntil("the reload line is printed", timeout: 20) { watched.out.contains("↻ Auto-reloaded: a (version 2") }
    let lines = watched.err.split(separator: "\n")
    #expect(lines.filter { $0.contains(" was removed but m still uses it at ") }.count == 20, "\(watched.err)")
    #expect(lines.contains("⚠ … and 5 more: (reload-stats 'a) lists them"), "\(watched.err)")
    #expect(try watched.interpreter.eval("(count (:warnings (reload-stats 'a)))").printed == "25")
  }

  /// A file's `(module …)` header changed, loaded, and changed back leaves two modules claiming it; the
  /// watcher took the one listed last, so every unchanged save reloaded (a version each) and
  /// failures and the deletion named the other. The module loaded from the file last owns it.
  @Test(arguments: WatchBackend.allCases) func aHeaderChangedAndChangedBackKeepsItsModule(_ backend: WatchBackend)
    throws
  {
    let watched = try WatchedModules(
      backend, files: ["b.oxur": WatchedModules.module("b", ":b1"), "c.oxur": WatchedModules.module("c", ":c1")])
    try watched.watcher.watchLoadedModules()
    try watched.inPlaceSave("b.oxur", WatchedModules.module("zzz", ":z"))
    // The watcher keeps b (aRenamedHeaderKeepsTheModule); loaded by hand, zzz claims the file too.
    waitUntil("the rename is reported", timeout: 20) { watched.err.contains("now declares module zzz") }
    try watched.interpreter.load(path: watched.directory.path("b.oxur"))
    try watched.inPlaceSave("b.oxur", WatchedModules.module("b", ":b2"))
    watched.waitForAnswer("b", ":b2")
    let attempts = watched.watcher.reloadAttempts
    // An unchanged save, then a real one elsewhere: only that one reloads.
    try watched.inPlaceSave("b.oxur", WatchedModules.module("b", ":b2"))
    try watched.inPlaceSave("c.oxur", WatchedModules.module("c", ":c2"))
    watched.waitForAnswer("c", ":c2")
    #expect(watched.version("b") == 2)
    #expect(watched.watcher.reloadAttempts == attempts + 1)
    try watched.inPlaceSave("b.oxur", "(module b)\n(def answer")
    waitUntil("the broken save is reported", timeout: 20) { watched.err.contains("✗ Module not reloaded") }
    #expect(watched.err.contains("✗ Module not reloaded (keeping version 2)"), "\(watched.err)")
    try FileManager.default.removeItem(atPath: watched.directory.path("b.oxur"))
    waitUntil("the deletion is reported", timeout: 20) { watched.err.contains("b.oxur was deleted") }
    #expect(watched.err.contains("b.oxur was deleted; b version 2 keeps answering"), "\(watched.err)")
  }

  @Test(arguments: WatchBackend.allCases) func aNewFileIsNotLoaded(_ backend: WatchBackend) throws {
    let watched = try WatchedModules(backend, files: ["b.oxur": WatchedModules.module("b", ":b1")])
    try watched.watcher.watchLoadedModules()
    watched.directory.write("fresh.oxur", WatchedModules.module("fresh", ":new"))
    try watched.inPlaceSave("b.oxur", WatchedModules.module("b", ":b2"))
    watched.waitForAnswer("b", ":b2")
    #expect(!watched.interpreter.modules().contains { $0.name == "fresh" })
    #expect(watched.err.isEmpty, "\(watched.err)")
  }

  /// `(watch "dir")` watches a tree: a module in a subdirectory reloads.
  @Test(arguments: WatchBackend.allCases) func watchingADirectoryTree(_ backend: WatchBackend) throws {
    let directory = ModuleDirectory()
    try FileManager.default.createDirectory(
      at: directory.url.appendingPathComponent("lib/deep"), withIntermediateDirectories: true)
    let path = directory.write("lib/deep/tree.oxur", WatchedModules.module("tree", ":t1"))
    let output = BufferedOutput()
    let interpreter = Interpreter(output: output, errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let watcher = WatchBuiltins.install(
      in: interpreter, options: WatchOptions(backend: backend, debounce: 0.05))
    defer { watcher.stop() }
    try interpreter.eval("(watch \"\(directory.url.path)\")")
    #expect(output.take().contains("👁 Watching 1 directory (\(backend.rawValue))"))
    directory.write("lib/deep/tree.oxur", WatchedModules.module("tree", ":t2"))
    waitUntil("the module in the tree reloads", timeout: 20) {
      (try? interpreter.call(module: "tree", function: "answer").printed) == ":t2"
    }
    try interpreter.eval("(unwatch)")
    #expect(!watcher.isWatching)
  }

  /// The REPL has `(watch)`: an edit reloads while the session waits for input.
  @Test func theReplWatches() throws {
    let directory = ModuleDirectory()
    directory.write("m.oxur", WatchedModules.module("m", ":v1"))
    let repl = try ReplSession(in: directory.url)
    #expect(repl.send("(load \"m.oxur\")").out == "✓ Loaded module: m (version 1)\n")
    #expect(repl.send("(watch)").out.hasPrefix("👁 Watching 1 directory ("))
    directory.write("m.oxur", WatchedModules.module("m", ":v2"))
    var seen = ""
    waitUntil("the REPL answers with the new code", timeout: 20) {
      seen += repl.send("(m:answer)").out
      return seen.hasSuffix(":v2\n")
    }
    waitUntil("the reload line is printed", timeout: 20) {
      seen += repl.send("(m:answer)").out
      return seen.contains("↻ Auto-reloaded: m (version 2, ")
    }
    #expect(repl.send("(unwatch)").out == "nil\n")
    #expect(repl.close() == 0)
  }

  @Test func watchingWithNothingLoadedIsAnError() {
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    WatchBuiltins.install(in: interpreter)
    #expect(throws: OxurError.self) { try interpreter.eval("(watch)") }
    #expect(throws: OxurError.self) { try interpreter.eval("(watch \"/no/such/directory\")") }
  }
}

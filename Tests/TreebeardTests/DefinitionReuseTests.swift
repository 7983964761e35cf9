// Reuse of unchanged definitions' analyzed code by reloads (issue 12 item 3): reused when it is right, never when it is not.

import Foundation
import Testing

@testable import Treebeard

@Suite struct DefinitionReuseTests {
  /// `(defn fK [x] (+ x K c))` for K below `count`; `changed` maps K to its c (0 otherwise).
  func numbered(_ count: Int, changed: [Int: Int] = [:], header: String = "(module many)\n") -> String {
    header + (0..<count).map { "(defn f\($0) [x] (+ x \($0) \(changed[$0] ?? 0)))\n" }.joined()
  }

  func version(_ interpreter: Interpreter, _ module: String) -> ModuleVersion? {
    interpreter.runtime.lock.withLock { interpreter.runtime.registry.existingEntry(module)?.current }
  }

  private func lambda(_ interpreter: Interpreter, _ module: String, _ name: String) -> Lambda? {
    interpreter.runtime.lock.withLock {
      guard case .closure(let closure)? = version(interpreter, module)?.bindings[Symbol.intern(name)]?.value else {
        return nil
      }
      return closure.lambda
    }
  }

  private func rendered(_ body: () throws -> Void) -> String {
    do {
      try body()
      return "no error"
    } catch let error as OxurError {
      return ErrorRenderer.render(error)
    } catch let failure as LoadFailure {
      return ErrorRenderer.render(failure.error)
    } catch {
      return "\(error)"
    }
  }

  @Test func aOneFunctionEditReusesTheCodeOfEveryOtherDefinition() throws {
    let directory = ModuleDirectory()
    let path = directory.write("many.oxur", numbered(50))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    let before = (0..<50).map { lambda(interpreter, "many", "f\($0)") }
    directory.write("many.oxur", numbered(50, changed: [7: 100]))
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.changes.changed == ["f7"])
    #expect(version(interpreter, "many")?.reusedDefinitions == 49)
    #expect(interpreter.reloadStatistics(module: "many").last?.reusedDefinitions == 49)
    for index in 0..<50 {
      let same = lambda(interpreter, "many", "f\(index)") === before[index]
      #expect(same == (index != 7), "f\(index)")
    }
    #expect(try interpreter.eval("[(many:f7 1) (many:f8 1)]").printed == "[108 9]")
    // (reload-stats) reports it too.
    #expect(try interpreter.eval("(:reused (reload-stats 'many))").printed == "49")
    // A reload of the same text reuses everything, again.
    try interpreter.reload(path: path)
    #expect(version(interpreter, "many")?.reusedDefinitions == 50)
  }

  /// What a kept version costs (issue 12 item 3: 16 kept versions within 3× one version): an
  /// unchanged definition's closure and documentation are the previous version's objects,
  /// not copies; its cell (binding) is the version's own, so a REPL `def` into the current
  /// version, or a rollback, never reaches another version's value. A closure that captures
  /// is never shared.
  @Test func keptVersionsShareUnchangedClosuresAndDocumentationButNotCells() throws {
    let directory = ModuleDirectory()
    let path = directory.write("many.oxur", numbered(5, header: "(module many)\n(defn g \"Doc.\" [] 1)\n"))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    let first = try #require(version(interpreter, "many"))
    directory.write("many.oxur", numbered(5, changed: [2: 9], header: "(module many)\n(defn g \"Doc.\" [] 1)\n"))
    try interpreter.reload(path: path)
    let second = try #require(version(interpreter, "many"))
    func closure(_ version: ModuleVersion, _ name: String) -> Closure? {
      interpreter.runtime.lock.withLock {
        guard case .closure(let closure)? = version.bindings[Symbol.intern(name)]?.value else { return nil }
        return closure
      }
    }
    let (documentationShared, cellsShared) = interpreter.runtime.lock.withLock {
      (
        first.documentation(of: Symbol.intern("g")) === second.documentation(of: Symbol.intern("g")),
        first.bindings[Symbol.intern("g")] === second.bindings[Symbol.intern("g")]
      )
    }
    #expect(closure(first, "g") === closure(second, "g"))
    #expect(closure(first, "f1") === closure(second, "f1"))
    #expect(closure(first, "f2") !== closure(second, "f2"))
    #expect(documentationShared)
    #expect(!cellsShared)
    // A REPL definition into the current version changes that version's cell only.
    try interpreter.eval("(in-module many) (defn g [] 2) (in-module user)")
    #expect(try interpreter.eval("(many:g)").printed == "2")
    try interpreter.eval("(rollback 'many 1)")
    #expect(try interpreter.eval("(many:g)").printed == "1")
    // A closure that captures is made at each run: nothing to share.
    directory.write("cap.oxur", "(module cap)\n(def h (let [n 1] (fn [] n)))\n")
    let capPath = directory.path("cap.oxur")
    try interpreter.load(path: capPath)
    let before = try #require(version(interpreter, "cap"))
    try interpreter.reload(path: capPath, force: true)
    let after = try #require(version(interpreter, "cap"))
    #expect(closure(before, "h") !== closure(after, "h"))
  }

  /// Reused code calls whatever the callee is now: a changed callee, an unchanged caller.
  @Test func reusedCallersBindLateToChangedCallees() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "late.oxur", "(module late)\n(defn callee [x] (* x 2))\n(defn caller [x] (+ 1 (callee x)))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(late:caller 5)").printed == "11")
    directory.write("late.oxur", "(module late)\n(defn callee [x] (* x 3))\n(defn caller [x] (+ 1 (callee x)))\n")
    try interpreter.reload(path: path)
    #expect(version(interpreter, "late")?.reusedDefinitions == 1)
    #expect(try interpreter.eval("(late:caller 5)").printed == "16")
  }

  /// A reused definition's spans are the new file's: same text at the same line and column.
  /// One whose lines moved is analyzed again, so its errors name the new line.
  @Test func stackTracesPointAtTheNewLinesWhetherReusedOrMoved() throws {
    let directory = ModuleDirectory()
    let source = { (padding: String, answer: Int) in
      "(module traced)\n(defn early [] \(answer))\n\(padding)(defn boom [x] (/ x 0))\n(defn outer [x] (boom x))\n"
    }
    let path = directory.write("traced.oxur", source("", 1))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    // `early` changes in place: boom and outer keep their lines and are reused.
    directory.write("traced.oxur", source("", 2))
    try interpreter.reload(path: path)
    #expect(version(interpreter, "traced")?.reusedDefinitions == 2)
    let reused = rendered { try interpreter.eval("(traced:outer 1)") }
    #expect(reused.contains("\(path):3:16"), "\(reused)")
    #expect(reused.contains(" 3 | (defn boom [x] (/ x 0))"), "\(reused)")
    #expect(reused.contains("in traced:boom called at \(path):4:17"), "\(reused)")
    // Two lines inserted above: boom and outer move down, and are analyzed again.
    directory.write("traced.oxur", source(";; a comment\n\n", 2))
    try interpreter.reload(path: path)
    #expect(version(interpreter, "traced")?.reusedDefinitions == 1)
    let moved = rendered { try interpreter.eval("(traced:outer 1)") }
    #expect(moved.contains("\(path):5:16"), "\(moved)")
    #expect(moved.contains(" 5 | (defn boom [x] (/ x 0))"), "\(moved)")
    #expect(moved.contains("in traced:boom called at \(path):6:17"), "\(moved)")
    #expect(!moved.contains(":3:16"), "\(moved)")
  }

  /// A comment changed on a definition's line is not a change of its code, but the error excerpt
  /// quotes that line: the definition is analyzed again so the quote is the new text.
  @Test func anEditedLineInsideADefinitionIsNeverQuotedStale() throws {
    let directory = ModuleDirectory()
    let path = directory.write("quoted.oxur", "(module quoted)\n(defn boom [x] (/ x 0)) ; old note\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("quoted.oxur", "(module quoted)\n(defn boom [x] (/ x 0)) ; new note\n")
    try interpreter.reload(path: path)
    #expect(version(interpreter, "quoted")?.reusedDefinitions == 0)
    let report = rendered { try interpreter.eval("(quoted:boom 1)") }
    #expect(report.contains("; new note"), "\(report)")
  }

  @Test func aChangedMacroReanalyzesItsUsers() throws {
    let directory = ModuleDirectory()
    let source = { (factor: Int) in
      "(module mac)\n(defmacro scale [x] `(* ~x \(factor)))\n(defn use [x] (scale x))\n(defn plain [x] x)\n"
    }
    let path = directory.write("mac.oxur", source(2))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(mac:use 5)").printed == "10")
    directory.write("mac.oxur", source(3))
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("(mac:use 5)").printed == "15")
    #expect(version(interpreter, "mac")?.reusedDefinitions == 1)  // plain only
  }

  /// A call head that becomes a macro, or a builtin's name that becomes a definition of the
  /// module, changes what unchanged code means: it is analyzed again.
  @Test func unchangedCodeWhoseNamesMeanSomethingElseIsAnalyzedAgain() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "names.oxur", "(module names)\n(defn helper [x] (+ x 1))\n(defn f [x] (helper x))\n(defn g [x] (inc x))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("[(names:f 2) (names:g 2)]").printed == "[3 3]")
    directory.write(
      "names.oxur",
      "(module names)\n(defmacro helper [x] `(* ~x 100))\n(defn f [x] (helper x))\n(defn g [x] (inc x))\n(defn inc [x] (- x 1))\n"
    )
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("[(names:f 2) (names:g 2)]").printed == "[200 1]")
    #expect(version(interpreter, "names")?.reusedDefinitions == 0)
  }

  /// A module that had no macros and referred nothing keeps only the names its call heads
  /// asked about, asked again once it has macros: when it starts referring a macro, the
  /// unchanged caller of that name (its own function until now, so the global answer is the
  /// same) is analyzed again, and the definitions that never named it are still reused.
  @Test func referringAMacroReanalyzesCallersThatSawNone() throws {
    let directory = ModuleDirectory()
    directory.write("lib.oxur", "(module lib)\n(defmacro helper [x] `(* ~x 100))\n")
    let path = directory.write(
      "client.oxur", "(module client)\n(defn f [x] (helper x))\n(defn helper [x] (+ x 1))\n(defn g [] :g)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(client:f 2)").printed == "3")
    directory.write(
      "client.oxur",
      "(module client) (import lib :refer [helper])\n(defn f [x] (helper x))\n(defn helper [x] (+ x 1))\n(defn g [] :g)\n"
    )
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("(client:f 2)").printed == "200")
    #expect(version(interpreter, "client")?.reusedDefinitions == 2)  // helper and g
  }

  /// A struct's constructors are always analyzed again: a new field the unchanged constructor
  /// lacks fails the reload, and the running version stays.
  @Test func aChangedStructReanalyzesItsConstructors() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "shapes.oxur", "(module shapes)\n(defstruct P x y)\n(defn make [] (struct P :x 1 :y 2))\n(defn other [] :o)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write(
      "shapes.oxur", "(module shapes)\n(defstruct P x y z)\n(defn make [] (struct P :x 1 :y 2))\n(defn other [] :o)\n")
    let failure = rendered { try interpreter.reload(path: path) }
    #expect(failure.contains("missing field z in struct P"), "\(failure)")
    #expect(version(interpreter, "shapes")?.number == 1)
    #expect(try interpreter.eval("(shapes:make)").printed.contains(":y 2"))
  }

  @Test func rollbackAfterReuseRestoresTheOldCodeAndReusesFromIt() throws {
    let directory = ModuleDirectory()
    let path = directory.write("many.oxur", numbered(10))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("many.oxur", numbered(10, changed: [3: 50]))
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("(many:f3 0)").printed == "53")
    _ = try interpreter.rollback(module: "many")
    #expect(try interpreter.eval("[(many:f3 0) (many:f4 0)]").printed == "[3 4]")
    // The rolled-back version's code is reused by the next reload of the same text.
    directory.write("many.oxur", numbered(10, changed: [3: 60]))
    try interpreter.reload(path: path)
    #expect(version(interpreter, "many")?.reusedDefinitions == 9)
    #expect(try interpreter.eval("[(many:f3 0) (many:f4 0)]").printed == "[63 4]")
  }

  /// A reload that fails after reusing code changes nothing: the running version, its code and
  /// its answers stay; the next good reload reuses as before.
  @Test func aFailedReloadAfterReuseLeavesEverythingAsItWas() throws {
    let directory = ModuleDirectory()
    let path = directory.write("many.oxur", numbered(10))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    let running = version(interpreter, "many")
    let code = lambda(interpreter, "many", "f9")
    // f0..f8 are reused, then an unknown name fails the load.
    directory.write("many.oxur", numbered(10) + "(defn broken [] (no-such-function 1))\n")
    let failure = rendered { try interpreter.reload(path: path) }
    #expect(failure.contains("unknown name: no-such-function"), "\(failure)")
    #expect(version(interpreter, "many") === running)
    #expect(lambda(interpreter, "many", "f9") === code)
    #expect(try interpreter.eval("(many:f9 1)").printed == "10")
    #expect(running?.reusable.count == 10)
    // Removing a function unchanged code calls fails too (it is analyzed again and the name is unknown).
    directory.write("many.oxur", "(module many)\n(defn a [] (b))\n(defn b [] 1)\n")
    try interpreter.reload(path: path)
    directory.write("many.oxur", "(module many)\n(defn a [] (b))\n")
    let removed = rendered { try interpreter.reload(path: path) }
    #expect(removed.contains("unknown name: b"), "\(removed)")
    #expect(try interpreter.eval("(many:a)").printed == "1")
  }

  /// `--check--` runs with reused code too, and sees the new definitions it calls.
  @Test func checksRunOverReusedCode() throws {
    let directory = ModuleDirectory()
    let source = { (body: String) in
      "(module checked)\n(defn f [x] \(body))\n(defn --check-- [] (= (f 1) 2))\n"
    }
    let path = directory.write("checked.oxur", source("(* x 2)"))
    let (interpreter, _, _) = bufferedInterpreter()
    let loaded = rendered { try interpreter.load(path: path) }
    #expect(loaded == "no error")
    directory.write("checked.oxur", source("(* x 3)"))
    let failure = rendered { try interpreter.reload(path: path) }
    #expect(failure.contains("--check-- of checked returned false"), "\(failure)")
    #expect(version(interpreter, "checked")?.number == 1)
    #expect(try interpreter.eval("(checked:f 1)").printed == "2")
  }

  /// Reuse is keyed on what the file says, not on the module: a module renamed to a new file
  /// path, or a definition moved to another column, is analyzed again.
  @Test func aDefinitionMovedToAnotherColumnIsAnalyzedAgain() throws {
    let directory = ModuleDirectory()
    let path = directory.write("cols.oxur", "(module cols)\n(defn f [x] (/ x 0))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("cols.oxur", "(module cols)\n  (defn f [x] (/ x 0))\n")
    try interpreter.reload(path: path)
    #expect(version(interpreter, "cols")?.reusedDefinitions == 0)
    let report = rendered { try interpreter.eval("(cols:f 1)") }
    #expect(report.contains("\(path):2:15"), "\(report)")
  }
}

extension DefinitionReuseTests {
  /// A watcher's prepared source (read and parsed off the lock) reuses the same way.
  @Test func preparedSourcesReuseToo() throws {
    let directory = ModuleDirectory()
    let path = directory.write("many.oxur", numbered(20))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("many.oxur", numbered(20, changed: [0: 9]))
    try interpreter.load(prepared: interpreter.prepare(path: path))
    #expect(version(interpreter, "many")?.reusedDefinitions == 19)
    #expect(try interpreter.eval("[(many:f0 1) (many:f19 1)]").printed == "[10 20]")
  }

  /// Text that turns the unchanged lines after it into part of a string is no longer code
  /// there: the reader never reaches them as forms, so nothing is reused from them.
  @Test func unchangedLinesSwallowedByAnEarlierEditAreNotReused() throws {
    let directory = ModuleDirectory()
    let path = directory.write("swallow.oxur", "(module swallow)\n(def s \"a\")\n(defn f [] 1)\n(def t \"b\")\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("swallow.oxur", "(module swallow)\n(def s \"a)\n(defn f [] 1)\n(def t \")\n")
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("swallow:s").printed == "\"a)\\n(defn f [] 1)\\n(def t \"")
    #expect(version(interpreter, "swallow")?.bindings[Symbol.intern("f")] == nil)
    #expect(version(interpreter, "swallow")?.reusedDefinitions == 0)
  }
}

extension DefinitionReuseTests {
  /// Reused code keeps the text of the file it was analyzed from; after `maximumAge` reloads it
  /// is analyzed again, so old texts do not pile up however long the session.
  @Test func codeIsAnalyzedAgainOnceItIsMaximumAgeOld() throws {
    let directory = ModuleDirectory()
    let path = directory.write("aging.oxur", numbered(3, header: "(module aging)\n"))
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    let firstFile = try #require(version(interpreter, "aging")?.reusable.values.first?.file)
    var reusedCounts: [Int] = []
    for round in 1...(DefinitionReuse.maximumAge + 1) {
      directory.write("aging.oxur", numbered(3, changed: [0: round], header: "(module aging)\n"))
      try interpreter.reload(path: path)
      reusedCounts.append(version(interpreter, "aging")?.reusedDefinitions ?? -1)
    }
    let expected = Array(repeating: 2, count: DefinitionReuse.maximumAge - 1) + [0, 2]
    #expect(reusedCounts == expected)
    let files = version(interpreter, "aging")?.reusable.values.map { ObjectIdentifier($0.file) } ?? []
    #expect(!files.isEmpty && !files.contains(ObjectIdentifier(firstFile)))
    #expect(try interpreter.eval("(aging:f2 1)").printed == "3")
  }
}

extension DefinitionReuseTests {
  /// Two definitions on one line: each is matched by its own column, never the other's code.
  @Test func definitionsSharingALineKeepTheirOwnCode() throws {
    let directory = ModuleDirectory()
    let path = directory.write("pair.oxur", "(module pair)\n(defn a [] 1) (defn b [] 2)\n(defn c [] 3)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("pair.oxur", "(module pair)\n(defn a [] 1) (defn b [] 2)\n(defn c [] 3)\n;; touched\n")
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("[(pair:a) (pair:b) (pair:c)]").printed == "[1 2 3]")
    #expect((version(interpreter, "pair")?.reusedDefinitions ?? 0) >= 1)
    directory.write("pair.oxur", "(module pair)\n(defn a [] 10) (defn b [] 2)\n(defn c [] 3)\n")
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("[(pair:a) (pair:b) (pair:c)]").printed == "[10 2 3]")
  }

  /// `#_` put in front of an unchanged definition discards it: its old code is not reused.
  @Test func aDiscardedDefinitionIsGoneNotReused() throws {
    let directory = ModuleDirectory()
    let path = directory.write("gone.oxur", "(module gone)\n(defn keep [] 1)\n(defn drop [] 2)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("gone.oxur", "(module gone)\n(defn keep [] 1)\n#_(defn drop [] 2)\n")
    try interpreter.reload(path: path)
    #expect(version(interpreter, "gone")?.bindings[Symbol.intern("drop")] == nil)
    #expect(version(interpreter, "gone")?.reusedDefinitions == 1)
    #expect(try interpreter.eval("(gone:keep)").printed == "1")
  }
}

extension DefinitionReuseTests {
  /// What a thread prepared must load as it would from the evaluator: a file nested too deeply
  /// for a watcher's or a server's small stack used to fail as a parse error there, while
  /// `(load)` of the same file succeeded (review of the tenth stop).
  @Test func aFileTooDeepForThePreparingThreadsStackStillLoads() throws {
    let directory = ModuleDirectory()
    let depth = 600
    let nested = String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
    let path = directory.write("deepprep.oxur", "(module deepprep)\n(def x '\(nested))\n(def y 2)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    final class Box: @unchecked Sendable { var prepared: PreparedModule? = nil }
    let box = Box()
    onSmallStack(512 << 10) { box.prepared = try? interpreter.prepare(path: path) }
    let prepared = try #require(box.prepared)
    try interpreter.load(prepared: prepared)
    #expect(try interpreter.eval("deepprep:y").printed == "2")
    #expect(try interpreter.eval("(count deepprep:x)").printed == "1")
  }
}

// Rollback (issue 9 item 1): kept versions committed again as new numbers, all or nothing.

import Foundation
import Testing

@testable import Treebeard

@Suite struct RollbackTests {
  private func calc(_ answer: String) -> String {
    "(module calc)\n(defonce hits (atom 0))\n(defn answer [] (swap! hits inc) \(answer))\n"
  }

  @Test func rollingBackCommitsAnOldVersionAsANewNumber() throws {
    let directory = ModuleDirectory()
    let path = directory.write("calc.oxur", calc(":v1"))
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    for answer in [":v2", ":v3"] {
      directory.write("calc.oxur", calc(answer))
      try interpreter.reload(path: path)
    }
    #expect(try interpreter.eval("(calc:answer)").printed == ":v3")
    _ = output.take()
    try interpreter.eval("(rollback calc 1)")
    #expect(output.take() == "✓ Rolled back calc to version 1 (now version 4)\n")
    #expect(try interpreter.eval("(calc:answer)").printed == ":v1")
    // defonce state is not rolled back: the atom kept counting across versions.
    #expect(try interpreter.eval("@calc:hits").printed == "2")
    try interpreter.eval("(rollback calc)")
    #expect(output.take() == "✓ Rolled back calc to version 3 (now version 5)\n")
    #expect(try interpreter.eval("(calc:answer)").printed == ":v3")
    // A reload after rollbacks continues the numbering; history only grows.
    try interpreter.reload(path: path)
    #expect(interpreter.modules().first { $0.name == "calc" }?.version == 6)
  }

  /// A restored version's top level does not run again, so its `(import b)` loads nothing: a
  /// rollback to a version importing a module unloaded since said it succeeded, and the first
  /// call into b failed. It is refused at that import, and nothing changes.
  @Test func aRollbackToAVersionImportingAnUnloadedModuleIsRefused() throws {
    let directory = ModuleDirectory()
    directory.write("b.oxur", "(module b)\n(defn f [] :b-f)\n")
    let a = directory.write("a.oxur", "(module a)\n(import b :refer [f])\n(defn run [] (f))\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: a)
    directory.write("a.oxur", "(module a)\n(defn run [] :v2)\n")
    try interpreter.reload(path: a)
    try interpreter.eval("(unload b)")
    _ = output.take()
    try interpreter.eval("(rollback a 1)")
    #expect(output.take() == "")
    let said = errors.take()
    #expect(said.contains("a.oxur:2:1: version 1 of a imports b, which is not loaded now; load it first"), "\(said)")
    #expect(said.contains("✗ Nothing rolled back (keeping a v2)"), "\(said)")
    #expect(try interpreter.eval("(a:run)").printed == ":v2")
  }

  /// `(rollback)` undoes the last commit as a whole: a reload-all of two modules goes back together.
  /// A reload that added an import loaded that module for the first time in the same commit:
  /// `(rollback)` refused the whole commit ("it first loaded n, which has no earlier version").
  /// The module with an earlier version goes back; the new one stays loaded, and it says so.
  @Test func rollingBackAReloadThatAddedAnImportKeepsTheNewModule() throws {
    let directory = ModuleDirectory()
    directory.write("n.oxur", "(module n)\n(defn h [] :n)\n")
    let g = directory.write("g.oxur", "(module g)\n(defn f [] :g1)\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    interpreter.runtime.loadPath.append(directory.url.path)
    try interpreter.load(path: g)
    directory.write("g.oxur", "(module g)\n(import n)\n(defn f [] (n:h))\n")
    try interpreter.reload(path: g)
    #expect(try interpreter.eval("(g:f)").printed == ":n")
    _ = output.take()
    try interpreter.eval("(rollback)")
    #expect(errors.take() == "")
    #expect(
      output.take()
        == "✓ Rolled back g to version 1 (now version 3)\n"
        + "  ↳ n stays loaded (version 1: that commit loaded it first; (unload n) removes it)\n")
    #expect(try interpreter.eval("(g:f)").printed == ":g1")
    #expect(interpreter.modules().contains { $0.name == "n" })
  }

  @Test func rollbackUndoesTheLastCommitForEveryModuleItTouched() throws {
    let directory = ModuleDirectory()
    let a = directory.write("a.oxur", "(module a)\n(defn f [] :a1)\n")
    let b = directory.write("b.oxur", "(module b)\n(defn g [] :b1)\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: a)
    try interpreter.load(path: b)
    directory.write("a.oxur", "(module a)\n(defn f [] :a2)\n")
    directory.write("b.oxur", "(module b)\n(defn g [] :b2)\n")
    #expect(try interpreter.reloadAll().count == 2)
    #expect(try interpreter.eval("[(a:f) (b:g)]").printed == "[:a2 :b2]")
    _ = output.take()
    try interpreter.eval("(rollback)")
    #expect(
      output.take().split(separator: "\n").sorted() == [
        "✓ Rolled back a to version 1 (now version 3)", "✓ Rolled back b to version 1 (now version 3)",
      ])
    #expect(try interpreter.eval("[(a:f) (b:g)]").printed == "[:a1 :b1]")
    // The rollback is itself a commit: rolling back again restores what it replaced.
    let outcomes = try interpreter.rollback()
    #expect(Set(outcomes.map { "\($0.module) \($0.restored) \($0.version)" }) == ["a 2 4", "b 2 4"])
    #expect(try interpreter.eval("[(a:f) (b:g)]").printed == "[:a2 :b2]")
  }

  @Test func impossibleRollbacksAreErrorsThatChangeNothing() throws {
    let directory = ModuleDirectory()
    let path = directory.write("calc.oxur", calc(":v1"))
    let (interpreter, output, errors) = bufferedInterpreter()
    // The report places the failing call, shows it, and says what was kept.
    func report(_ call: String, _ message: String, _ kept: String) -> String {
      "✗ Error at <eval>:1:1: \(message)\n 1 | \(call)\n   | ^\n✗ Nothing rolled back\(kept)\n"
    }
    try interpreter.eval("(rollback)")
    #expect(
      errors.take() == report("(rollback)", "nothing to roll back: no module has been loaded or reloaded yet", ""))
    try interpreter.load(path: path)
    try interpreter.eval("(rollback calc)")
    #expect(
      errors.take()
        == report("(rollback calc)", "cannot roll back calc: version 1 is its first", " (keeping calc v1)"))
    try interpreter.eval("(rollback)")
    #expect(
      errors.take().hasPrefix(
        "✗ Error at <eval>:1:1: cannot roll back the last commit: it only loaded calc for the first time"))
    try interpreter.eval("(rollback nosuch)")
    #expect(errors.take() == report("(rollback nosuch)", "cannot roll back nosuch: no such module is loaded", ""))
    try interpreter.eval("(rollback user)")
    #expect(errors.take().contains("cannot roll back user: it was not loaded from a file"))
    interpreter.runtime.registry.historyLimit = 2
    for answer in [":v2", ":v3", ":v4", ":v5"] {
      directory.write("calc.oxur", calc(answer))
      try interpreter.reload(path: path)
    }
    _ = output.take()
    try interpreter.eval("(rollback calc 1)")
    #expect(
      errors.take()
        == report(
          "(rollback calc 1)", "version 1 of calc is not kept (kept versions: 3–4; the history keeps 2)",
          " (keeping calc v5)"))
    try interpreter.eval("(rollback calc 5)")
    #expect(errors.take().hasPrefix("✗ Error at <eval>:1:1: calc is at version 5 already"))
    #expect(interpreter.modules().first { $0.name == "calc" }?.version == 5)
    #expect(try interpreter.eval("(calc:answer)").printed == ":v5")
    #expect(output.take() == "")
  }

  /// A rolled-back macro module re-expands its users in the same transaction.
  @Test func rollingBackMacrosReexpandsTheirUsers() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro twice [x] `(* 2 ~x))\n")
    let client = directory.write("client.oxur", "(module client)\n(import macs)\n(defn f [x] (macs:twice x))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: client)
    directory.write("macs.oxur", "(module macs)\n(defmacro twice [x] `(* 3 ~x))\n")
    try interpreter.reload(path: macros)
    #expect(try interpreter.eval("(client:f 5)").printed == "15")
    try interpreter.rollback(module: "macs")
    #expect(try interpreter.eval("(client:f 5)").printed == "10")
  }

  /// The users of rolled-back macros are expanded again from the text their current version was
  /// loaded from: the rollback took an edit saved since (here one dropping the import) into
  /// their new version, and listed nothing but the rolled-back module.
  @Test func aRollbackReexpandsMacroUsersFromTheirLoadedTextAndListsThem() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n")
    let client = directory.write("client.oxur", "(module client)\n(import macs)\n(defn f [] (macs:tag 1))\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: client)
    directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v2 ~x])\n")
    try interpreter.reload(path: macros)
    #expect(try interpreter.eval("(client:f)").printed == "[:v2 1]")
    directory.write("client.oxur", "(module client)\n(defn f [] :unsaved-edit)\n")
    _ = output.take()
    try interpreter.eval("(rollback macs)")
    #expect(try interpreter.eval("(client:f)").printed == "[:v1 1]")
    #expect(
      output.take()
        == "✓ Rolled back macs to version 1 (now version 3)\n"
        + "  ↳ client (version 3, re-expanded: it uses macros of macs)\n")
    let outcomes = try interpreter.rollback(module: "macs", to: 2)
    #expect(outcomes.map(\.module) == ["macs", "client"])
    #expect(outcomes.last?.dependentBecause == "re-expanded: it uses macros of macs")
    #expect(try interpreter.eval("(client:f)").printed == "[:v2 1]")
  }

  /// A macro user rolled back alone came back with its expansions of macros that had changed
  /// since, while those macros stayed new: a state no load reaches. Its text is now expanded
  /// again with the macros there are (its top level runs, as a load's does); a version whose
  /// macros have not changed is restored as it was, without running anything.
  @Test func rollingBackAMacroUserExpandsItsTextAgainWhenTheMacrosChanged() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n")
    func client(_ n: Int) -> String {
      "(module client)\n(import macs)\n(println \"client top level\")\n(defn f [] (macs:tag \(n)))\n"
    }
    let path = directory.write("client.oxur", client(1))
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("client.oxur", client(2))
    try interpreter.reload(path: path)
    _ = output.take()
    try interpreter.eval("(rollback client)")
    #expect(output.take() == "✓ Rolled back client to version 1 (now version 3)\n")
    #expect(try interpreter.eval("(client:f)").printed == "[:v1 1]")
    try interpreter.eval("(rollback client 2)")
    directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v2 ~x])\n")
    try interpreter.reload(path: macros)
    #expect(try interpreter.eval("(client:f)").printed == "[:v2 2]")
    _ = output.take()
    try interpreter.eval("(rollback client 1)")
    #expect(
      output.take()
        == "client top level\n✓ Rolled back client to version 1 (now version 6; "
        + "its text expanded again: the macros of macs it uses are not the ones it was expanded with)\n")
    #expect(try interpreter.eval("(client:f)").printed == "[:v2 1]")
    let outcome = try interpreter.rollback(module: "client", to: 5)
    #expect(outcome.first?.reexpandedWith == [])
    #expect(try interpreter.eval("(client:f)").printed == "[:v2 2]")
  }

  /// When the macros a rolled-back version used are gone, expanding its text again fails:
  /// the rollback is refused and nothing changes.
  @Test func aRollbackWhoseMacrosAreGoneChangesNothing() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n")
    let path = directory.write("client.oxur", "(module client)\n(import macs)\n(defn f [] (macs:tag 1))\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("client.oxur", "(module client)\n(import macs)\n(defn f [] :plain)\n")
    try interpreter.reload(path: path)
    directory.write("macs.oxur", "(module macs)\n(defmacro label [x] `[:v2 ~x])\n")
    try interpreter.reload(path: macros)
    _ = output.take()
    try interpreter.eval("(rollback client 1)")
    let report = errors.take()
    #expect(report.contains("macs:tag"))
    #expect(report.hasSuffix("✗ Nothing rolled back (keeping client v2)\n"))
    #expect(try interpreter.eval("(client:f)").printed == ":plain")
    #expect(interpreter.modules().first { $0.name == "client" }?.version == 2)
  }

  /// A user two steps from the rolled-back macros is listed with the module whose macros it
  /// uses: its line named the rolled-back module, which it never uses.
  @Test func aTransitiveMacroUserIsListedWithItsOwnProvider() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n")
    directory.write("client.oxur", "(module client)\n(import macs)\n(defmacro wrap [x] (macs:tag x))\n")
    let app = directory.write("app.oxur", "(module app)\n(import client)\n(defn f [] (client:wrap 1))\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: app)
    directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v2 ~x])\n")
    try interpreter.reload(path: macros)
    #expect(try interpreter.eval("(app:f)").printed == "[:v2 1]")
    _ = output.take()
    try interpreter.eval("(rollback macs)")
    #expect(
      output.take()
        == "✓ Rolled back macs to version 1 (now version 3)\n"
        + "  ↳ client (version 3, re-expanded: it uses macros of macs)\n"
        + "  ↳ app (version 3, re-expanded: it uses macros of client)\n")
    #expect(try interpreter.eval("(app:f)").printed == "[:v1 1]")
  }

  /// Four breaks of the re-expanding rollback, found by an attack: an unloaded macro module
  /// let it through to code that failed at its call; `defonce` values the restored version had
  /// were lost; a top level it ran again loaded files (edits saved since, or new modules)
  /// without a word; and `(reload-stats)` counted only its commit.
  @Test func aReexpandingRollbackKeepsStateAndLoadsNothing() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n")
    let other = directory.write("other.oxur", "(module other)\n(defn o [] :o1)\n")
    let path = directory.write(
      "client.oxur",
      "(module client)\n(import macs)\n(load \"\(other)\")\n(defonce st (atom 0))\n"
        + "(defn f [] (macs:tag (swap! st inc)))\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("[(client:f) (client:f)]").printed == "[[:v1 1] [:v1 2]]")
    directory.write("client.oxur", "(module client)\n(import macs)\n(defn f [] :plain)\n")
    try interpreter.reload(path: path)
    directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v2 ~x])\n")
    try interpreter.reload(path: macros)
    directory.write("other.oxur", "(module other)\n(defn o [] :edited-on-disk)\n")
    _ = output.take()
    try interpreter.eval("(rollback client 1)")
    #expect(output.take().hasPrefix("✓ Rolled back client to version 1 (now version 3; its text expanded again"))
    #expect(try interpreter.eval("(client:f)").printed == "[:v2 3]")
    #expect(try interpreter.eval("(other:o)").printed == ":o1")
    #expect(interpreter.modules().first { $0.name == "other" }?.version == 1)
    let stats = try interpreter.eval("(let [s (reload-stats 'client)] (>= (:ms s) (reduce + (vals (:phases s)))))")
    #expect(stats.printed == "true")

    // A module its text would load for the first time is refused, as an import of it is.
    let fresh = directory.write("fresh.oxur", "(module fresh)\n(defn n [] 1)\n")
    directory.write("client.oxur", "(module client)\n(import macs)\n(load \"\(fresh)\")\n(defn f [] (macs:tag 0))\n")
    try interpreter.reload(path: path)
    try interpreter.eval("(unload fresh)")
    directory.write("client.oxur", "(module client)\n(import macs)\n(defn f [] :plain)\n")
    try interpreter.reload(path: path)
    directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v3 ~x])\n")
    try interpreter.reload(path: macros)
    _ = errors.take()
    try interpreter.eval("(rollback client 4)")
    let refusal = errors.take()
    #expect(refusal.contains("the restored top level of client loads fresh, which is not loaded now"), "\(refusal)")
    #expect(refusal.hasSuffix("✗ Nothing rolled back (keeping client v5)\n"), "\(refusal)")
    #expect(try interpreter.eval("(client:f)").printed == ":plain")

    // An unloaded macro module: refused, not restored to code that fails at its call.
    let solo = directory.write("m2.oxur", "(module m2)\n(defmacro mac [x] `[:m2 ~x])\n")
    let user = directory.write("u.oxur", "(module u)\n(defn f [] (m2:mac 1))\n")
    try interpreter.load(path: solo)
    try interpreter.load(path: user)
    directory.write("u.oxur", "(module u)\n(defn f [] :u2)\n")
    try interpreter.reload(path: user)
    try interpreter.eval("(unload m2)")
    try interpreter.eval("(rollback u 1)")
    let unloaded = errors.take()
    #expect(
      unloaded.contains("it was expanded with macros of m2, which is not loaded now; load it first"), "\(unloaded)")
    #expect(try interpreter.eval("(u:f)").printed == ":u2")
  }

  /// Macro users were expanded again in name order: `leaf`, which calls `mid`'s macro, went
  /// before `mid`, so it was built with `mid`'s old macro and `(leaf:f)` gave `[:v1 :v2]`.
  @Test func macroUsersAreExpandedAgainAfterTheUsersTheyDependOn() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro tag [] :v1)\n")
    directory.write("mid.oxur", "(module mid)\n(import macs)\n(defmacro mtag [] (macs:tag))\n")
    let leaf = directory.write(
      "leaf.oxur", "(module leaf)\n(import macs)\n(import mid)\n(defn f [] [(macs:tag) (mid:mtag)])\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: leaf)
    directory.write("macs.oxur", "(module macs)\n(defmacro tag [] :v2)\n")
    try interpreter.reload(path: macros)
    #expect(try interpreter.eval("(leaf:f)").printed == "[:v2 :v2]")
    _ = output.take()
    try interpreter.eval("(rollback macs 1)")
    #expect(try interpreter.eval("(leaf:f)").printed == "[:v1 :v1]")
    #expect(
      output.take()
        == "✓ Rolled back macs to version 1 (now version 3)\n"
        + "  ↳ mid (version 3, re-expanded: it uses macros of macs)\n"
        + "  ↳ leaf (version 3, re-expanded: it uses macros of macs, mid)\n")
  }
}

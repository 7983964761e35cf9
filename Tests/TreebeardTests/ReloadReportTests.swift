// Issue 8 items 4–7 through the Interpreter API: statistics and diff, history, warnings, dry run.

import Foundation
import Testing

@testable import Treebeard

@Suite struct ReloadReportTests {
  static let calculator = """
    (module calculator)
    (export add subtract old-helper)
    (defn add [a b] (+ a b))
    (defn subtract [a b] (- a b))
    (defn old-helper [] :helper)
    """

  /// Added, changed and removed definitions, by fingerprints of the expanded code.
  @Test func reloadReportsAddedChangedAndRemoved() throws {
    let directory = ModuleDirectory()
    let path = directory.write("calculator.oxur", ReloadReportTests.calculator)
    let (interpreter, output, _) = bufferedInterpreter()
    let first = try interpreter.load(path: path)
    #expect(first.changes.isEmpty)
    directory.write(
      "calculator.oxur",
      "(module calculator)\n(export add subtract multiply)\n(defn add [a b] (+ a b 0))\n"
        + "(defn subtract [a b] (- a b))\n(defn multiply [a b] (* a b))\n")
    _ = output.take()
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.changes == DefinitionChanges(added: ["multiply"], changed: ["add"], removed: ["old-helper"]))
    #expect(outcome.changes.summary == "~add +multiply -old-helper")
    #expect(outcome.milliseconds > 0)
    try interpreter.eval("(reload \"\(path)\")")
    #expect(output.take().maskingTimings == "✓ Reloaded module: calculator (version 3, _ ms)\n")
  }

  /// Reformatting and comments are not changes; neither are the fresh names of auto-gensyms.
  @Test func commentAndLayoutOnlyEditsAreNotChanges() throws {
    let directory = ModuleDirectory()
    let source =
      "(module fmt)\n(defmacro twice [x] `(let [v# ~x] (+ v# v#)))\n(defn f [a] (twice a))\n(defn g [] :g)\n"
    let path = directory.write("fmt.oxur", source)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write(
      "fmt.oxur",
      ";; a comment on top\n(module fmt)\n\n(defmacro twice [x]\n  `(let [v# ~x]\n     (+ v# v#)))  ; inline\n"
        + "(defn f [a]\n  (twice a))\n(defn   g []   :g)\n")
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.changes.isEmpty, "\(outcome.changes)")
    #expect(outcome.version == 2)
    #expect(try interpreter.eval("(fmt:f 4)").printed == "8")
  }

  /// A changed macro changes the definitions that use it, in the module itself.
  @Test func aChangedMacroChangesItsUsers() throws {
    let directory = ModuleDirectory()
    let path = directory.write("mm.oxur", "(module mm)\n(defmacro m [x] `(+ ~x 1))\n(defn f [a] (m a))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("mm.oxur", "(module mm)\n(defmacro m [x] `(+ ~x 2))\n(defn f [a] (m a))\n")
    #expect(try interpreter.reload(path: path).changes.changed == ["m", "f"])
  }

  /// `(reload-stats)` and `(reload-stats m)`: maps with phases, diff, dependents and warnings.
  @Test func reloadStatsAreOxurMaps() throws {
    let directory = ModuleDirectory()
    let path = directory.write("calculator.oxur", ReloadReportTests.calculator)
    let app = directory.write("app.oxur", "(module app)\n(import calculator)\n(defn run [] (calculator:add 1 2))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: app)
    directory.write(
      "calculator.oxur", "(module calculator)\n(defn add [a b] (+ a b))\n(defn subtract [a b] (- b a))\n")
    try interpreter.reload(path: path)
    let stats = "(reload-stats calculator)"
    #expect(try interpreter.eval("(:version \(stats))").printed == "2")
    #expect(try interpreter.eval("(:module \(stats))").printed == "calculator")
    #expect(
      try interpreter.eval("[(:added \(stats)) (:changed \(stats)) (:removed \(stats))]").printed
        == "[[] [subtract] [old-helper]]")
    #expect(
      try interpreter.eval("(sort (keys (:phases \(stats))))").printed
        == "[:analyze :commit :evaluate :expand :read]")
    #expect(try interpreter.eval("(every? (fn [t] (>= t 0)) (vals (:phases \(stats))))").printed == "true")
    #expect(try interpreter.eval("(> (:ms \(stats)) 0)").printed == "true")
    #expect(try interpreter.eval("(count (:warnings \(stats)))").printed == "1")
    #expect(try interpreter.eval("(map :module (reload-stats))").printed == "[app calculator calculator]")
    #expect(try interpreter.eval("(:dependents (first (reload-stats)))").printed == "[calculator]")
    #expect(try interpreter.eval("(reload-stats \"calculator\")").printed == (try interpreter.eval(stats).printed))
    #expect(try interpreter.eval("(reload-stats nothing-loaded)").printed == "nil")
    #expect(interpreter.reloadStatistics(module: "calculator").map(\.version) == [1, 2])
  }

  /// Every definition carries its own version; a REPL redefinition of a function says so.
  @Test func replRedefinitionIsAHotLoad() throws {
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.eval("(defn quiet [] 1)\n(defn quiet [] 2)")
    #expect(output.take() == "")  // an embedding host's eval prints only what the program prints
    interpreter.runtime.announcesHotLoads = true  // as the REPL sets it
    try interpreter.eval("(defn greet [] :hi)")
    #expect(output.take() == "")
    try interpreter.eval("(defn greet [] :hello)")
    #expect(output.take() == "✓ Hot-loaded: greet (v1 → v2)\n")
    try interpreter.eval("(defn greet [n] n)")
    #expect(output.take() == "✓ Hot-loaded: greet (v2 → v3)\n")
    try interpreter.eval("(def x 1)\n(def x 2)")  // a value, not a function: nothing to say
    #expect(output.take() == "")
  }

  /// Definitions typed into a file's module (`in-module`) vanished at its next reload from the
  /// file, which reported no change: they are recorded, and the reload names what it replaced.
  @Test func aReloadNamesTheDefinitionsTypedIntoItsModuleThatItReplaces() throws {
    let directory = ModuleDirectory()
    let path = directory.write("calc.oxur", "(module calc)\n(defn f [] :c1)\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(in-module calc)\n(defn extra [] :repl)\n(defn f [] :repl-f)\n(in-module user)")
    _ = output.take()
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.changes.changed == ["f"])
    #expect(outcome.changes.removed == ["extra"])
    #expect(try interpreter.eval("(calc:f)").printed == ":c1")
  }

  /// A changed definition's own version counts up across reloads; an unchanged one keeps its.
  @Test func definitionVersionsFollowReloads() throws {
    let directory = ModuleDirectory()
    let path = directory.write("dv.oxur", "(module dv)\n(defn a [] 1)\n(defn b [] 1)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("dv.oxur", "(module dv)\n(defn a [] 2)\n(defn b [] 1)\n")
    try interpreter.reload(path: path)
    let version = interpreter.runtime.registry.existingEntry("dv")?.current
    #expect(version?.bindings[Symbol.intern("a")]?.version == 2)
    #expect(version?.bindings[Symbol.intern("b")]?.version == 1)
  }

  /// Each warning kind, printed before the commit, kept in the stats, never blocking.
  @Test func warningsAboutBreakingOtherModules() throws {
    let directory = ModuleDirectory()
    let path = directory.write("calculator.oxur", ReloadReportTests.calculator)
    let app = directory.write(
      "app.oxur",
      "(module app)\n(import calculator)\n(defn run []\n  [(calculator:add 1 2)\n   (calculator:old-helper)])\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: app)
    directory.write(
      "calculator.oxur",
      "(module calculator)\n(export add)\n(defn add [a b c] (+ a b c))\n(defn subtract [a b] (- a b))\n")
    _ = output.take()
    let outcome = try interpreter.reload(path: path)
    let appName = interpreter.runtime.displayName(app)
    let expected = [
      "⚠ calculator: add no longer takes 2 argument(s) (now 3); app calls it with 2 at \(appName):4",
      "⚠ calculator: old-helper was removed but app still uses it at \(appName):5",
      "⚠ calculator: export old-helper disappeared",
      "⚠ calculator: export subtract disappeared",
    ]
    #expect(outcome.breakageWarnings == expected)
    #expect(errors.take() == "")  // a host decides what to show; `(reload …)` prints them
    try interpreter.eval("(reload \"\(path)\")")
    #expect(errors.take() == "")  // nothing new to warn about against version 2
    #expect(outcome.version == 2)  // never blocking
    #expect(interpreter.reloadStatistics(module: "calculator").first { $0.version == 2 }?.warnings == expected)
  }

  /// An export that became private while another module uses it is a warning too.
  /// A reload while code of the module runs on another thread (waiting at a safe point) warns
  /// that those calls finish in the old version; the reload still commits.
  @Test func codeRunningOnAnotherThreadIsNamed() throws {
    let directory = ModuleDirectory()
    let source = "(module m)\n(defn tick [] 1)\n(defn spin [] (user:started) (loop [] (tick) (recur)))\n"
    let path = directory.write("m.oxur", source)
    let (interpreter, _, _) = bufferedInterpreter()
    let started = Checkpoint("started", in: interpreter)
    try interpreter.load(path: path)
    let handle = EvaluationHandle(interpreter: interpreter)
    let spinning = Background<Value> { try interpreter.call(module: "m", function: "spin", handle: handle) }
    started.wait("spin runs")
    directory.write("m.oxur", source + "(defn extra [] 2)\n")
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.breakageWarnings == ["⚠ m: m:spin running now; that call finishes in version 1's code"])
    // Once spin itself has changed, the call still runs the code it began in, not the version
    // each later reload replaces: every reload named its previous version.
    directory.write("m.oxur", source.replacingOccurrences(of: "(tick) (recur)", with: "(tick) (tick) (recur)"))
    #expect(
      try interpreter.reload(path: path).breakageWarnings == [
        "⚠ m: m:spin running now; that call finishes in version 2's code"
      ])
    directory.write("m.oxur", source + "(defn extra [] 3)\n")
    #expect(
      try interpreter.reload(path: path).breakageWarnings == [
        "⚠ m: m:spin running now; that call finishes in the code of the earlier version it began in"
      ])
    handle.interrupt()
    _ = spinning.wait("spin stops", timeout: 20)
    // Nothing runs any more: no warning.
    directory.write("m.oxur", source)
    #expect(try interpreter.reload(path: path).breakageWarnings == [])
  }

  @Test func anExportNarrowedUnderAUserWarns() throws {
    let directory = ModuleDirectory()
    let path = directory.write("lib.oxur", "(module lib)\n(defn f [] 1)\n(defn g [] 2)\n")
    let app = directory.write("app.oxur", "(module app)\n(import lib :refer [g])\n(defn run [] (g))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: app)
    directory.write("lib.oxur", "(module lib)\n(export f)\n(defn f [] 1)\n(defn g [] 2)\n")
    let outcome = try interpreter.reload(path: path)
    let appName = interpreter.runtime.displayName(app)
    // Both sites: the `:refer` and the call.
    #expect(
      outcome.breakageWarnings == [
        "⚠ lib: g is no longer exported but app uses it at \(appName):2",
        "⚠ lib: g is no longer exported but app uses it at \(appName):3",
      ])
  }

  /// A dry run leaves everything as it was: versions, content hashes, history, stats, the table.
  @Test func dryRunChangesNothing() throws {
    let directory = ModuleDirectory()
    let path = directory.write("calculator.oxur", ReloadReportTests.calculator)
    let app = directory.write("app.oxur", "(module app)\n(import calculator)\n(defn run [] (calculator:add 1 2))\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: app)
    try interpreter.eval("(modules)")
    let table = output.take()
    let before = interpreter.modules()
    let records = interpreter.reloadStatistics().count
    directory.write("calculator.oxur", "(module calculator)\n(defonce n (atom 0))\n(defn add [a] a)\n")
    let plan = try interpreter.reload(path: path, dryRun: true)
    #expect(plan.isDryRun)
    #expect(plan.version == 2)
    #expect(plan.changes == DefinitionChanges(added: ["n"], changed: ["add"], removed: ["subtract", "old-helper"]))
    #expect(plan.breakageWarnings.count == 3)
    #expect(interpreter.modules() == before)
    #expect(interpreter.reloadStatistics().count == records)
    #expect(interpreter.runtime.registry.existingEntry("calculator")?.history.isEmpty == true)
    try interpreter.eval("(modules)")
    #expect(output.take() == table)
    #expect(try interpreter.eval("(calculator:subtract 5 3)").printed == "2")
    // No version number was used: the real reload is version 2.
    #expect(try interpreter.reload(path: path).version == 2)
  }

  /// The printed plan, for a reload with a macro user that would be re-expanded.
  @Test func dryRunPrintsThePlan() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v1 ~x])\n")
    directory.write("user2.oxur", "(module user2)\n(import macs)\n(defn f [] (macs:tag 1))\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: directory.path("user2.oxur"))
    directory.write("macs.oxur", "(module macs)\n(defmacro tag [x] `[:v2 ~x])\n(defn extra [] 1)\n")
    _ = output.take()
    try interpreter.eval("(reload \"\(macros)\" :dry-run)")
    #expect(errors.take() == "")
    #expect(
      output.take().maskingTimings == """
        ◇ Dry run: reload macs would make version 2 (_ ms)
          changes: ~tag +extra
          ↳ user2 would be version 2 (re-expanded: it uses macros of macs) ~f
        ◇ Nothing committed (macs stays at version 1)

        """)
    #expect(try interpreter.eval("(user2:f)").printed == "[:v1 1]")
    #expect(interpreter.modules().map(\.version) == [1, 1, 1])
  }

  /// A user of a macro user is re-expanded for its own provider's macros: its `↳` line named
  /// the module whose reload was asked for, whose macros it never uses.
  @Test func aTransitiveMacroUserNamesItsOwnProvider() throws {
    let directory = ModuleDirectory()
    let a = directory.write("a.oxur", "(module a)\n(defmacro one [] 1)\n")
    directory.write("b.oxur", "(module b)\n(import a)\n(defmacro two [] `(+ ~(a:one) 1))\n(defn g [] (a:one))\n")
    directory.write("c.oxur", "(module c)\n(import b)\n(defn h [] (b:two))\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: directory.path("c.oxur"))
    directory.write("a.oxur", "(module a)\n(defmacro one [] 10)\n")
    _ = output.take()
    try interpreter.eval("(reload \"\(a)\")")
    #expect(errors.take() == "")
    #expect(
      output.take().maskingTimings == """
        ✓ Reloaded module: a (version 2, _ ms) ~one
          ↳ b (version 2, re-expanded: it uses macros of a) ~two ~g
          ↳ c (version 2, re-expanded: it uses macros of b) ~h

        """)
    #expect(try interpreter.eval("(c:h)").printed == "11")
    directory.write("a.oxur", "(module a)\n(defmacro one [] 20)\n")
    let plan = try interpreter.reload(path: a, dryRun: true)
    #expect(plan.dependents.map(\.providers) == [["a"], ["b"]])
    let outcome = try interpreter.reload(path: a)
    #expect(outcome.dependents.map(\.module) == ["b", "c"])
    #expect(outcome.dependents.map(\.providers) == [["a"], ["b"]])
    #expect(try interpreter.eval("(c:h)").printed == "21")
  }

  /// A module loaded by a module another top level loaded names its own loader: every `↳`
  /// line said "loaded by" the module whose load was asked for.
  @Test func aNestedLoadNamesItsOwnLoader() throws {
    let directory = ModuleDirectory()
    let a = directory.write("a.oxur", "(module a)\n(load \"\(directory.path("b.oxur"))\")\n(defn f [] 1)\n")
    directory.write("b.oxur", "(module b)\n(load \"\(directory.path("c.oxur"))\")\n(defn g [] 2)\n")
    directory.write("c.oxur", "(module c)\n(defn h [] 3)\n")
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.eval("(load \"\(a)\")")
    #expect(errors.take() == "")
    #expect(
      output.take() == """
        ✓ Loaded module: a (version 1)
          ↳ b (version 1, loaded by a)
          ↳ c (version 1, loaded by b)

        """)
    directory.write("c.oxur", "(module c)\n(defn h [] 4)\n")
    let outcome = try interpreter.reload(path: a)
    #expect(outcome.dependents.map(\.providers) == [["a"], ["b"]])
    #expect(outcome.reportLines.dropFirst() == ["  ↳ b (version 2, loaded by a)", "  ↳ c (version 2, loaded by b) ~h"])
  }

  /// A variant whose fields change leaves the values made before with their old fields, which
  /// the new patterns do not match: the reload committed without a word, and a held value
  /// failed later with "no match clause matched".
  @Test func aVariantWhoseFieldsChangeIsWarnedAbout() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "en.oxur",
      "(module en)\n(defenum Shape (Circle r) (Rect w h))\n(defn area [s] (match s ((Circle r) r) ((Rect w h) w)))\n"
    )
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write(
      "en.oxur",
      "(module en)\n(defenum Shape (Circle r k) (Rect w h))\n(defn area [s] (match s ((Circle r k) r) ((Rect w h) w)))\n"
    )
    let outcome = try interpreter.reload(path: path)
    #expect(
      outcome.breakageWarnings == [
        "⚠ en: variant Circle of Shape now has 2 field(s) (was 1); values made before keep 1, "
          + "and patterns for the new Circle do not match them"
      ], "\(outcome.breakageWarnings)")
    #expect(errors.take() == "")
  }

  /// A module made by `in-module` at the REPL was left out of `(modules)` though it is one
  /// (`(dir m)`, `(rollback m)`); `(in-module a:b)` made one no qualified name could reach.
  @Test func modulesMadeAtTheReplAreListedAndTheirNamesUnqualified() throws {
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.eval("(in-module zz)\n(defn q [] 1)\n(in-module empty)\n(in-module user)")
    _ = output.take()
    try interpreter.eval("(modules)")
    let rows = output.take().split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
    #expect(rows == ["module", "user", "zz"], "\(rows)")
    #expect(throws: OxurError.self) { try interpreter.eval("(in-module a:b)") }
  }

  /// An enum renamed or removed, or one of its variants removed, reloaded without a word; values
  /// made before then printed as they did and matched no pattern.
  @Test func anEnumOrVariantRemovedIsWarnedAbout() throws {
    let directory = ModuleDirectory()
    let path = directory.write("hv.oxur", "(module hv)\n(defenum Shape (Circle r) Empty)\n(defenum Dir Up Down)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("hv.oxur", "(module hv)\n(defenum Form (Circle r) Empty)\n(defenum Dir Up)\n")
    let outcome = try interpreter.reload(path: path)
    #expect(
      outcome.breakageWarnings == [
        "⚠ hv: variant Down of Dir was removed; values made with it keep it, and no pattern of the new version matches them",
        "⚠ hv: enum Shape was removed (or renamed); values made before keep its variants, which no pattern of the new version matches",
      ], "\(outcome.breakageWarnings)")
    directory.write("hv.oxur", "(module hv)\n(defenum Form (Circle r) Empty (Extra q))\n(defenum Dir Up)\n")
    #expect(try interpreter.reload(path: path).breakageWarnings == [])
  }

  /// A struct removed (or renamed) while instances of it live: no migrator can reach them and
  /// no accessor reads them; the reload committed `+Q -P` without a word.
  @Test func aStructRemovedWhileInstancesLiveIsWarnedAbout() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "r.oxur", "(module r)\n(defstruct P x)\n(defstruct Kept y)\n(defn mk [] (struct P (x 1)))\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def held [(r:mk) (r:mk)])")
    directory.write("r.oxur", "(module r)\n(defstruct Q x)\n(defn mk [] (struct Q (x 1)))\n")
    let outcome = try interpreter.reload(path: path)
    #expect(
      outcome.breakageWarnings == [
        "⚠ r: struct P was removed while 2 instances of it are live; they keep their fields, "
          + "which no accessor of the new version reads"
      ], "\(outcome.breakageWarnings)")
    #expect(errors.take() == "")
    // With no instance alive there is nothing to say.
    try interpreter.eval("(def held nil)")
    directory.write("r.oxur", "(module r)\n(defn mk [] 1)\n")
    #expect(try interpreter.reload(path: path).breakageWarnings == [])
  }

  /// A broken file in a dry run is reported as a failed reload would be, and changes nothing.
  @Test func dryRunOfABrokenFileReportsTheError() throws {
    let directory = ModuleDirectory()
    let path = directory.write("b.oxur", "(module b)\n(defn f [] 1)\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("b.oxur", "(module b)\n(defn f [] (/ 1 0))\n(f)\n")
    try interpreter.eval("(reload \"\(path)\" :dry-run)")
    #expect(errors.take().hasSuffix("✗ Module not reloaded (keeping version 1)\n"))
    #expect(interpreter.modules().map(\.version) == [1, 1])
  }

  /// `(history m)` lists every kept version with its time, short content hash and changes.
  @Test func historyListsKeptVersions() throws {
    let directory = ModuleDirectory()
    let path = directory.write("h.oxur", "(module h)\n(defn a [] 1)\n(defn b [] 1)\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write("h.oxur", "(module h)\n(defn a [] 2)\n(defn c [] 1)\n")
    try interpreter.reload(path: path)
    try interpreter.reload(path: path)
    _ = output.take()
    try interpreter.eval("(history h)")
    let hashes =
      interpreter.runtime.registry.existingEntry("h").map { entry in
        (entry.history + [entry.current].compactMap { $0 }).map { String($0.contentHash.prefix(8)) }
      } ?? []
    let lines = output.take().split(separator: "\n").map {
      $0.replacingOccurrences(of: #"\d\d:\d\d:\d\d"#, with: "HH:MM:SS", options: .regularExpression)
    }
    #expect(
      lines == [
        "version      loaded at  hash      changes",
        "1            HH:MM:SS   \(hashes[0])  loaded (2 definitions)",
        "2            HH:MM:SS   \(hashes[1])  ~a +c -b",
        "3 (current)  HH:MM:SS   \(hashes[2])  no definition changed",
      ])
    #expect(hashes[1] == hashes[2])
    #expect(throws: (any Error).self) { try interpreter.eval("(history nope)") }
  }

  /// `(modules)` counts the user's definitions, not the REPL's `*1` … `*e`.
  @Test func modulesTableCountsOnlyUserDefinitions() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.eval("(defn greet [] :hi)")
    interpreter.define(name: "*1", value: .int(1))
    interpreter.define(name: "*e", value: .nil)
    #expect(interpreter.modules().first { $0.name == "user" }?.definitions == 1)
  }
}

extension ReloadReportTests {
  /// A reload that changed many definitions lists the first few and counts the rest; short
  /// summaries are unchanged.
  @Test func longChangeSummariesCountWhatTheyDoNotList() {
    let names = (0..<1000).map { "f\($0)" }
    let many = DefinitionChanges(added: ["new"], changed: names, removed: ["old", "older"])
    let listed = (0..<DefinitionChanges.summaryLimit).map { "~f\($0)" }.joined(separator: " ")
    #expect(many.summary == listed + " … 991 more (1000 changed, 1 added, 2 removed)")
    let exactly = DefinitionChanges(changed: Array(names.prefix(DefinitionChanges.summaryLimit)))
    #expect(exactly.summary == listed)
    let mixed = DefinitionChanges(
      added: (0..<10).map { "a\($0)" }, changed: ["c"], removed: (0..<5).map { "r\($0)" })
    #expect(
      mixed.summary
        == "~c " + (0..<10).map { "+a\($0)" }.joined(separator: " ") + " -r0 … 4 more (1 changed, 10 added, 5 removed)")
  }
}

extension ReloadReportTests {
  /// Reload lines give milliseconds to one decimal, as `%.1f` did, without its dynamic casts.
  @Test func millisecondsPrintToOneDecimal() {
    let cases: [(Double, String)] = [
      (0, "0.0"), (4.14, "4.1"), (4.16, "4.2"), (0.05, "0.1"), (12.0, "12.0"), (1234.56, "1234.6"),
      (-1.26, "-1.3"), (0.04, "0.0"), (9.96, "10.0"),
    ]
    for (value, text) in cases {
      #expect(Milliseconds.tenths(value) == text, "\(value)")
      #expect(Milliseconds.tenths(value) == String(format: "%.1f", value), "\(value)")
    }
    #expect(Milliseconds.tenths(1e300) == "\(1e300)")
    #expect(Milliseconds.tenths(.nan) == "nan")
  }

  /// A `(reload-all)` in a module's top level joins that load: it printed "Nothing to reload"
  /// even when it had staged a changed module, which the outer load then reported.
  @Test func aReloadAllInsideALoadLeavesTheReportToThatLoad() throws {
    let directory = ModuleDirectory()
    let b = directory.write("b.oxur", "(module b)\n(defn g [] 1)\n")
    let a = directory.write("a.oxur", "(module a)\n(reload-all)\n(defn f [] 1)\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: b)
    directory.write("b.oxur", "(module b)\n(defn g [] 2)\n")
    _ = output.take()
    try interpreter.eval("(load \"\(a)\")")
    #expect(
      output.take().maskingTimings
        == "✓ Loaded module: a (version 1)\n  ↳ b (version 2, loaded by a) ~g\n")
    #expect(try interpreter.eval("(b:g)").printed == "2")
  }

  /// A `(reload-all)` in the top level of a module an outer `(reload-all)` reloads staged a
  /// changed module the outer one staged again: committed twice (its top level ran twice), and
  /// `(rollback)` then left it on the new code.
  @Test func aModuleIsCommittedOnceWhenANestedReloadAllStagedItFirst() throws {
    let directory = ModuleDirectory()
    let b = directory.write("b.oxur", "(module b)\n(defn g [] :b1)\n")
    let a = directory.write("a.oxur", "(module a)\n(reload-all)\n(defn f [] :a1)\n")
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: b)
    try interpreter.load(path: a)
    directory.write("b.oxur", "(module b)\n(println \"b top\")\n(defn g [] :b3)\n")
    directory.write("a.oxur", "(module a)\n(reload-all)\n(defn f [] :a3)\n")
    _ = output.take()
    try interpreter.eval("(reload-all)")
    #expect(output.take() == "b top\n✓ Reloaded 2 module(s): a v2, b v2\n")
    #expect(try interpreter.eval("[(a:f) (b:g)]").printed == "[:a3 :b3]")
    try interpreter.eval("(rollback)")
    #expect(try interpreter.eval("[(a:f) (b:g)]").printed == "[:a1 :b1]")
  }

  /// Files whose top levels each run `(reload-all dir)`: a deeper reload-all staged the third
  /// module first, and the one above it then refused it as "a file that loads itself".
  @Test func nestedReloadAllsStagingTheSameModulesLoadEachOnce() throws {
    let directory = ModuleDirectory()
    for index in 1...3 {
      directory.write(
        "e\(index).oxur", "(module e\(index))\n(reload-all \"\(directory.url.path)\" :quiet)\n(defn f [] \(index))\n")
    }
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.eval("(reload-all \"\(directory.url.path)\")")
    #expect(try interpreter.eval("[(e1:f) (e2:f) (e3:f)]").printed == "[1 2 3]")
    #expect(interpreter.modules().filter { $0.name.hasPrefix("e") }.map(\.version) == [1, 1, 1])
  }
}

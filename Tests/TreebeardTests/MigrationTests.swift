// State migration (issue 9 item 3, DESIGN.md §5): live instances of a changed struct layout are migrated, or the reload refused.

import Foundation
import Testing

@testable import Treebeard

@Suite struct MigrationTests {
  static let version1 = """
    (module geo)
    (defstruct Point x y)
    (defn make [x y] (struct Point (x x) (y y)))
    (defn total [p] (+ (get-x p) (get-y p)))

    """

  /// Version 2 adds `z`; `migrator` is the body of `--migrate--` (empty: none).
  static func version2(migrator: String, check: String = "") -> String {
    """
    (module geo)
    (defstruct Point x y z)
    (defn make [x y] (struct Point (x x) (y y) (z 0)))
    (defn total [p] (+ (get-x p) (get-y p) (get-z p)))
    \(migrator.isEmpty ? "" : "(define (--migrate-- old-version old-data)\n  \(migrator))")
    \(check.isEmpty ? "" : "(defn --check-- [] \(check))")

    """
  }

  /// The seed's migrator, as written in its §5.3.
  static let seedMigrator =
    "(match old-version (1 (struct Point (x (get-x old-data)) (y (get-y old-data)) (z 0))))"

  /// A migrator that makes instances hold each other (each result's `:y` is the other,
  /// already-live instance, which changes in place too) would make values that contain
  /// themselves: the reload is refused at the migrator and nothing changes. Chains of the same
  /// struct (a linked list 20,000 long, shared subtrees) still migrate.
  /// A cycle that a later reload closes through an instance an earlier one migrated: the
  /// refusal named the earlier module's migrator (not in this reload) and had no place.
  /// Code of a replaced version — a call that began before the reload, a closure kept from
  /// it — finishes in that version's code: its `(struct S :a 1 :b 2)` failed with "missing
  /// field c" once S had a field c, in the middle of a request the reload had promised would
  /// finish in version 1. It builds the layout it was written against, which the next reload
  /// migrates; current code that lacks a field still fails at once.
  @Test func codeOfAReplacedVersionBuildsTheLayoutItWasWrittenAgainst() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "h.oxur", "(module h)\n(defstruct S a b)\n(defn maker [] (fn [] (struct S :a 1 :b 2)))\n(defn mk [] 0)\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    // A closure of version 1's code (a named function's value is late-bound; this one is not).
    try interpreter.eval("(def old (h:maker))")
    directory.write("h.oxur", "(module h)\n(defstruct S a b c)\n(defn mk [] (struct S :a 1 :b 2 :c 3))\n")
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("(h:get-c (h:mk))").printed == "3")
    #expect(try interpreter.eval("(def kept (old))").printed.contains("kept"))
    #expect(try interpreter.eval("(h:get-a kept)").printed == "1")
    #expect(throws: OxurError.self) { try interpreter.eval("(h:get-c kept)") }
    // REPL code is current: it is told at once that S now needs c.
    #expect(throws: OxurError.self) { try interpreter.eval("(struct h:S :a 1 :b 2)") }
    // The instance the old code built counts as one of an old layout.
    directory.write("h.oxur", "(module h)\n(defstruct S a b c d)\n")
    try interpreter.eval("(reload \"\(path)\")")
    #expect(errors.take().contains("1 live instance of h:S (v1) has the old layout"))
  }

  @Test func aCycleClosedByALaterReloadNamesThatReloadsMigrator() throws {
    let directory = ModuleDirectory()
    let first = directory.write("ma.oxur", "(module ma)\n(defstruct A v)\n")
    let second = directory.write("mb.oxur", "(module mb)\n(defstruct B v)\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: first)
    try interpreter.load(path: second)
    try interpreter.eval("(def a (struct ma:A (v 1)))")
    try interpreter.eval("(def b (struct mb:B (v 2)))")
    directory.write(
      "ma.oxur",
      "(module ma)\n(defstruct A v link)\n(defn --migrate-- [version old] (struct A (v (get-v old)) (link user:b)))\n")
    try interpreter.reload(path: first)
    directory.write(
      "mb.oxur",
      "(module mb)\n(defstruct B v link)\n(defn --migrate-- [version old] (struct B (v (get-v old)) (link user:a)))\n")
    _ = try interpreter.eval("(reload \"\(second)\")")
    let refusal = errors.take()
    #expect(refusal.contains("mb.oxur:3:1: --migrate-- of mb would make a"), "\(refusal)")
    #expect(refusal.contains("✗ Module not reloaded (keeping version 1)"), "\(refusal)")
    #expect(try interpreter.eval("b").printed == "(struct mb:B :v 2)")
  }

  /// The refusal named the instance the walk entered last: here a `mc:C` next to the cycle
  /// (its walk already finished), not the `ma:A` that would contain itself.
  @Test func aCycleRefusalNamesAnInstanceOnTheCycle() throws {
    let directory = ModuleDirectory()
    let first = directory.write("ma.oxur", "(module ma)\n(defstruct A v)\n")
    let other = directory.write("mc.oxur", "(module mc)\n(defstruct C v)\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: first)
    try interpreter.load(path: other)
    try interpreter.eval("(def a (struct ma:A (v 1)))")
    try interpreter.eval("(def c (struct mc:C (v 3)))")
    directory.write(
      "ma.oxur",
      "(module ma)\n(defstruct A v link)\n"
        + "(defn --migrate-- [version old] (struct A (v (get-v old)) (link [user:a user:c])))\n")
    _ = try interpreter.eval("(reload \"\(first)\")")
    let refusal = errors.take()
    #expect(refusal.contains("ma.oxur:3:1: --migrate-- of ma would make a ma:A contain itself"), "\(refusal)")
    #expect(try interpreter.eval("a").printed == "(struct ma:A :v 1)")
  }

  /// A migrator that is not a closure had no place in its errors: they are placed at its definition.
  @Test func aMigratorThatIsNotAClosureIsPlacedAtItsDefinition() throws {
    let directory = ModuleDirectory()
    let first = directory.write("ma.oxur", "(module ma)\n(defstruct A v)\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: first)
    try interpreter.eval("(def a (struct ma:A (v 1)))")
    directory.write(
      "ma.oxur",
      "(module ma)\n(defstruct A v link)\n"
        + "(defn build [tag version old] (struct A (v (get-v old)) (link [tag user:a])))\n"
        + "(def --migrate-- (partial build :p))\n")
    _ = try interpreter.eval("(reload \"\(first)\")")
    let refusal = errors.take()
    #expect(refusal.contains("ma.oxur:4:1: --migrate-- of ma would make a ma:A contain itself"), "\(refusal)")
    directory.write(
      "ma.oxur",
      "(module ma)\n(defstruct A v link)\n(defn build [tag version old] (/ 1 0))\n"
        + "(def --migrate-- (partial build :p))\n")
    _ = try interpreter.eval("(reload \"\(first)\")")
    let failure = errors.take()
    #expect(failure.contains("--migrate-- of ma failed on a ma:A (v1)"), "\(failure)")
    #expect(try interpreter.eval("a").printed == "(struct ma:A :v 1)")
  }

  @Test func aMigrationThatWouldMakeAnInstanceContainItselfIsRefused() throws {
    let directory = ModuleDirectory()
    let version1 = "(module node)\n(defstruct N v next)\n(defn make [v next] (struct N (v v) (next next)))\n"
    let path = directory.write("node.oxur", version1)
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (node:make 1 nil))")
    try interpreter.eval("(def b (node:make 2 nil))")
    try interpreter.eval("(def others (atom {}))")
    try interpreter.eval("(swap! others assoc 1 b)")
    try interpreter.eval("(swap! others assoc 2 a)")
    let looping = """
      (module node)
      (defstruct N v next w)
      (defn make [v next] (struct N (v v) (next next) (w 0)))
      (defn --migrate-- [version old]
        (struct N (v (get-v old)) (next [(get @user:others (get-v old))]) (w 0)))

      """
    directory.write("node.oxur", looping)
    _ = try interpreter.eval("(reload \"\(path)\")")
    let refusal = errors.take()
    #expect(refusal.contains("node.oxur:4:1: --migrate-- of node would make a node:N contain itself"), "\(refusal)")
    #expect(try interpreter.eval("[a b]").printed == "[(struct node:N :v 1 :next nil) (struct node:N :v 2 :next nil)]")

    // A cycle through a vector two instances share: a's new contents hold [a] via `shared`.
    try interpreter.eval("(def shared [a])")
    let throughShared = """
      (module node)
      (defstruct N v next w)
      (defn make [v next] (struct N (v v) (next next) (w 0)))
      (defn --migrate-- [version old] (struct N (v (get-v old)) (next user:shared) (w 0)))

      """
    directory.write("node.oxur", throughShared)
    _ = try interpreter.eval("(reload \"\(path)\")")
    let sharedRefusal = errors.take()
    #expect(sharedRefusal.contains("would make a node:N contain itself"), "\(sharedRefusal)")
    #expect(try interpreter.eval("(node:get-next a)").printed == "nil")

    // No cycle: a long chain and a shared subtree of the same struct migrate.
    try interpreter.eval("(def chain (loop [i 0 n nil] (if (< i 20000) (recur (inc i) (node:make i n)) n)))")
    try interpreter.eval("(def shared (loop [i 0 n nil] (if (< i 40) (recur (inc i) (node:make i [n n])) n)))")
    let chaining = """
      (module node)
      (defstruct N v next w)
      (defn make [v next] (struct N (v v) (next next) (w 0)))
      (defn --migrate-- [version old] (struct N (v (get-v old)) (next (get-next old)) (w 1)))

      """
    directory.write("node.oxur", chaining)
    try interpreter.eval("(reload \"\(path)\")")
    #expect(
      try interpreter.eval("[(node:get-w chain) (node:get-v chain) (node:get-w (node:get-next chain)) (node:get-w a)]")
        .printed == "[1 19999 1 1]")
    #expect(try interpreter.eval("(node:get-w (first (node:get-next shared)))").printed == "1")
  }

  /// Instances held in a global, a `defonce` atom, a vector inside a map, a closure and a map
  /// value: every holder sees the migrated instance, and the reload line counts them. (`*1` at
  /// the REPL: MigrationReplTests.)
  @Test func everyHolderSeesTheMigratedInstance() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def plain (geo:make 1 2))")
    try interpreter.eval("(defonce store (atom {:points [(geo:make 3 4)]}))")
    try interpreter.eval("(def remembered (let [p (geo:make 5 6)] (fn [] p)))")
    try interpreter.eval("(def many (into {} (map (fn [i] [i (geo:make 7 8)]) (range 1))))")
    _ = output.take()

    directory.write("geo.oxur", MigrationTests.version2(migrator: MigrationTests.seedMigrator))
    try interpreter.eval("(reload \"\(path)\")")
    let line = output.take()
    #expect(line.contains("(migrated 4 geo:Point (v1))"), "\(line)")
    #expect(errors.take() == "")
    #expect(try interpreter.eval("plain").printed == "(struct geo:Point :x 1 :y 2 :z 0)")
    #expect(try interpreter.eval("(get (get @store :points) 0)").printed == "(struct geo:Point :x 3 :y 4 :z 0)")
    #expect(try interpreter.eval("(remembered)").printed == "(struct geo:Point :x 5 :y 6 :z 0)")
    #expect(try interpreter.eval("(get many 0)").printed == "(struct geo:Point :x 7 :y 8 :z 0)")
    #expect(try interpreter.eval("(geo:total plain)").printed == "3")
    // Migrated instances are instances of the new layout: equal to freshly made ones.
    #expect(try interpreter.eval("(= plain (geo:make 1 2))").printed == "true")
    #expect(interpreter.reloadStatistics(module: "geo").last?.version == 2)
  }

  /// A migrator can use the old version number: instances of two earlier layouts (one kept by
  /// `:force`) each arrive with their own.
  @Test func eachInstanceArrivesWithTheVersionOfItsLayout() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (geo:make 1 2))")
    directory.write(
      "geo.oxur",
      "(module geo)\n(defstruct Point x y w)\n(defn make [x y] (struct Point (x x) (y y) (w 9)))\n"
    )
    try interpreter.reload(path: path, force: true)
    try interpreter.eval("(def b (struct geo:Point :x 3 :y 4 :w 9))")
    directory.write(
      "geo.oxur",
      "(module geo)\n(defstruct Point x y z)\n"
        + "(define (--migrate-- v old) (struct Point (x (get-x old)) (y (get-y old)) (z (* 100 v))))\n")
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.migrations.map(\.summary) == ["1 geo:Point (v1)", "1 geo:Point (v2)"])
    #expect(try interpreter.eval("a").printed == "(struct geo:Point :x 1 :y 2 :z 100)")
    #expect(try interpreter.eval("b").printed == "(struct geo:Point :x 3 :y 4 :z 200)")
  }

  @Test func withoutAMigratorTheReloadIsRefusedAndNothingChanges() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let (interpreter, output, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (geo:make 1 2))")
    try interpreter.eval("(def b [(geo:make 3 4)])")
    _ = output.take()
    directory.write("geo.oxur", MigrationTests.version2(migrator: ""))
    try interpreter.eval("(reload \"\(path)\")")
    #expect(
      errors.take()
        == "✗ Error at \(path):2:1: 2 live instances of geo:Point (v1) have the old layout; define --migrate-- or reload with :force\n"
        + " 2 | (defstruct Point x y z)\n   | ^\n✗ Module not reloaded (keeping version 1)\n")
    #expect(output.take() == "")
    #expect(interpreter.modules().first { $0.name == "geo" }?.version == 1)
    #expect(try interpreter.eval("(geo:total a)").printed == "3")
    #expect(try interpreter.eval("(geo:make 0 0)").printed == "(struct geo:Point :x 0 :y 0)")
  }

  /// A migrator may not load, reload or switch modules, as a check may not. A module it loaded
  /// was staged after the migration step: half of a failed module whose error the migrator
  /// caught was committed (the nested failure was looked at before migrating), and a module it
  /// reloaded had its own instances left unmigrated; `in-module` left the REPL in another module.
  @Test func aMigratorCannotLoadReloadOrSwitchModules() throws {
    for body in [
      "(do (try (load \"bad.oxur\") (catch e nil)) \(MigrationTests.seedMigrator))",
      "(do (reload \"c.oxur\") \(MigrationTests.seedMigrator))",
      "(do (try (in-module elsewhere) (catch e nil)) \(MigrationTests.seedMigrator))",
    ] {
      let directory = ModuleDirectory()
      let bad = directory.write("bad.oxur", "(module bad)\n(defn half [] :half)\n(/ 1 0)\n(defn never [] 1)\n")
      let other = directory.write("c.oxur", "(module c)\n(defstruct C v)\n")
      let path = directory.write("geo.oxur", MigrationTests.version1)
      let (interpreter, output, errors) = bufferedInterpreter()
      try interpreter.load(path: path)
      try interpreter.load(path: other)
      try interpreter.eval("(def a (geo:make 1 2))")
      try interpreter.eval("(def c (struct c:C (v 5)))")
      directory.write("c.oxur", "(module c)\n(defstruct C v w)\n")
      let module = interpreter.runtime.currentModule
      _ = output.take()
      let migrator = body.replacingOccurrences(of: "\"bad.oxur\"", with: Printer.readable(.string(bad)))
        .replacingOccurrences(of: "\"c.oxur\"", with: Printer.readable(.string(other)))
      directory.write("geo.oxur", MigrationTests.version2(migrator: migrator))
      try interpreter.eval("(reload \"\(path)\")")
      let refusal = errors.take()
      #expect(refusal.contains("--migrate-- of geo cannot"), "\(refusal)")
      #expect(refusal.contains("it converts live data"), "\(refusal)")
      #expect(refusal.contains("✗ Module not reloaded (keeping version 1)"), "\(refusal)")
      #expect(!output.take().contains("Reloaded"))
      #expect(!interpreter.modules().contains { $0.name == "bad" || $0.name == "elsewhere" })
      #expect(interpreter.modules().first { $0.name == "c" }?.version == 1)
      #expect(try interpreter.eval("(geo:total a)").printed == "3")
      #expect(try interpreter.eval("(c:get-v c)").printed == "5")
      #expect(interpreter.runtime.currentModule == module)
    }
  }

  /// An instance a dry run's top level kept in a `defonce` atom has the layout of a load that
  /// never committed, numbered 0; the migrator's refusal named "(v0)", no version at all.
  @Test func anInstanceOfALayoutThatNeverCommittedIsNamedSo() throws {
    let directory = ModuleDirectory()
    let path = directory.write("d.oxur", "(module d)\n(defstruct P x)\n(defonce cache (atom []))\n")
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    directory.write(
      "d.oxur", "(module d)\n(defstruct P x y)\n(defonce cache (atom []))\n(swap! cache conj (struct P (x 1) (y 2)))\n")
    try interpreter.eval("(reload \"\(path)\" :dry-run)")
    directory.write(
      "d.oxur",
      "(module d)\n(defstruct P x y z)\n(defonce cache (atom []))\n(define (--migrate-- v d) (match v (1 nil)))\n")
    try interpreter.eval("(reload \"\(path)\")")
    let refusal = errors.take()
    #expect(
      refusal.contains("--migrate-- of d failed on a d:P (v0, made by a load that was not committed)"), "\(refusal)")
  }

  /// Instances that are no longer referenced do not count: the live list unlinks on release.
  @Test func releasedInstancesDoNotBlockAReload() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(count (map (fn [i] (geo:make i i)) (range 10000)))")
    try interpreter.eval("(def kept (geo:make 1 1))")
    try interpreter.eval("(def kept nil)")
    directory.write("geo.oxur", MigrationTests.version2(migrator: ""))
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.version == 2)
    #expect(outcome.migrations.isEmpty)
  }

  /// A migrator that throws partway, or returns something that is not the new struct, aborts
  /// the reload: no instance changes, not even those converted before the failure.
  @Test func aFailingMigratorLeavesEveryInstanceAsItWas() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def points (vec (map (fn [i] (geo:make i (* 2 i))) (range 5))))")
    let before = try interpreter.eval("points").printed
    for (migrator, message) in [
      (
        "(if (= (get-x old-data) 3) (throw \"cannot migrate 3\") (struct Point (x (get-x old-data)) (y 0) (z 0)))",
        "--migrate-- of geo failed on a geo:Point (v1): uncaught throw: \"cannot migrate 3\""
      ),
      ("old-data", "--migrate-- of geo returned (struct geo:Point :x"),
      ("{:x 1}", "--migrate-- of geo returned {:x 1} for a geo:Point (v1); expected a geo:Point with fields x y z"),
    ] {
      directory.write("geo.oxur", MigrationTests.version2(migrator: migrator))
      try interpreter.eval("(reload \"\(path)\")")
      let report = errors.take()
      #expect(report.contains(message), "\(report)")
      #expect(report.hasSuffix("✗ Module not reloaded (keeping version 1)\n"), "\(report)")
      #expect(try interpreter.eval("points").printed == before)
      #expect(try interpreter.eval("(geo:total (get points 4))").printed == "12")
    }
  }

  /// `--check--` runs after migration; when it fails, the migrated instances are put back.
  @Test func aFailingCheckPutsMigratedInstancesBack() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (geo:make 1 2))")
    directory.write(
      "geo.oxur",
      MigrationTests.version2(migrator: MigrationTests.seedMigrator, check: "(= (get-z user:a) 1)"))
    try interpreter.eval("(reload \"\(path)\")")
    #expect(errors.take().contains("--check-- of geo returned false"))
    #expect(try interpreter.eval("a").printed == "(struct geo:Point :x 1 :y 2)")
    #expect(try interpreter.eval("(geo:total a)").printed == "3")
    // The check saw the migrated instance: with the right expectation the reload commits.
    directory.write(
      "geo.oxur",
      MigrationTests.version2(migrator: MigrationTests.seedMigrator, check: "(= (get-z user:a) 0)"))
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.checked)
    #expect(try interpreter.eval("a").printed == "(struct geo:Point :x 1 :y 2 :z 0)")
  }

  @Test func aDryRunShowsMigrationsWithoutDoingThem() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (geo:make 1 2))")
    try interpreter.eval("(def b (geo:make 3 4))")
    directory.write("geo.oxur", MigrationTests.version2(migrator: MigrationTests.seedMigrator))
    _ = output.take()
    try interpreter.eval("(reload \"\(path)\" :dry-run)")
    let plan = output.take()
    #expect(plan.contains("  instances: 2 geo:Point (v1) would be migrated\n"), "\(plan)")
    #expect(plan.contains("◇ Nothing committed (geo stays at version 1)"))
    #expect(try interpreter.eval("a").printed == "(struct geo:Point :x 1 :y 2)")
    #expect(interpreter.modules().first { $0.name == "geo" }?.version == 1)
  }

  /// `:force` commits and leaves old instances in their layout; the new accessors still read
  /// the fields they share, and a field the old layout lacks is a clear error.
  @Test func forceKeepsTheOldLayout() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (geo:make 1 2))")
    directory.write("geo.oxur", MigrationTests.version2(migrator: ""))
    _ = output.take()
    try interpreter.eval("(reload \"\(path)\" :force)")
    #expect(output.take().contains("(kept old layout: 1 geo:Point (v1))"))
    #expect(try interpreter.eval("a").printed == "(struct geo:Point :x 1 :y 2)")
    #expect(try interpreter.eval("(geo:get-x a)").printed == "1")
    #expect(throws: OxurError.self) { try interpreter.eval("(geo:get-z a)") }
    #expect(try interpreter.eval("(geo:make 1 2)").printed == "(struct geo:Point :x 1 :y 2 :z 0)")
    // The old instances are still there to migrate later, with a migrator.
    directory.write(
      "geo.oxur", MigrationTests.version2(migrator: MigrationTests.seedMigrator) + "(defn extra [] 1)\n")
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.migrations.map(\.summary) == ["1 geo:Point (v1)"])
    #expect(try interpreter.eval("a").printed == "(struct geo:Point :x 1 :y 2 :z 0)")
  }

  /// A rollback restores the old code; instances keep the layout they have (reported, not lost).
  @Test func rollbackKeepsInstancesInTheirLayout() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (geo:make 1 2))")
    directory.write("geo.oxur", MigrationTests.version2(migrator: MigrationTests.seedMigrator))
    try interpreter.reload(path: path)
    let outcomes = try interpreter.rollback(module: "geo")
    #expect(
      outcomes.first?.migrations == [
        StructMigration(structName: "geo:Point", fromVersion: 2, count: 1, keptOldLayout: true)
      ])
    #expect(try interpreter.eval("a").printed == "(struct geo:Point :x 1 :y 2 :z 0)")
    #expect(try interpreter.eval("(geo:make 4 5)").printed == "(struct geo:Point :x 4 :y 5)")
    // The rollback line says so: it said nothing, and the restored code failed on them later.
    let (repl, output, _) = bufferedInterpreter()
    directory.write("geo.oxur", MigrationTests.version1)
    try repl.load(path: path)
    try repl.eval("(def a (geo:make 1 2))")
    directory.write("geo.oxur", MigrationTests.version2(migrator: MigrationTests.seedMigrator))
    try repl.reload(path: path)
    _ = output.take()
    try repl.eval("(rollback geo)")
    #expect(
      output.take()
        == "✓ Rolled back geo to version 1 (now version 3) (instances keep their layout: 1 geo:Point (v2))\n")
  }

  /// The last reference to an instance may be dropped on a host thread while a reload migrates
  /// on another: the live list must neither resurrect it nor lose track (ThreadSanitizer too).
  @Test func instancesReleasedOnOtherThreadsDuringMigration() throws {
    let directory = ModuleDirectory()
    let (interpreter, _, _) = bufferedInterpreter()
    var sources: [String] = []
    for round in 0..<2 {
      let fields = round == 0 ? "x y" : "x y z"
      let make = round == 0 ? "(struct Point (x i) (y i))" : "(struct Point (x i) (y i) (z 0))"
      sources.append(
        "(module geo)\n(defstruct Point \(fields))\n(defn make [i] \(make))\n"
          + "(define (--migrate-- v old) (let [f (fn [n] \(round == 0 ? "(struct Point (x n) (y n))" : "(struct Point (x n) (y n) (z 0))"))] (f (get-x old))))\n"
      )
    }
    let path = directory.write("geo.oxur", sources[0])
    try interpreter.load(path: path)
    let holders = Background {
      for _ in 0..<200 {
        // Results kept on this thread and dropped here, outside any evaluation.
        let values = (0..<20).compactMap { try? interpreter.eval("(geo:make \($0))") }
        _ = values.count
      }
    }
    for round in 1...60 {
      directory.write("geo.oxur", sources[round % 2])
      _ = try? interpreter.reload(path: path)
    }
    _ = holders.wait("host threads dropping instances")
    try interpreter.eval("(def survivor (geo:make 7))")
    directory.write("geo.oxur", sources[1] + "(defn bump [] 1)\n")
    try interpreter.reload(path: path)
    directory.write("geo.oxur", sources[0])
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.migrations.reduce(0) { $0 + $1.count } >= 1)
    #expect(try interpreter.eval("survivor").printed == "(struct geo:Point :x 7 :y 7)")
  }
}

/// The seed's migration example through the real executable's REPL, with an instance held only
/// by the REPL's `*1`.
@Suite struct MigrationReplTests {
  @Test func theSeedMigratorWorksAsWrittenAtTheRepl() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", MigrationTests.version1)
    let script = """
      (load "\(path)")
      (geo:make 1 2)
      (spit "\(path)" (slurp "\(directory.write("geo2.oxur", MigrationTests.version2(migrator: MigrationTests.seedMigrator)))"))
      (reload "\(path)")
      *2
      (geo:total *1)

      """
    let result = try Executable.run([], stdin: script)
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(lines.count == 6, "\(result.stdout)")
    #expect(lines.first == "✓ Loaded module: geo (version 1)")
    #expect(lines.dropFirst().first == "(struct geo:Point :x 1 :y 2)")
    #expect(
      lines.contains {
        $0.hasPrefix("✓ Reloaded module: geo (version 2") && $0.hasSuffix("(migrated 1 geo:Point (v1))")
      })
    #expect(lines.suffix(2) == ["(struct geo:Point :x 1 :y 2 :z 0)", "3"])
  }
}

/// Breaks found by a hostile review of migration and layout edges, each now a regression test.
@Suite struct MigrationAttackRegressionTests {
  private static let plain = "(module geo)\n(defstruct Point x y)\n(defn make [x y] (struct Point (x x) (y y)))\n"

  /// An edit that leaves the fields alone keeps the layout (and its version): the seed's
  /// `(match old-version (1 …))` still applies to instances made after it.
  @Test func anUnrelatedEditKeepsTheLayoutAndItsVersion() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", Self.plain)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (geo:make 1 2))")
    directory.write("geo.oxur", Self.plain + "(defn extra [] 1)\n")
    try interpreter.reload(path: path)
    try interpreter.eval("(def b (geo:make 3 4))")
    directory.write("geo.oxur", MigrationTests.version2(migrator: MigrationTests.seedMigrator))
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.migrations.map(\.summary) == ["2 geo:Point (v1)"])
    #expect(
      try interpreter.eval("[a b]").printed == "[(struct geo:Point :x 1 :y 2 :z 0) (struct geo:Point :x 3 :y 4 :z 0)]")
  }

  /// After `:force`, reloads that do not change the layout again commit without a migrator.
  @Test func forceDoesNotBlockLaterReloads() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", Self.plain)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (geo:make 1 2))")
    directory.write("geo.oxur", MigrationTests.version2(migrator: ""))
    try interpreter.reload(path: path, force: true)
    directory.write("geo.oxur", MigrationTests.version2(migrator: "") + "(defn hi [] 1)\n")
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.version == 3)
    #expect(outcome.migrations.isEmpty)
    let all = try interpreter.reloadAll()
    #expect(all.isEmpty)
  }

  /// reload-all orders a module that builds another's structs after it, import or not.
  @Test func reloadAllOrdersByStructEdges() throws {
    let directory = ModuleDirectory()
    directory.write("geo.oxur", Self.plain)
    let app = directory.write("app.oxur", "(module app)\n(defn mk [] (struct geo:Point (x 1) (y 2)))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: directory.path("geo.oxur"))
    try interpreter.load(path: app)
    directory.write("geo.oxur", "(module geo)\n(defstruct Point x y z)\n")
    directory.write("app.oxur", "(module app)\n(defn mk [] (struct geo:Point (x 1) (y 2) (z 3)))\n")
    let outcomes = try interpreter.reloadAll()
    #expect(Set(outcomes.map(\.module)) == ["geo", "app"])
    #expect(try interpreter.eval("(app:mk)").printed == "(struct geo:Point :x 1 :y 2 :z 3)")
  }

  /// A rollback restores code without analyzing it again: one whose constructor no longer fits
  /// the other module's layout is refused instead of failing when called.
  @Test func rollbackRefusesAConstructorTheLayoutOutgrew() throws {
    let directory = ModuleDirectory()
    directory.write("geo.oxur", Self.plain)
    let app = directory.write("app.oxur", "(module app)\n(defn mk [] (struct geo:Point (x 1) (y 2)))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: directory.path("geo.oxur"))
    try interpreter.load(path: app)
    directory.write("geo.oxur", "(module geo)\n(defstruct Point x y z)\n")
    directory.write("app.oxur", "(module app)\n(defn mk [] (struct geo:Point (x 1) (y 2) (z 3)))\n")
    _ = try interpreter.reloadAll()
    do {
      _ = try interpreter.rollback(module: "app")
      Issue.record("expected the rollback to be refused")
    } catch let failure as LoadFailure {
      #expect(
        failure.error.message
          == "cannot roll back app: the restored code builds geo:Point with fields x y, but geo:Point now has x y z "
          + "(roll back geo with it, or reload app)")
    }
    #expect(try interpreter.eval("(app:mk)").printed == "(struct geo:Point :x 1 :y 2 :z 3)")
  }

  /// A migrator result containing old-data would make the instance contain itself.
  @Test func aMigratorResultMustNotContainOldData() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", Self.plain)
    let (interpreter, _, errors) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def a (geo:make 1 2))")
    directory.write(
      "geo.oxur", MigrationTests.version2(migrator: "(struct Point (x 1) (y 2) (z old-data))"))
    try interpreter.eval("(reload \"\(path)\")")
    #expect(errors.take().contains("that contains old-data itself; copy its fields instead"))
    #expect(try interpreter.eval("a").printed == "(struct geo:Point :x 1 :y 2)")
  }

  @Test func helpKnowsStructsAliasesAndTheEmptyQuery() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", Self.plain)
    let (interpreter, output, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(import geo :as g)")
    _ = output.take()
    try interpreter.eval("(doc geo:Point) (dir g)")
    #expect(
      output.take()
        == "geo:Point\n  struct with fields x y\n  0 live instance(s), layout of version 1\nPoint?\nget-x\nget-y\nmake\n"
    )
    #expect(try interpreter.eval("(count (apropos \"\"))").printed != "0")
  }

  /// Ctrl-C (an interrupt of the reloading evaluation) while a migrator runs: the reload fails
  /// as interrupted and every instance keeps its old contents.
  @Test func anInterruptDuringMigrationLeavesEverythingAsItWas() throws {
    let directory = ModuleDirectory()
    let path = directory.write("geo.oxur", Self.plain)
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def points (vec (map (fn [i] (geo:make i i)) (range 3))))")
    directory.write(
      "geo.oxur",
      MigrationTests.version2(migrator: "(do (loop [] (recur)) (struct Point (x 0) (y 0) (z 0)))"))
    let handle = EvaluationHandle(interpreter: interpreter)
    let reload = Background { () -> String in
      do {
        try interpreter.reload(path: path, handle: handle)
        return "committed"
      } catch let failure as LoadFailure {
        return failure.error.kind
      }
    }
    Thread.sleep(forTimeInterval: 0.3)
    handle.interrupt()
    #expect((try? reload.wait("the interrupted reload")?.get()) == "interrupted")
    #expect(
      try interpreter.eval("points").printed
        == "[(struct geo:Point :x 0 :y 0) (struct geo:Point :x 1 :y 1) (struct geo:Point :x 2 :y 2)]")
    #expect(interpreter.modules().first { $0.name == "geo" }?.version == 1)
  }
}

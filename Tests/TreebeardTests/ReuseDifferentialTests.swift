// Reused code must mean what fresh analysis would: random edits, reloaded, against a fresh load of the same text.

import Foundation
import Testing

@testable import Treebeard

/// Each round picks a variant for every line of a small module (so unchanged lines keep their
/// place and may be reused) and reloads it; a fresh interpreter loads the same text, and both
/// must answer every probe alike. The variants change what unchanged lines mean: a helper that
/// becomes a macro, a referred macro, a builtin's name defined by the module, a local that
/// shadows a macro's name, a value computed at load time.
@Suite struct ReuseDifferentialTests {
  static let lineVariants: [[String]] = [
    ["(module dm)", "(module dm) (import dlib :refer [twice])", "(module dm) (import dlib :refer [bump])"],
    ["(defn twice [x] (* x 2))", "(defmacro twice [x] `(* ~x 3))", "(defn other [] 2)"],
    ["(defn inc [x] (- x 1))", "(defn not-inc [x] x)", "(defmacro inc [x] `(+ ~x 10))"],
    ["(defn f [x] (twice x))"],
    ["(defn g [x] (inc x))"],
    ["(defn h [x] (+ (f x) (g x)))", "(defn h [x] (- (f x) (g x)))"],
    ["(def k (f 5))", "(def k 7)"],
    ["(defn m [x] (let [twice (fn [y] (+ y 100))] (twice x)))"],
    ["(defn n [x] (bump x))", "(defn bump [x] (* x x))"],
  ]
  static let library = "(module dlib)\n(defmacro twice [x] `(+ ~x 1000))\n(defmacro bump [x] `(- ~x))\n"
  static let probes = ["(dm:f 1)", "(dm:g 1)", "(dm:h 1)", "dm:k", "(dm:m 1)", "(dm:n 3)"]

  /// What a probe gives, or the kind of error it raises (messages may quote different lines).
  static func answer(_ interpreter: Interpreter, _ probe: String) -> String {
    do { return try interpreter.eval(probe).printed } catch let error as OxurError {
      return "error \(error.kind)"
    } catch {
      return "error"
    }
  }

  /// Lines that move (a blank line or a comment above them comes and goes), docstrings and
  /// several arities, structs and enums whose shape changes, `defonce`, values that close over
  /// other definitions, and a function that becomes a value.
  static let movingVariants: [[String]] = [
    ["(module dm)"],
    ["", ";; a comment", "\n"],
    ["(defstruct P x y)", "(defstruct P x y z)", "(defstruct P y x)"],
    ["(defenum Shape (Circle r) Empty)", "(defenum Shape (Circle r) (Square s) Empty)"],
    [
      "(defn area [s] (match s ((Circle r) (* 3 r r)) (_ 0)))",
      "(defn area [s] (match s ((Circle r) (* 4 r r)) (_ 1)))",
    ],
    ["(defn make [] (struct P :x 1 :y 2))", "(defn make [] (P 1 2))"],
    ["(defn px [] (get-x (make)))"],
    ["(defonce counter (atom 0))", "(def counter (atom 5))"],
    ["(defn bump! [] (swap! counter inc))"],
    ["(defn two \"doc\" ([] 2) ([x] (* 2 x)))", "(defn two ([] 3) ([x] (* 3 x)))", "(def two 22)"],
    ["(def table {:a (area (Circle 1)) :b (two 5)})", "(def table [(area Empty)])"],
    ["(defn use-two [] (two 1))"],
  ]
  static let movingProbes = [
    "(dm:area (dm:Circle 2))", "(dm:area dm:Empty)", "(dm:px)", "(dm:use-two)", "dm:table",
    "(do (dm:bump!) (deref dm:counter))",
  ]

  /// Runs `rounds` rounds: each writes a module of one random variant per line, reloads it in
  /// one interpreter and loads it fresh in another, checks that the two loads agree
  /// (`outcomesAgree`) and, when both loaded, that every probe answers alike (probes that
  /// `compares` rejects are run but not compared). Returns the rounds compared and the
  /// definitions reused, so a caller can check the run was not vacuous.
  static func compareReloadsWithFreshLoads(
    seed: UInt64, rounds: Int, variants: [[String]], library: String? = nil, probes: [String],
    compares: (String) -> Bool = { _ in true }, outcomesAgree: (_ reload: Bool, _ fresh: Bool) -> Bool
  ) -> (compared: Int, reused: Int) {
    var generator = SeededGenerator(seed: seed)
    let directory = ModuleDirectory()
    if let library { directory.write("dlib.oxur", library) }
    let path = directory.path("dm.oxur")
    let (reloading, _, _) = bufferedInterpreter()
    var loaded = false
    var compared = 0
    var reused = 0
    for round in 0..<rounds {
      let text = variants.map { $0[Int(generator.next() % UInt64($0.count))] }.joined(separator: "\n") + "\n"
      directory.write("dm.oxur", text)
      var reloadSucceeded = true
      do { if loaded { try reloading.reload(path: path) } else { try reloading.load(path: path) } } catch {
        reloadSucceeded = false
      }
      loaded = loaded || reloadSucceeded
      let (fresh, _, _) = bufferedInterpreter()
      let freshSucceeded = (try? fresh.load(path: path)) != nil
      #expect(
        outcomesAgree(reloadSucceeded, freshSucceeded),
        "round \(round): reload \(reloadSucceeded), fresh \(freshSucceeded)\n\(text)")
      guard reloadSucceeded, freshSucceeded else { continue }
      for probe in probes {
        let expected = answer(fresh, probe)
        let got = answer(reloading, probe)
        if !compares(probe) { continue }
        #expect(got == expected, "round \(round), \(probe): reloaded \(got), fresh \(expected)\n\(text)")
      }
      compared += 1
      reused += reloading.runtime.lock.withLock {
        reloading.runtime.registry.existingEntry("dm")?.current?.reusedDefinitions ?? 0
      }
    }
    return (compared, reused)
  }

  /// The same comparison for edits that move definitions and change data shapes, through the
  /// interpreter's own reload and a fresh load each round.
  @Test func movedAndReshapedDefinitionsAnswerLikeAFreshLoad() throws {
    let (compared, reused) = ReuseDifferentialTests.compareReloadsWithFreshLoads(
      seed: 1_128, rounds: 150, variants: ReuseDifferentialTests.movingVariants,
      probes: ReuseDifferentialTests.movingProbes,
      // `counter` survives reloads by design (`defonce`): its answers are not comparable.
      compares: { !$0.contains("counter") },
      // A reload may refuse what a first load accepts (a struct that changes shape without a
      // migration while instances live); never the other way round.
      outcomesAgree: { reload, fresh in fresh || !reload })
    #expect(compared >= 40, "only \(compared) rounds loaded")
    #expect(reused >= 100, "only \(reused) definitions were reused")
  }

  @Test func reloadedCodeAnswersLikeAFreshLoad() throws {
    let (compared, reused) = ReuseDifferentialTests.compareReloadsWithFreshLoads(
      seed: 20_261_128, rounds: 200, variants: ReuseDifferentialTests.lineVariants,
      library: ReuseDifferentialTests.library, probes: ReuseDifferentialTests.probes,
      outcomesAgree: { reload, fresh in reload == fresh })
    // Not vacuous: most rounds loaded, and unchanged lines were reused along the way.
    #expect(compared >= 80, "only \(compared) rounds loaded")
    #expect(reused >= 200, "only \(reused) definitions were reused")
  }
}

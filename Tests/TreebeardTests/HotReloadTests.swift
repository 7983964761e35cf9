// Hot reload semantics (DESIGN.md §2–§3) through the library: late binding everywhere,
// defonce, transactional reload-all, and nothing lost on failure.

import Foundation
import Testing

@testable import Treebeard

@Suite struct HotReloadTests {
  func interpreter() -> (Interpreter, BufferedOutput, BufferedOutput) {
    let output = BufferedOutput()
    let errors = BufferedOutput()
    return (Interpreter(output: output, errorOutput: errors), output, errors)
  }

  @Test func recursiveCallAfterReloadRunsTheNewVersion() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "stepper.oxur",
      """
      (module stepper)
      (defn step [n]
        (if (= n 3)
          (do (spit "\(directory.path("stepper.oxur"))" "(module stepper)\\n(defn step [n] [:v2 n])")
              (reload "\(directory.path("stepper.oxur"))")
              [:v1-after-reload (step (+ n 1))])
          (step (+ n 1))))
      """)
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: path)
    let result = try interpreter.eval("(stepper:step 0)")
    // The running v1 frame finishes in v1's code; its next call to step is v2.
    #expect(result.printed == "[:v1-after-reload [:v2 4]]")
  }

  @Test func closuresFromOldVersionCallNewGlobals() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "maker.oxur", "(module maker)\n(defn helper [] :old-helper)\n(defn make [] (fn [] [:old-body (helper)]))\n")
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def c (maker:make))")
    #expect(try interpreter.eval("(c)").printed == "[:old-body :old-helper]")
    directory.write("maker.oxur", "(module maker)\n(defn helper [] :new-helper)\n(defn make [] (fn [] [:new-body]))\n")
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.version == 2 && outcome.isReload)
    #expect(try interpreter.eval("(c)").printed == "[:old-body :new-helper]")
  }

  @Test func callsFromOtherModulesAndReferencesFollowReloads() throws {
    let directory = ModuleDirectory()
    let b = directory.write("b.oxur", "(module b)\n(defn f [x] (* 2 x))\n")
    let a = directory.write("a.oxur", "(module a)\n(import b :as bee :refer [f])\n(defn g [x] [(bee:f x) (f x)])\n")
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: a)
    try interpreter.eval("(def h b:f) (def handlers {:double b:f})")
    #expect(try interpreter.eval("(a:g 5)").printed == "[10 10]")
    directory.write("b.oxur", "(module b)\n(defn f [x] (* 3 x))\n")
    try interpreter.reload(path: b)
    #expect(try interpreter.eval("(a:g 5)").printed == "[15 15]")
    #expect(try interpreter.eval("[(h 5) ((:double handlers) 5) (map b:f [1 2])]").printed == "[15 15 [3 6]]")
  }

  @Test func defonceKeepsItsValueAndDefIsReevaluated() throws {
    let directory = ModuleDirectory()
    let source = "(module state)\n(defonce counter (atom 0))\n(def limit 10)\n(defn bump [] (swap! counter inc))\n"
    let path = directory.write("state.oxur", source)
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(state:bump) (state:bump)")
    directory.write("state.oxur", source.replacingOccurrences(of: "(def limit 10)", with: "(def limit 20)"))
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("[@state:counter state:limit]").printed == "[2 20]")
  }

  @Test func failedReloadChangesNothing() throws {
    let directory = ModuleDirectory()
    let path = directory.write("calc.oxur", "(module calc)\n(def base 1)\n(defn f [] base)\n")
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: path)
    for broken in [
      "(module calc)\n(def base 2)\n(defn f [] base",  // read error
      "(module calc)\n(def base 2)\n(defn f [] (let [x] x))",  // analysis error
      "(module calc)\n(def base 2)\n(defn f [] base)\n(/ 1 0)",  // top-level evaluation error
      "(module calc)\n(def base 2)\n(defn f [] (undefined-helper))",  // unknown name
    ] {
      directory.write("calc.oxur", broken)
      #expect(throws: LoadFailure.self) { try interpreter.reload(path: path) }
      #expect(try interpreter.eval("[(calc:f) calc:base]").printed == "[1 1]")
      #expect(interpreter.modules().first { $0.name == "calc" }?.version == 1)
    }
  }

  @Test func failureReportNamesLocationAndKeptVersion() throws {
    let directory = ModuleDirectory()
    let path = directory.write("m.oxur", "(module m)\n(defn f [] 1)\n")
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: path)
    directory.write("m.oxur", "(module m)\n(defn f [] {1)\n")
    do {
      try interpreter.reload(path: path)
      Issue.record("expected failure")
    } catch let failure as LoadFailure {
      #expect(failure.report.contains("m.oxur:2:14: unexpected ')'"))
      #expect(failure.report.hasSuffix("✗ Module not reloaded (keeping version 1)"))
    }
  }

  @Test func reloadAllIsAllOrNothing() throws {
    let directory = ModuleDirectory()
    let x = directory.write("x.oxur", "(module x)\n(defn v [] :x1)\n")
    let y = directory.write("y.oxur", "(module y)\n(defn v [] :y1)\n")
    let (interpreter, output, errors) = interpreter()
    try interpreter.load(path: x)
    try interpreter.load(path: y)
    try interpreter.eval("(reload-all)")
    #expect(output.take().contains("✓ Nothing to reload"))
    directory.write("x.oxur", "(module x)\n(defn v [] :x2)\n")
    directory.write("y.oxur", "(module y)\n(defn v [] :y2")
    #expect(throws: LoadFailure.self) { try interpreter.reloadAll() }
    #expect(try interpreter.eval("[(x:v) (y:v)]").printed == "[:x1 :y1]")
    try interpreter.eval("(reload-all)")
    #expect(errors.take().contains("✗ No module reloaded (keeping x v1, y v1)"))
    directory.write("y.oxur", "(module y)\n(defn v [] :y2)\n")
    let outcomes = try interpreter.reloadAll()
    #expect(Set(outcomes.map(\.module)) == ["x", "y"])
    #expect(try interpreter.eval("[(x:v) (y:v)]").printed == "[:x2 :y2]")
  }

  @Test func reloadAllWithDirectoryLoadsNewFiles() throws {
    let directory = ModuleDirectory()
    directory.write("p.oxur", "(module p)\n(defn v [] :p)\n")
    directory.write("q.oxur", "(module q)\n(import p)\n(defn v [] [:q (p:v)])\n")
    let (interpreter, _, _) = interpreter()
    let outcomes = try interpreter.reloadAll(directory: directory.url.path)
    #expect(Set(outcomes.map(\.module)) == ["p", "q"])
    #expect(try interpreter.eval("(q:v)").printed == "[:q :p]")
  }

  @Test func failedFirstLoadLeavesNoModule() throws {
    let directory = ModuleDirectory()
    let path = directory.write("fresh.oxur", "(module fresh)\n(defn f [] 1)\n(undefined)\n")
    let (interpreter, _, _) = interpreter()
    #expect(throws: LoadFailure.self) { try interpreter.load(path: path) }
    #expect(!interpreter.modules().contains { $0.name == "fresh" })
    #expect(throws: OxurError.self) { try interpreter.eval("(fresh:f)") }
  }

  @Test func loadRefusals() throws {
    let directory = ModuleDirectory()
    let one = directory.write("one.oxur", "(module shared)\n(defn f [] 1)\n")
    let two = directory.write("two.oxur", "(module shared)\n(defn f [] 2)\n")
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: one)
    do {
      try interpreter.load(path: two)
      Issue.record("expected refusal")
    } catch let failure as LoadFailure {
      #expect(failure.error.message.contains("already loaded from"))
      #expect(failure.error.message.contains("one.oxur") && failure.error.message.contains("two.oxur"))
    }
    #expect(try interpreter.eval("(shared:f)").printed == "1")
    // reload of another file claiming a loaded module replaces it (the seed's broken_calculator).
    try interpreter.reload(path: two)
    #expect(try interpreter.eval("(shared:f)").printed == "2")
    for path in [directory.path("missing.oxur"), directory.url.path] {
      #expect(throws: LoadFailure.self) { try interpreter.load(path: path) }
    }
  }

  @Test func exportsAreEnforcedForOtherModules() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "priv.oxur", "(module priv)\n(export pub)\n(defn secret [] 1)\n(defn pub [] (+ (secret) 1))\n")
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(priv:pub)").printed == "2")
    #expect(throws: OxurError.self) { try interpreter.eval("(priv:secret)") }
  }

  @Test func historyIsBounded() throws {
    let directory = ModuleDirectory()
    let path = directory.write("h.oxur", "(module h)\n(def v 0)\n")
    let (interpreter, _, _) = interpreter()
    interpreter.runtime.registry.historyLimit = 3
    try interpreter.load(path: path)
    for version in 1...6 {
      directory.write("h.oxur", "(module h)\n(def v \(version))\n")
      try interpreter.reload(path: path)
    }
    let entry = interpreter.runtime.registry.existingEntry("h")
    #expect(entry?.current?.number == 7)
    #expect(entry?.history.map(\.number) == [4, 5, 6])
  }

  @Test func runningLoopPicksUpReloadCommittedByAnotherThread() throws {
    let directory = ModuleDirectory()
    let path = directory.write("live.oxur", "(module live)\n(defn version [] 1)\n")
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: path)
    let finished = DispatchSemaphore(value: 0)
    let box = ResultBox()
    Thread.detachNewThread {
      box.set(Result { try interpreter.eval("(loop [i 0] (if (= (live:version) 2) i (recur (inc i))))").printed })
      finished.signal()
    }
    Thread.sleep(forTimeInterval: 0.2)
    directory.write("live.oxur", "(module live)\n(defn version [] 2)\n")
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.version == 2)
    if finished.wait(timeout: .now() + 20) == .timedOut {
      interpreter.interrupt()
      Issue.record("the loop never saw the reload")
      finished.wait()
    }
    let iterations = try box.get()
    #expect((Int(iterations) ?? 0) > 0)
  }

  @Test func interruptStopsARunawayLoop() throws {
    let (interpreter, _, _) = interpreter()
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { interpreter.interrupt() }
    #expect(throws: OxurError.self) { try interpreter.eval("(loop [i 0] (recur (inc i)))") }
    #expect(try interpreter.eval("(+ 1 2)").printed == "3")
  }
}

/// A result handed from a worker thread to the test.
final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private var result: Result<String, Error>?
  func set(_ value: Result<String, Error>) { lock.withLock { result = value } }
  func get() throws -> String { try lock.withLock { try result?.get() ?? "" } }
}

@Suite struct LoadErrorTests {
  @Test func unreadableFileIsAClearError() throws {
    // Root reads any file, so the permission check can only be observed as another user.
    guard getuid() != 0 else { return }
    let directory = ModuleDirectory()
    let path = directory.write("secret.oxur", "(module secret)\n")
    chmod(path, 0)
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    do {
      try interpreter.load(path: path)
      Issue.record("expected failure")
    } catch let failure as LoadFailure {
      #expect(failure.error.message.contains("permission denied"))
    }
  }

  @Test func failedLoadMessagesAreOneLine() throws {
    let directory = ModuleDirectory()
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    for path in [directory.path("missing.oxur"), directory.url.path] {
      do {
        try interpreter.load(path: path)
        Issue.record("expected failure for \(path)")
      } catch let failure as LoadFailure {
        #expect(!failure.error.message.contains("\n"))
        #expect(failure.report.hasSuffix("✗ Module not loaded"))
      }
    }
  }
}

@Suite struct ConcurrencyTests {
  /// Readers on several threads while another thread reloads: no call fails mid-commit, each
  /// thread sees versions only move forward, and the final version is the last commit.
  @Test func concurrentCallsAndReloadsSeeWholeVersions() throws {
    let directory = ModuleDirectory()
    let path = directory.write("pair.oxur", "(module pair)\n(defn v [] 0)\n(defn w [] 0)\n")
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let group = DispatchGroup()
    let failures = ResultBox()
    for _ in 0..<3 {
      group.enter()
      Thread.detachNewThread {
        defer { group.leave() }
        do {
          var last = 0
          for _ in 0..<200 {
            let seen = Int(try interpreter.eval("(pair:v)").printed) ?? -1
            if seen < last || seen > 20 { failures.set(.success("went back from \(last) to \(seen)")) }
            last = seen
          }
        } catch {
          failures.set(.success("error: \(error)"))
        }
      }
    }
    for version in 1...20 {
      directory.write("pair.oxur", "(module pair)\n(defn v [] \(version))\n(defn w [] \(version))\n")
      try interpreter.reload(path: path)
    }
    group.wait()
    #expect(try failures.get() == "")
    #expect(try interpreter.eval("[(pair:v) (pair:w)]").printed == "[20 20]")
  }

  @Test func separateInterpretersRunInParallel() throws {
    let group = DispatchGroup()
    let failures = ResultBox()
    for index in 0..<4 {
      group.enter()
      Thread.detachNewThread {
        defer { group.leave() }
        let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
        do {
          let value = try interpreter.eval(
            "(defmacro twice [x] `(* 2 ~x)) (defenum E (A x) B) (reduce + (map (fn [i] (twice i)) (range \(index * 100))))"
          )
          let n = index * 100
          if value.printed != String(n * (n - 1)) && n > 0 { failures.set(.success("wrong: \(value.printed)")) }
        } catch {
          failures.set(.success("error: \(error)"))
        }
      }
    }
    group.wait()
    #expect(try failures.get() == "")
  }
}

@Suite struct CompileTimeEdgeTests {
  @Test func modulesUsingAReloadedMacroAreReexpandedInTheSameTransaction() throws {
    let directory = ModuleDirectory()
    let macros = directory.write("macs.oxur", "(module macs)\n(defmacro twice [x] `(* 2 ~x))\n")
    let user = directory.write("client.oxur", "(module client)\n(import macs :refer [twice])\n(defn f [x] (twice x))\n")
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: user)
    #expect(try interpreter.eval("(client:f 5)").printed == "10")
    directory.write("macs.oxur", "(module macs)\n(defmacro twice [x] `(* 3 ~x))\n")
    let outcome = try interpreter.reload(path: macros)
    #expect(outcome.dependents.map(\.module) == ["client"])
    #expect(try interpreter.eval("(client:f 5)").printed == "15")
    // A user that no longer expands breaks the whole reload: the macro module stays too.
    directory.write("macs.oxur", "(module macs)\n(defmacro twice [x y] `(* ~x ~y))\n")
    #expect(throws: LoadFailure.self) { try interpreter.reload(path: macros) }
    #expect(try interpreter.eval("[(client:f 5) (macs:twice 5)]").printed == "[15 15]")
  }

  @Test func variantsOfAnotherModuleMatchInPatterns() throws {
    let directory = ModuleDirectory()
    directory.write("geo.oxur", "(module geo)\n(defenum Shape (Circle r) Empty)\n")
    let app = directory.write(
      "app.oxur",
      """
      (module app)
      (import geo :refer [Circle Empty])
      (defn radius [s] (match s ((geo:Circle r) r) (Empty 0)))
      (defn radius2 [s] (match s ((Circle r) r) (geo:Empty 0)))
      """)
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: app)
    #expect(
      try interpreter.eval("[(app:radius (geo:Circle 2)) (app:radius geo:Empty) (app:radius2 (geo:Circle 3))]").printed
        == "[2 0 3]")
  }
}

@Suite struct ReviewRegressionTests {
  func interpreter() -> Interpreter { Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput()) }

  @Test func failedReloadLeavesDefonceValueAlone() throws {
    let directory = ModuleDirectory()
    let path = directory.write("m.oxur", "(module m)\n(defonce counter 1)\n(defn get [] counter)\n")
    let interpreter = interpreter()
    try interpreter.load(path: path)
    directory.write(
      "m.oxur", "(module m)\n(defonce counter 1)\n(set! counter 99)\n(defn get [] counter)\n(throw :boom)\n")
    #expect(throws: LoadFailure.self) { try interpreter.reload(path: path) }
    #expect(try interpreter.eval("(m:get)").printed == "1")
  }

  @Test func theReplModuleCannotBeReplacedByAFile() throws {
    let directory = ModuleDirectory()
    let headerless = directory.write("user.oxur", "(def keep :from-file)\n")
    let spaced = directory.write("other.oxur", "(module  user)\n(def keep :from-file)\n")
    let interpreter = interpreter()
    try interpreter.eval("(def keep 5)")
    for path in [headerless, spaced] {
      #expect(throws: LoadFailure.self) { try interpreter.load(path: path) }
      #expect(throws: LoadFailure.self) { try interpreter.reload(path: path) }
    }
    #expect(try interpreter.eval("keep").printed == "5")
  }

  @Test func structConstructionElsewhereFollowsTheNewLayout() throws {
    let directory = ModuleDirectory()
    directory.write("geo.oxur", "(module geo)\n(defstruct Point x y)\n")
    let app = directory.write(
      "app.oxur", "(module app)\n(import geo)\n(defn mk [z] (struct geo:Point :y 2 :x 1))\n")
    let interpreter = interpreter()
    try interpreter.load(path: app)
    #expect(try interpreter.eval("(app:mk 0)").printed == "(struct geo:Point :x 1 :y 2)")
    directory.write("geo.oxur", "(module geo)\n(defstruct Point y x)\n")
    try interpreter.reload(path: directory.path("geo.oxur"))
    #expect(try interpreter.eval("(app:mk 0)").printed == "(struct geo:Point :y 2 :x 1)")
    directory.write("geo.oxur", "(module geo)\n(defstruct Point x y z)\n")
    try interpreter.reload(path: directory.path("geo.oxur"))
    #expect(throws: OxurError.self) { try interpreter.eval("(app:mk 0)") }
  }

  @Test func namedFnDefinitionsAreLateBoundReferencesAndEnumsStayEqual() throws {
    let directory = ModuleDirectory()
    let source = "(module nf)\n(def f (fn f [n] :v1))\n(defenum Color Red Green)\n(def fav Red)\n"
    let path = directory.write("nf.oxur", source)
    let interpreter = interpreter()
    try interpreter.load(path: path)
    try interpreter.eval("(def h nf:f) (def saved nf:fav) (def table {nf:fav :yes})")
    directory.write("nf.oxur", source.replacingOccurrences(of: ":v1", with: ":v2"))
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("[(h 1) (= saved nf:fav) (get table nf:fav)]").printed == "[:v2 true :yes]")
  }
}

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
    for (broken, message) in [
      ("(module calc)\n(def base 2)\n(defn f [] base", "calc.oxur:3:1: unclosed"),  // read error
      ("(module calc)\n(def base 2)\n(defn f [] (let [x] x))", "calc.oxur:3:12: let needs a vector"),
      ("(module calc)\n(def base 2)\n(defn f [] base)\n(/ 1 0)", "calc.oxur:4:1: division by zero"),
      ("(module calc)\n(def base 2)\n(defn f [] (undefined-helper))", "calc.oxur:3:13: unknown name: undefined-helper"),
    ] {
      directory.write("calc.oxur", broken)
      do {
        try interpreter.reload(path: path)
        Issue.record("expected the reload to fail: \(message)")
      } catch let failure as LoadFailure {
        #expect(failure.report.contains(message), "\(failure.report)")
        #expect(failure.report.hasSuffix("✗ Module not reloaded (keeping version 1)"))
      }
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
    do {
      try interpreter.reloadAll()
      Issue.record("expected reload-all to fail")
    } catch let failure as LoadFailure {
      #expect(failure.report.contains("y.oxur:2:1: unclosed"), "\(failure.report)")
    }
    #expect(try interpreter.eval("[(x:v) (y:v)]").printed == "[:x1 :y1]")
    try interpreter.eval("(reload-all)")
    #expect(errors.take().contains("✗ No module reloaded (keeping x v1, y v1)"))
    directory.write("y.oxur", "(module y)\n(defn v [] :y2)\n")
    let outcomes = try interpreter.reloadAll()
    // x and y do not import each other, so their order is not specified.
    #expect(outcomes.map { "\($0.module) v\($0.version)" }.sorted() == ["x v2", "y v2"])
    #expect(try interpreter.eval("[(x:v) (y:v)]").printed == "[:x2 :y2]")
  }

  @Test func reloadAllWithDirectoryLoadsNewFiles() throws {
    let directory = ModuleDirectory()
    directory.write("p.oxur", "(module p)\n(defn v [] :p)\n")
    directory.write("q.oxur", "(module q)\n(import p)\n(defn v [] [:q (p:v)])\n")
    let (interpreter, _, _) = interpreter()
    let outcomes = try interpreter.reloadAll(directory: directory.url.path)
    // q imports p: p is loaded by q's import and committed with it, never loaded twice.
    #expect(outcomes.map { "\($0.module) v\($0.version)" } == ["p v1", "q v1"])
    #expect(try interpreter.eval("(q:v)").printed == "[:q :p]")
  }

  @Test func failedFirstLoadLeavesNoModule() throws {
    let directory = ModuleDirectory()
    let path = directory.write("fresh.oxur", "(module fresh)\n(defn f [] 1)\n(undefined)\n")
    let (interpreter, _, _) = interpreter()
    do {
      try interpreter.load(path: path)
      Issue.record("expected the load to fail")
    } catch let failure as LoadFailure {
      #expect(failure.report.contains("fresh.oxur:3:1: unknown name: undefined"), "\(failure.report)")
      #expect(failure.report.hasSuffix("✗ Module not loaded: fresh"))
    }
    #expect(!interpreter.modules().contains { $0.name == "fresh" })
    #expect(
      oxurError(Result { try interpreter.eval("(fresh:f)") })?.message.contains("module fresh is not loaded") == true)
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
    for (path, message) in [
      (directory.path("missing.oxur"), "file not found: \(directory.path("missing.oxur"))"),
      (directory.url.path, "\(directory.url.path) is a directory, not a module file"),
    ] {
      do {
        try interpreter.load(path: path)
        Issue.record("expected the load of \(path) to fail")
      } catch let failure as LoadFailure {
        #expect(failure.error.message == message)
      }
    }
  }

  @Test func exportsAreEnforcedForOtherModules() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "priv.oxur", "(module priv)\n(export pub)\n(defn secret [] 1)\n(defn pub [] (+ (secret) 1))\n")
    let (interpreter, _, _) = interpreter()
    try interpreter.load(path: path)
    #expect(try interpreter.eval("(priv:pub)").printed == "2")
    let error = oxurError(Result { try interpreter.eval("(priv:secret)") })
    #expect(error?.message == "secret is not exported by module priv")
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
    let running = Checkpoint("running", in: interpreter)
    // `running` is called only after the loop has seen version 1, so the reload comes later.
    let loop = Background {
      try interpreter.eval("(loop [i 0] (if (= (live:version) 2) i (do (when (= i 0) (running)) (recur (inc i)))))")
        .printed
    }
    guard running.wait("the loop runs version 1") else { return interpreter.interrupt() }
    directory.write("live.oxur", "(module live)\n(defn version [] 2)\n")
    let reload = Background { try interpreter.reload(path: path) }
    #expect(try reload.wait("the reload commits while the loop runs")?.get().version == 2)
    guard let iterations = loop.wait("the loop sees the reload") else { return interpreter.interrupt() }
    #expect((Int(try iterations.get()) ?? 0) > 0)
  }

  @Test func interruptStopsARunawayLoop() throws {
    let (interpreter, _, _) = interpreter()
    let running = Checkpoint("running", in: interpreter)
    let loop = Background { try interpreter.eval("(do (running) (loop [i 0] (recur (inc i))))").printed }
    guard running.wait("the loop starts") else { return }
    interpreter.interrupt()
    let outcome = loop.wait("the interrupted loop stops")
    #expect(oxurError(outcome)?.kind == "interrupted")
    #expect(oxurError(outcome)?.message == "interrupted")
    // Placed at the loop that was stopped, not only at the form around it.
    #expect(oxurError(outcome).map { [$0.span.line, $0.span.column] } == [1, 15])
    #expect(try interpreter.eval("(+ 1 2)").printed == "3")
  }

  @Test func anInterruptedFunctionBodyLoopIsPlacedAtTheBody() throws {
    let (interpreter, _, _) = interpreter()
    let running = Checkpoint("running", in: interpreter)
    // The checkpoint inside the body: once it has passed, every safe point left is in `spin`.
    _ = try interpreter.eval("(defn spin [i] (do (if (= i 1) (running) nil) (recur 2)))")
    let loop = Background { try interpreter.eval("(spin 1)").printed }
    guard running.wait("the loop starts") else { return }
    interpreter.interrupt()
    let outcome = loop.wait("the interrupted loop stops")
    #expect(oxurError(outcome)?.kind == "interrupted")
    // In the body (column 16 on), not at the call `(spin 1)` (column 1).
    #expect((oxurError(outcome)?.span.column ?? 0) >= 16)
  }

  /// `catch` cannot intercept an interrupt (hot-reload.md §7).
  @Test func interruptIsNotCaughtByTry() throws {
    let (interpreter, _, _) = interpreter()
    let running = Checkpoint("running", in: interpreter)
    let loop = Background {
      try interpreter.eval("(try (do (running) (loop [i 0] (recur (inc i)))) (catch e [:caught e]))").printed
    }
    guard running.wait("the loop starts") else { return }
    interpreter.interrupt()
    #expect(oxurError(loop.wait("the interrupted loop stops"))?.kind == "interrupted")
  }
}

/// A count shared between threads.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  func increment() { lock.withLock { count += 1 } }
  var value: Int { lock.withLock { count } }
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
    let directory = ModuleDirectory()
    let path = directory.write("secret.oxur", "(module secret)\n")
    chmod(path, 0)
    let message = "cannot read \(path): permission denied"
    if getuid() != 0 {
      let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
      do {
        try interpreter.load(path: path)
        Issue.record("expected failure")
      } catch let failure as LoadFailure {
        #expect(failure.error.message == message)
      }
      return
    }
    // Root reads any file, so as root (CI) the real executable runs as user nobody instead.
    chmod(directory.url.path, 0o755)
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
      Issue.record("running as root needs /usr/bin/setpriv to test an unreadable file as another user")
      return
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    process.arguments = [
      "--reuid=65534", "--regid=65534", "--clear-groups", Executable.url.path, "eval", "(load \"\(path)\")",
    ]
    let error = Pipe()
    process.standardError = error
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(text == "✗ Error at <eval>:1:1: \(message)\n 1 | (load \"\(path)\")\n   | ^\n✗ Module not loaded\n")
  }

  @Test func fileThatIsNotUTF8IsAClearError() throws {
    let directory = ModuleDirectory()
    let path = directory.path("latin1.oxur")
    _ = FileManager.default.createFile(atPath: path, contents: Data([0x28, 0x64, 0x65, 0x66, 0x20, 0xE9, 0xFF, 0x29]))
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    do {
      try interpreter.load(path: path)
      Issue.record("expected failure")
    } catch let failure as LoadFailure {
      #expect(failure.error.message == "\(path) is not valid UTF-8 text")
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
  /// Readers on several threads while another thread reloads many times. Promised (hot-reload.md
  /// §4, §7): a commit is whole, so two reads of a module's globals with no safe point between them
  /// come from one version; a running call finishes in the code it started with; versions seen by
  /// one thread only move forward; the last commit wins.
  @Test func concurrentCallsAndReloadsSeeWholeVersions() throws {
    let directory = ModuleDirectory()
    func source(_ k: Int) -> String {
      """
      (module pair)
      (def a \(k))
      (def b \(k))
      (defn spin [n] (loop [i 0] (if (< i n) (recur (inc i)) i)))
      (defn pair [] (let [started \(k)] (spin 300) [started a b (spin 1) \(k)]))
      """
    }
    let path = directory.write("pair.oxur", source(0))
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let calls = Counter()
    let versions = (1...30).map(source)
    // The writer starts once every reader has made a call, and the readers go on until it is done.
    let writer = Background {
      let deadline = Date().addingTimeInterval(60)
      while calls.value < 3 && Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
      for text in versions {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        try interpreter.reload(path: path)
      }
    }
    let readers = (0..<3).map { _ in
      Background { () -> [String] in
        var problems: [String] = []
        var last = 0
        var count = 0
        while count < 20 || !writer.isFinished {
          let seen = try interpreter.eval("(pair:pair)").printed
          count += 1
          if count == 1 { calls.increment() }
          let numbers = seen.dropFirst().dropLast().split(separator: " ").compactMap { Int($0) }
          guard numbers.count == 5 else {
            problems.append("bad result \(seen)")
            continue
          }
          let (started, a, b, ended) = (numbers[0], numbers[1], numbers[2], numbers[4])
          // The call ran version `started`'s code to the end, even if reloads committed meanwhile.
          if started != ended { problems.append("one call ran two versions' code: \(seen)") }
          if a != b { problems.append("two adjacent reads saw a half-committed module: \(seen)") }
          if a < started { problems.append("a global read went back in time: \(seen)") }
          if started < last { problems.append("went back from version \(last): \(seen)") }
          last = started
        }
        return problems
      }
    }
    if case .failure(let error)? = writer.wait("30 reloads") { Issue.record("reload failed: \(error)") }
    for reader in readers {
      guard let result = reader.wait("a reader's calls") else { continue }
      #expect(try result.get() == [])
    }
    #expect(try interpreter.eval("[(pair:pair) pair:a pair:b]").printed == "[[30 30 30 1 30] 30 30]")
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
    do {
      try interpreter.reload(path: macros)
      Issue.record("expected the reload to fail in client")
    } catch let failure as LoadFailure {
      #expect(failure.report.contains("client.oxur:3:13: wrong number of arguments to macs:twice: expected 2, got 1"))
      #expect(failure.report.hasSuffix("✗ Module not reloaded (keeping version 2)"), "\(failure.report)")
    }
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
    do {
      try interpreter.reload(path: path)
      Issue.record("expected the reload to fail")
    } catch let failure as LoadFailure {
      #expect(failure.report.contains("m.oxur:5:1: uncaught throw: :boom"), "\(failure.report)")
    }
    #expect(try interpreter.eval("(m:get)").printed == "1")
  }

  @Test func theReplModuleCannotBeReplacedByAFile() throws {
    let directory = ModuleDirectory()
    let headerless = directory.write("user.oxur", "(def keep :from-file)\n")
    let spaced = directory.write("other.oxur", "(module  user)\n(def keep :from-file)\n")
    let interpreter = interpreter()
    try interpreter.eval("(def keep 5)")
    for path in [headerless, spaced] {
      let name = URL(fileURLWithPath: path).lastPathComponent
      let loads: [(String) throws -> LoadOutcome] = [
        { try interpreter.load(path: $0) }, { try interpreter.reload(path: $0) },
      ]
      for load in loads {
        do {
          _ = try load(path)
          Issue.record("expected \(name) to be refused")
        } catch let failure as LoadFailure {
          #expect(failure.error.message.hasSuffix("\(name) cannot be module user: that module belongs to the REPL"))
          // Placed at the header, or at the first line of a file without one.
          #expect((failure.error.span.line, failure.error.span.column) == (1, 1))
          #expect(failure.report.contains(" 1 | "), "\(failure.report)")
        }
      }
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
    // A layout that breaks app's constructor: app is re-analyzed in the same transaction, so the
    // reload fails now (naming app's form) instead of app:mk failing at its next call.
    directory.write("geo.oxur", "(module geo)\n(defstruct Point x y z)\n")
    do {
      try interpreter.reload(path: directory.path("geo.oxur"))
      Issue.record("expected the reload to be refused")
    } catch let failure as LoadFailure {
      #expect(failure.error.message == "missing field z in struct Point")
      #expect(failure.error.span.file?.name.hasSuffix("app.oxur") == true)
    }
    #expect(try interpreter.eval("(app:mk 0)").printed == "(struct geo:Point :y 2 :x 1)")
    directory.write(
      "app.oxur", "(module app)\n(import geo)\n(defn mk [z] (struct geo:Point :y 2 :x 1 :z z))\n")
    try interpreter.reload(path: directory.path("geo.oxur"))
    #expect(try interpreter.eval("(app:mk 0)").printed == "(struct geo:Point :x 1 :y 2 :z 0)")
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

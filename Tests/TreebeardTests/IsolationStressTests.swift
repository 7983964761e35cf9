// Stress: reload transactions stay isolated while other threads call, print, loop and reload.

import Foundation
import Testing

@testable import Treebeard

/// Thread-safe tally of what caller threads saw.
private final class Observations: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Int: Int] = [:]
  private var errors: [String] = []
  private(set) var calls = 0

  func saw(_ value: Int) {
    lock.withLock {
      values[value, default: 0] += 1
      calls += 1
    }
  }
  func failed(_ message: String) { lock.withLock { if errors.count < 20 { errors.append(message) } } }
  var seen: [Int: Int] { lock.withLock { values } }
  var failures: [String] { lock.withLock { errors } }
  var total: Int { lock.withLock { calls } }
}

/// Reloads per scenario: the "4 caller threads × 1,000 reloads".
private let reloadCount = 1_000
private let callerCount = 4

@Suite(.serialized) struct IsolationStressTests {
  /// Runs `callerCount` threads calling `body` until the reloader finishes, then the reloader.
  private func stress(
    _ interpreter: Interpreter, caller: @escaping @Sendable (Interpreter, Observations) -> Void,
    reloader: @escaping @Sendable () -> Void
  ) -> Observations {
    let observations = Observations()
    let stop = Atomic(false)
    let callers = (0..<callerCount).map { _ in
      Background<Void> {
        while !stop.value { caller(interpreter, observations) }
      }
    }
    let reloading = Background<Void> { reloader() }
    _ = reloading.wait("the reloader", timeout: 240)
    stop.value = true
    for (index, thread) in callers.enumerated() { _ = thread.wait("caller \(index)", timeout: 60) }
    return observations
  }

  /// Writes each version's source and reloads it, recording what committed.
  private func reloadVersions(
    _ versions: ClosedRange<Int>, of path: String, in directory: ModuleDirectory, _ interpreter: Interpreter,
    into committed: Committed, source: (Int) -> String
  ) {
    for version in versions {
      directory.write("cc.oxur", source(version))
      do {
        try interpreter.reload(path: path)
        committed.add(version)
      } catch { committed.fail("\(version): \(error)") }
    }
  }

  /// Each version's `f` answers its own number; a caller records every answer.
  private func callF(_ interpreter: Interpreter, _ observations: Observations) {
    do {
      let value = try interpreter.call(module: "cc", function: "f")
      guard case .int(let number) = value else { return observations.failed("not an int: \(value.printed)") }
      observations.saw(number)
    } catch {
      observations.failed("\(error)")
    }
  }

  @Test func plainDefinitionsCommitAtomically() throws {
    let directory = ModuleDirectory()
    let path = directory.write("cc.oxur", "(module cc)\n(defn helper [] 0)\n(defn f [] (+ (helper) 0))\n")
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let committed = Committed()
    let observations = stress(interpreter, caller: callF) {
      reloadVersions(1...reloadCount, of: path, in: directory, interpreter, into: committed) {
        "(module cc)\n(defn helper [] \($0))\n(defn f [] (+ (helper) 0))\n"
      }
    }
    #expect(observations.failures.isEmpty, "\(observations.failures)")
    #expect(committed.failures.isEmpty, "\(committed.failures)")
    #expect(Set(observations.seen.keys).isSubset(of: committed.numbers.union([0])))
    #expect(observations.total > 0)
    #expect(try interpreter.call(module: "cc", function: "f") == .int(reloadCount))
  }

  /// A top-level `def` runs (with safe points) before `f` is defined: callers must neither miss
  /// `f` nor pair one version's `f` with another version's `table`.
  @Test func topLevelWorkBeforeADefinitionIsNotSeenHalfDone() throws {
    let directory = ModuleDirectory()
    @Sendable func source(_ version: Int) -> String {
      """
      (module cc)
      (defn build [n] (loop [i 0 acc 0] (if (< i 200) (recur (inc i) (+ acc 0)) (+ acc n))))
      (def table (build \(version)))
      (defn f [] (if (= table \(version)) \(version) (- 0 table)))
      """
    }
    let path = directory.write("cc.oxur", source(0))
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let committed = Committed()
    let observations = stress(interpreter, caller: callF) {
      reloadVersions(1...reloadCount, of: path, in: directory, interpreter, into: committed, source: source)
    }
    #expect(observations.failures.isEmpty, "\(observations.failures)")
    #expect(committed.failures.isEmpty, "\(committed.failures)")
    #expect(observations.seen.keys.allSatisfy { $0 >= 0 }, "a caller paired f and table of different versions")
    #expect(Set(observations.seen.keys).isSubset(of: committed.numbers.union([0])))
  }

  /// Every other version fails at the end of its top level: none of its code may ever answer.
  @Test func versionsThatFailAtTheirEndAreNeverSeen() throws {
    let directory = ModuleDirectory()
    @Sendable func source(_ version: Int) -> String {
      // Work with safe points after `f` is staged and before the failure: a waiting caller
      // handed the evaluator there would run the doomed version.
      let tail = version % 2 == 1 ? "\n(/ 1 0)\n" : "\n"
      return """
        (module cc)
        (def table \(version))
        (defn f [] table)
        (defn spin [n] (if (> n 0) (spin (dec n)) n))
        (def pause (spin 300))\(tail)
        """
    }
    let path = directory.write("cc.oxur", source(0))
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let committed = Committed()
    let observations = stress(interpreter, caller: callF) {
      for version in 1...reloadCount {
        directory.write("cc.oxur", source(version))
        do {
          try interpreter.reload(path: path)
          committed.add(version)
        } catch let failure as LoadFailure {
          if version % 2 == 0 || failure.error.kind != "division-by-zero" {
            committed.fail("\(version): \(failure.report)")
          }
        } catch { committed.fail("\(version): \(error)") }
      }
    }
    #expect(observations.failures.isEmpty, "\(observations.failures)")
    #expect(committed.failures.isEmpty, "\(committed.failures)")
    #expect(committed.numbers == Set(stride(from: 2, through: reloadCount, by: 2)))
    let neverCommitted = observations.seen.keys.filter { $0 % 2 == 1 }
    #expect(neverCommitted.isEmpty, "callers saw versions that never committed: \(neverCommitted.sorted().prefix(10))")
  }

  /// Two threads reload the same module at once: each waits for the other's transaction and
  /// commits its own; none joins another's or is refused.
  @Test func twoReloadersOfOneModuleTakeTurns() throws {
    let directory = ModuleDirectory()
    let path = directory.write("cc.oxur", "(module cc)\n(def table 0)\n(defn f [] table)\n")
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let committed = Committed()
    let observations = stress(interpreter, caller: callF) {
      let second = Background<Void> {
        for _ in 0..<(reloadCount / 2) {
          do { try interpreter.reload(path: path) } catch { committed.fail("second: \(error)") }
        }
      }
      for version in 1...(reloadCount / 2) {
        directory.write("cc.oxur", "(module cc)\n(def table \(version))\n(defn f [] table)\n")
        do {
          try interpreter.reload(path: path)
          committed.add(version)
        } catch { committed.fail("first: \(error)") }
      }
      _ = second.wait("the second reloader", timeout: 240)
    }
    #expect(observations.failures.isEmpty, "\(observations.failures)")
    #expect(committed.failures.isEmpty, "\(committed.failures)")
    #expect(try interpreter.call(module: "cc", function: "f") == .int(reloadCount / 2))
  }

  /// Printing a function reference on a host thread while another thread reloads its module.
  @Test func printingFunctionReferencesDuringReloadsIsSafe() throws {
    let directory = ModuleDirectory()
    let path = directory.write("cc.oxur", "(module cc)\n(defn f [x] x)\n")
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let reference = try interpreter.eval("cc:f")
    let stop = Atomic(false)
    let printer = Background<Set<String>> {
      var seen: Set<String> = []
      while !stop.value { seen.insert(reference.printed) }
      return seen
    }
    for version in 1...reloadCount {
      let parameters = version % 2 == 0 ? "[x]" : "[x y]"
      directory.write("cc.oxur", "(module cc)\n(defn f \(parameters) x)\n")
      try interpreter.reload(path: path)
    }
    stop.value = true
    let seen = try printer.wait("the printing thread")?.get() ?? []
    #expect(seen.isSubset(of: ["#<fn cc:f/1>", "#<fn cc:f/2>"]), "\(seen)")
    #expect(!seen.isEmpty)
  }

  /// Two threads run long loops full of safe points; a third thread's reloads still commit
  /// promptly (a liveness bound, not a speed test), and an interrupt aimed at one loop stops
  /// that loop only.
  @Test func reloadsCommitWhileTwoThreadsLoop() throws {
    let directory = ModuleDirectory()
    let path = directory.write("cc.oxur", "(module cc)\n(defn f [] 0)\n")
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let handles = [EvaluationHandle(interpreter: interpreter), EvaluationHandle(interpreter: interpreter)]
    let loops = handles.map { handle in
      Background<Value> { try interpreter.eval("(loop [i 0] (cc:f) (recur (inc i)))", handle: handle) }
    }
    waitUntil("both loops run") { !loops.contains { $0.isFinished } && interpreter.modules().count > 0 }
    Thread.sleep(forTimeInterval: 0.05)
    for version in 1...50 {
      directory.write("cc.oxur", "(module cc)\n(defn f [] \(version))\n")
      let reload = Background<LoadOutcome> { try interpreter.reload(path: path) }
      let outcome = reload.wait("reload \(version) while two threads loop", timeout: 5)
      guard let outcome else { break }
      #expect(try outcome.get().version == version + 1)
    }
    handles[0].interrupt()
    let first = loops[0].wait("the interrupted loop", timeout: 20)
    #expect(first.map(kindOf) == "interrupted")
    #expect(!loops[1].isFinished, "an interrupt aimed at one loop stopped the other")
    directory.write("cc.oxur", "(module cc)\n(defn f [] :last)\n")
    #expect(try interpreter.reload(path: path).version == 52)
    handles[1].interrupt()
    #expect(loops[1].wait("the second loop", timeout: 20).map(kindOf) == "interrupted")
  }

  /// An interrupt of one evaluation leaves the next evaluation and another thread's reload alone,
  /// even when it arrives during a long builtin.
  @Test func anInterruptTargetsOneEvaluation() throws {
    let directory = ModuleDirectory()
    let path = directory.write("cc.oxur", "(module cc)\n(def table (reduce + 0 (range 300000)))\n(defn f [] table)\n")
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let handle = EvaluationHandle(interpreter: interpreter)
    let started = Checkpoint("started", in: interpreter)
    let loop = Background<Value> { try interpreter.eval("(started) (loop [i 0] (recur (inc i)))", handle: handle) }
    started.wait("the loop starts")
    let reloads = Background<[Int]> { try (0..<20).map { _ in try interpreter.reload(path: path).version } }
    handle.interrupt()
    #expect(loop.wait("the interrupted loop", timeout: 20).map(kindOf) == "interrupted")
    let versions = try reloads.wait("the reloads", timeout: 60)?.get() ?? []
    #expect(versions == Array(2...21))
    // The interrupt was consumed by the evaluation it targeted: the next one runs to the end.
    #expect(try interpreter.eval("(reduce + 0 (range 1000))", handle: handle) == .int(499_500))
    // An interrupt that arrives before an evaluation starts stops that evaluation at once.
    handle.interrupt()
    #expect(throws: OxurError.self) { try interpreter.eval("(loop [i 0] (recur (inc i)))", handle: handle) }
    // Interrupting every running evaluation when none runs affects no later one.
    interpreter.interrupt()
    #expect(try interpreter.eval("(cc:f)") == .int(44_999_850_000))
  }
}

/// Versions a reloader committed, and unexpected failures.
private final class Committed: @unchecked Sendable {
  private let lock = NSLock()
  private var committed: Set<Int> = []
  private var errors: [String] = []
  func add(_ version: Int) { lock.withLock { _ = committed.insert(version) } }
  func fail(_ message: String) { lock.withLock { if errors.count < 20 { errors.append(message) } } }
  var numbers: Set<Int> { lock.withLock { committed } }
  var failures: [String] { lock.withLock { errors } }
}

/// A flag shared between test threads.
private final class Atomic<T: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: T
  init(_ value: T) { stored = value }
  var value: T {
    get { lock.withLock { stored } }
    set { lock.withLock { stored = newValue } }
  }
}

private func kindOf(_ result: Result<Value, Error>) -> String {
  switch result {
  case .success(let value): return "value \(value.printed)"
  case .failure(let error as OxurError): return error.kind
  case .failure(let error): return "\(error)"
  }
}

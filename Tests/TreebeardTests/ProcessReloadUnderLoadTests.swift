// Reload under load (issue 10 §4): four processes call counter:step while it reloads 1,000 times.

import Foundation
import Testing

@testable import Treebeard

@Suite(.serialized) struct ProcessReloadUnderLoadTests {
  static let reloadCount = 1_000
  static let processCount = 4

  /// Version `n` of module counter. Every tenth version is broken — alternately at read time
  /// (unbalanced) and at its end (a top-level error after the new `step` is defined), so it
  /// must fail to load and its `step` (answering `n`) must never run. Good versions answer
  /// their own number, so every answer names the version that produced it.
  static func source(_ version: Int) -> String {
    let header = "(module counter)\n(defonce calls (atom 0))\n"
    let step = "(defn step [] (swap! calls inc) \(version))\n"
    guard version % 10 == 0 else { return header + step }
    if version % 20 == 0 { return header + "(defn step [] (swap! calls inc) \(version)\n" }
    return header + step + "(def broken (/ 1 0))\n"
  }

  static let worker = """
    (module load)
    ;; Calls counter:step (late-bound) until told to stop; returns [calls {answer count}].
    (defn work []
      (loop [calls 0 seen {}]
        (let [answer (counter:step) calls (inc calls) seen (assoc seen answer (inc (get seen answer 0)))]
          (receive (:stop [calls seen]) (after 0 (recur calls seen))))))
    """

  /// Every call returns one committed version's value (never an error, never a broken
  /// version's), no call is lost or doubled (the processes' counts add up to the module's
  /// `defonce` counter), the last version answers at the end, and history, reload records and
  /// processes stay bounded.
  @Test func fourProcessesCallStepThroughAThousandReloads() throws {
    let directory = ModuleDirectory()
    let (interpreter, _, errors) = bufferedInterpreter()
    defer { interpreter.runtime.processes.killAll() }
    let counter = directory.write("counter.oxur", Self.source(1))
    try interpreter.load(path: counter)
    try interpreter.load(path: directory.write("load.oxur", Self.worker))
    try interpreter.eval("(def workers (mapv (fn [_] (spawn load:work)) (range \(Self.processCount))))")

    var committed: Set<Int> = [1]
    var failedVersions: [Int] = []
    for version in 2...Self.reloadCount + 1 {
      directory.write("counter.oxur", Self.source(version))
      do {
        try interpreter.reload(path: counter)
        committed.insert(version)
      } catch is LoadFailure {
        failedVersions.append(version)
      }
    }
    #expect(failedVersions == Array(stride(from: 10, through: Self.reloadCount, by: 10)))

    let stopped = Background {
      try interpreter.eval("(do (doseq [w workers] (send w :stop)) (mapv await workers))")
    }
    let results = try #require(try stopped.wait("stopping the workers", timeout: 120)?.get())
    guard case .vector(let perProcess) = results else {
      Issue.record("not a vector: \(results.printed)")
      return
    }
    var totalCalls = 0
    var answers: [Int: Int] = [:]
    for result in perProcess.elements {
      guard case .vector(let pair) = result, case .int(let calls)? = pair.at(0), case .map(let seen)? = pair.at(1)
      else {
        Issue.record("unexpected worker result \(result.printed)")
        continue
      }
      #expect(calls > 0)
      totalCalls += calls
      for (key, value) in seen.storage {
        guard case .int(let answer) = key, case .int(let count) = value else {
          Issue.record("unexpected answer \(key.printed)")
          continue
        }
        answers[answer, default: 0] += count
      }
    }
    #expect(answers.values.reduce(0, +) == totalCalls)
    let uncommitted = answers.keys.filter { !committed.contains($0) }
    #expect(uncommitted.isEmpty, "answers from versions that never committed: \(uncommitted.sorted())")
    // The calls ran during the reloads, not only before or after them.
    #expect(answers.count > 2, "answers came from only \(answers.keys.sorted())")
    #expect(try interpreter.eval("@counter:calls") == .int(totalCalls))
    #expect(try interpreter.eval("(counter:step)") == .int(Self.reloadCount + 1))
    #expect(errors.take().isEmpty)

    interpreter.runtime.lock.withLock {
      let entry = interpreter.runtime.registry.existingEntry("counter")
      #expect((entry?.history.count ?? .max) <= interpreter.runtime.registry.historyLimit)
      #expect(interpreter.runtime.registry.records.count <= Registry.recordLimit)
    }
    #expect(interpreter.runtime.processes.liveCount == 0)
    #expect(interpreter.runtime.processes.main.mailboxCount == 0)
  }
}

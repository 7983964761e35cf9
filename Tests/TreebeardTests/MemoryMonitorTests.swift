// The memory monitor in-process, under limits a test sets for one runtime (also run under TSan).

import Foundation
import Testing

@testable import Treebeard

@Suite struct MemoryMonitorTests {
  /// A limit whose threshold (the limit less its headroom) lies `room` bytes above use now.
  private func limit(room: UInt64) throws -> MemoryGuard.Limits {
    let now = try #require(MemoryGuard.usage())
    let threshold = now.addressSpace + room
    // headroom is an eighth of the limit when that is over 64 MiB: limit − limit/8 = threshold.
    let limit = threshold / 7 * 8
    #expect(limit - MemoryGuard.headroom(limit) >= threshold - 8)
    return MemoryGuard.Limits(addressSpace: limit, data: nil)
  }

  /// An evaluation that grows past the threshold is stopped at a safe point, with the
  /// monitor's message; the runtime goes on afterwards.
  @Test func anEvaluationGrowingPastTheThresholdIsStopped() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let attention = interpreter.runtime.attention
    MemoryMonitor.setLimitsForTesting(try limit(room: 64 << 20), of: attention)
    defer { MemoryMonitor.setLimitsForTesting(nil, of: attention) }
    let grow = "(defn grow [v i] (if (< i 100000000) (grow (conj v [i i i i]) (inc i)) (count v)))"
    do {
      let value = try interpreter.eval(
        "(do \(grow) (loop [v [] i 0] (if (< i 100000000) (recur (conj v [i i]) (inc i)) (count v))))")
      Issue.record("the loop ended: \(value.printed)")
    } catch let error as OxurError {
      #expect(error.kind == "out-of-memory", "\(error.message)")
      #expect(error.message.contains("the running evaluation was stopped"))
    }
    MemoryMonitor.setLimitsForTesting(nil, of: attention)
    #expect(try interpreter.eval("(+ 1 2)").printed == "3")
  }

  /// A signal raised while no evaluation runs is not the next evaluation's to pay for: it is
  /// dropped as a top-level evaluation starts (it stopped `(+ 1 2)` after a large `def`).
  @Test func aSignalNobodyTookDoesNotStopTheNextEvaluation() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.eval("(defn one [] 1)")
    let attention = interpreter.runtime.attention
    // Use is over the threshold at once: the monitor raises within a sample or two. Half a
    // headroom short of the limit, not in the critical zone: there any growth of 1 MB raises
    // again, and under ThreadSanitizer the suites running alongside grew the process during
    // the evaluation below, which was then stopped by a signal of its own (a CI flake).
    let now = try #require(MemoryGuard.usage())
    let limit = now.addressSpace + MemoryGuard.headroom(now.addressSpace) / 2
    MemoryMonitor.setLimitsForTesting(MemoryGuard.Limits(addressSpace: limit, data: nil), of: attention)
    defer { MemoryMonitor.setLimitsForTesting(nil, of: attention) }
    let deadline = Date().addingTimeInterval(10)
    while !attention.memoryShort.load(ordering: .relaxed) && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
    let raised = attention.memoryShort.load(ordering: .relaxed)
    #expect(raised, "the monitor raised")
    #expect(try interpreter.eval("(+ (one) (one) 1)").printed == "3")
  }

  /// Only the runtime held to the limit is stopped: another interpreter's evaluation, running
  /// meanwhile in the same process, is not.
  @Test func anotherRuntimeIsNotStopped() throws {
    let (held, _, _) = bufferedInterpreter()
    let (other, _, _) = bufferedInterpreter()
    try other.eval("(defn spin [n] (loop [i 0] (if (< i n) (recur (inc i)) i)))")
    let now = try #require(MemoryGuard.usage())
    // Well below what the process uses: just above it, a full run's other tests freeing memory
    // in this process could take it back under the line before the monitor looked.
    MemoryMonitor.setLimitsForTesting(
      MemoryGuard.Limits(addressSpace: now.addressSpace / 2, data: nil), of: held.runtime.attention)
    defer { MemoryMonitor.setLimitsForTesting(nil, of: held.runtime.attention) }
    let deadline = Date().addingTimeInterval(10)
    while !held.runtime.attention.memoryShort.load(ordering: .relaxed) && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.005)
    }
    #expect(try other.eval("(spin 3000000)").printed == "3000000")
    let raised = held.runtime.attention.memoryShort.load(ordering: .relaxed)
    #expect(raised)
  }
}

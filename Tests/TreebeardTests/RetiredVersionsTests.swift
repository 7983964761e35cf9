// Versions leaving a full history are freed after the reload, off its thread, under the evaluator lock.

import Foundation
import Testing

@testable import Treebeard

@Suite struct RetiredVersionsTests {
  final class WeakVersion: @unchecked Sendable {
    weak var version: ModuleVersion?
    init(_ version: ModuleVersion?) { self.version = version }
  }

  /// The background thread frees nothing while another thread holds the evaluator lock: a
  /// retired version's deinits touch state only the lock's holder may touch.
  @Test func aRetiredVersionIsFreedOnlyUnderTheEvaluatorLock() throws {
    let (interpreter, _, _) = bufferedInterpreter()
    let lock = interpreter.runtime.lock
    let watched = WeakVersion(nil)
    lock.acquire()
    do {
      let version = ModuleVersion(name: "retired", number: 1, path: nil, contentHash: "")
      watched.version = version
      // A limit of its own: tests running alongside may have the process's two places taken,
      // and a refused retirement is freed at once.
      RetiredVersions.release([version], lock: lock, limit: InFlightLimit(2))
    }
    Thread.sleep(forTimeInterval: 0.1)
    #expect(watched.version != nil)
    lock.release()
    RetiredVersions.waitForPendingReleases()
    #expect(watched.version == nil)
  }

  /// Reloads past the history limit: the dropped versions are freed (no leak), the kept ones
  /// and the current one are not, and the newest code answers.
  @Test func versionsDroppedFromAFullHistoryAreFreedAndTheKeptOnesStay() throws {
    let directory = ModuleDirectory()
    let source = { (version: Int) in "(module r)\n(defn f [x] (+ x \(version)))\n(def big (vec (range 1000)))\n" }
    let path = directory.write("r.oxur", source(0))
    let (interpreter, _, _) = bufferedInterpreter()
    interpreter.runtime.registry.historyLimit = 2
    try interpreter.load(path: path)
    var watched: [WeakVersion] = []
    watched.append(WeakVersion(interpreter.runtime.registry.existingEntry("r")?.current))
    for version in 1...6 {
      directory.write("r.oxur", source(version))
      try interpreter.reload(path: path)
      watched.append(WeakVersion(interpreter.runtime.registry.existingEntry("r")?.current))
    }
    RetiredVersions.waitForPendingReleases()
    #expect(try interpreter.eval("(r:f 100)") == .int(106))
    #expect(interpreter.runtime.registry.existingEntry("r")?.history.map(\.number) == [5, 6])
    #expect(watched.map { $0.version != nil } == [false, false, false, false, true, true, true])
  }
}

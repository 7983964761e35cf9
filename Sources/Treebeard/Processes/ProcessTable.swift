// The interpreter's processes: the live ones, the few that ended last, limits, idle machines.

import Foundation

/// Every process of one interpreter. Thread-safe on its own lock (senders, awaiters and the
/// processes' own threads reach it without the evaluator lock).
public final class ProcessTable: @unchecked Sendable {
  private let lock = NSLock()
  private var live: [Int: OxurProcess] = [:]
  /// The last processes that ended, newest last, so `(processes)` shows what just finished.
  private var recentlyFinished: [OxurProcess] = []
  private var nextID = 1
  private var idleMachines: [Machine] = []
  private var liveLimit = 1_000
  private var mailboxCapacity = 1_000_000

  /// The REPL's and every host evaluation's process, `#<pid 0>`; it never ends.
  public let main: OxurProcess

  static let recentLimit = 16
  static let idleMachineLimit = 16

  init(attention: Attention) {
    main = OxurProcess(id: 0, function: "main", isMain: true, handle: EvaluationHandle(attention: attention))
  }

  /// How many spawned processes may be alive at once (each is a thread with its own stacks);
  /// `spawn` past it is a `process-limit` error. 1,000 by default.
  public var maximumLiveProcesses: Int {
    get { lock.withLock { liveLimit } }
    set { lock.withLock { liveLimit = max(1, newValue) } }
  }

  /// How many unreceived messages one mailbox may hold; `send` past it is a `mailbox-full`
  /// error. 1,000,000 by default.
  public var mailboxLimit: Int {
    get { lock.withLock { mailboxCapacity } }
    set { lock.withLock { mailboxCapacity = max(1, newValue) } }
  }

  /// Spawned processes alive now.
  public var liveCount: Int { lock.withLock { live.count } }

  /// A new process, counted as live; throws `process-limit` when the limit is reached.
  func register(function: String, attention: Attention) throws -> OxurProcess {
    try lock.withLock {
      guard live.count < liveLimit else {
        throw OxurError(
          "process-limit",
          "cannot spawn: \(live.count) processes are alive, the limit (await or kill some first)")
      }
      let process = OxurProcess(
        id: nextID, function: function, isMain: false, handle: EvaluationHandle(attention: attention))
      nextID += 1
      live[process.id] = process
      return process
    }
  }

  /// Moves an ended process from the live ones to the recent ones.
  func ended(_ process: OxurProcess) {
    lock.withLock {
      live[process.id] = nil
      recentlyFinished.append(process)
      if recentlyFinished.count > ProcessTable.recentLimit { recentlyFinished.removeFirst() }
    }
  }

  /// The main process, the live ones by id, then the recently ended ones.
  public var listed: [OxurProcess] {
    lock.withLock { [main] + live.values.sorted { $0.id < $1.id } + recentlyFinished }
  }

  public func process(id: Int) -> OxurProcess? {
    if id == 0 { return main }
    return lock.withLock { live[id] }
  }

  /// Kills every spawned process but `survivor` (a host shutting down, `(kill-all)` in the
  /// REPL); returns how many were alive. Called holding the evaluator lock, it is complete:
  /// every process it kills stops before it runs Oxur again, so none can spawn another.
  @discardableResult
  public func killAll(except survivor: OxurProcess? = nil) -> Int {
    let processes = lock.withLock { Array(live.values) }
    return processes.filter { $0 !== survivor && $0.kill() }.count
  }

  func takeMachine() -> Machine? { lock.withLock { idleMachines.popLast() } }

  func returnMachine(_ machine: Machine) {
    lock.withLock { if idleMachines.count < ProcessTable.idleMachineLimit { idleMachines.append(machine) } }
  }
}

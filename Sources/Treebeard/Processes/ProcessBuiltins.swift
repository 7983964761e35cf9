// The process builtins: spawn, send, self, await, kill, alive?, processes and sleep.

import Foundation

enum ProcessBuiltins {
  static func register(_ t: inout PreludeTable) {
    t.define("spawn", atLeast: 1) { m, a in try m.spawn(a[0], a.dropping(1), span: .unknown) }
    t.define("send", 2...2) { m, a in
      let target = try pid(a[0], "send")
      switch target.deliver(a[1], limit: m.runtime.processes.mailboxLimit) {
      case .delivered: return .bool(true)
      case .deadProcess: return .bool(false)
      case .mailboxFull:
        throw OxurError(
          "mailbox-full",
          "cannot send to \(target.description): its mailbox holds \(target.mailboxCount) unreceived messages, the limit"
        )
      }
    }
    t.define("self", 0...0) { m, _ in m.currentProcess.pid }
    t.define("await", 1...2) { m, a in try awaitProcess(m, pid(a[0], "await"), timeout: a.count == 2 ? a[1] : nil) }
    t.define("kill", 1...1) { m, a in
      let target = try pid(a[0], "kill")
      if target.isMain { throw OxurError("process", "the main process cannot be killed (use exit)") }
      let killed = target.kill()
      // Itself: stopped here, not at its next safe point (builtins after the kill, such as
      // `println` or `send`, are none, and the process ended normally).
      if target === m.process { try m.interruptPoint() }
      return .bool(killed)
    }
    t.define("kill-all", 0...0) { m, _ in .int(m.runtime.processes.killAll(except: m.process)) }
    t.define("alive?", 1...1) { _, a in .bool(!(try pid(a[0], "alive?")).isFinished) }
    t.define("processes", 0...0) { m, _ in
      Collections.vector(m.runtime.processes.listed.map(describe))
    }
    t.define("sleep", 1...1) { m, a in
      // Negative is refused, as receive's `after` refuses it: `(sleep (- deadline now))` past
      // its deadline returned at once, silently, where the caller's arithmetic was wrong.
      guard case .int(let milliseconds) = a[0], milliseconds >= 0 else {
        throw OxurError(
          "type", "sleep needs a non-negative integer of milliseconds, got \(Printer.readable(a[0], limit: 40))")
      }
      let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
      let process = m.currentProcess
      let poll = m.interruptPoll
      if m.canReleaseEvaluator {
        try m.blockCurrentProcess(.sleeping) { process.sleep(until: deadline, poll: poll) }
      } else {
        // Inside a load transaction the lock stays held (no other thread may see staged code):
        // sleep in slices, stopping for an interrupt.
        m.output.flush()
        while Date() < deadline {
          try m.checkInterrupt()
          process.sleep(until: min(deadline, Date().addingTimeInterval(0.005)), poll: poll)
        }
      }
      try m.interruptPoint()
      return .nil
    }
  }

  static func pid(_ value: Value, _ context: String) throws -> OxurProcess {
    if case .opaque(let box) = value, let process = box.payload as? OxurProcess { return process }
    throw Failure.type("a pid", value, in: context)
  }

  /// A row of `(processes)`: `{:pid #<pid 3> :function "counter:loop" :state :waiting}`, and for
  /// an ended one `:result` or `:error` (its message).
  static func describe(_ process: OxurProcess) -> Value {
    var map = PersistentMap.empty
    map = map.assoc(.keyword("pid"), process.pid)
    map = map.assoc(.keyword("function"), .string(process.function))
    map = map.assoc(.keyword("state"), .keyword(process.state.rawValue))
    switch process.outcome {
    case .success(let value)?: map = map.assoc(.keyword("result"), value)
    case .failure(let error)?: map = map.assoc(.keyword("error"), .string(error.message))
    case nil: break
    }
    return .map(map)
  }

  /// `(await pid)` / `(await pid ms)`: the process's value, or its error thrown again here.
  static func awaitProcess(_ m: Machine, _ target: OxurProcess, timeout: Value?) throws -> Value {
    var deadline: Date? = nil
    if let timeout {
      let milliseconds = try Check.int(timeout, "await")
      guard milliseconds >= 0 else {
        throw OxurError("type", "await timeout must not be negative, got \(milliseconds)")
      }
      deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
    }
    let current = m.currentProcess
    if target.isMain { throw OxurError("process", "the main process never ends: awaiting it would wait forever") }
    if target === current { throw OxurError("process", "a process cannot await itself") }
    if !current.isMain && current.awaitWouldDeadlock(target) {
      throw OxurError("process", "await cycle: \(target.description) is (indirectly) awaiting \(current.description)")
    }
    var outcome = target.outcome
    if outcome == nil {
      if !m.canReleaseEvaluator && deadline == nil {
        throw OxurError(
          "process",
          "await of \(target.description) while a module loads would wait forever (it cannot run until the load ends)")
      }
      let poll = m.interruptPoll
      outcome = try m.blockCurrentProcess(.waiting) { current.awaitEnd(of: target, deadline: deadline, poll: poll) }
    }
    switch outcome {
    case .success(let value)?: return value
    case .failure(let error)?: throw copy(of: error)
    case nil:
      let milliseconds = (timeout.flatMap { try? Check.int($0, "await") }) ?? 0
      throw OxurError("timeout", "\(target.description) (\(target.function)) did not end within \(milliseconds) ms")
    }
  }

  /// A fresh copy of a process's error for each awaiter: an error is annotated as it travels up
  /// the awaiting stack, and two awaiters on two threads must not annotate one object.
  static func copy(of error: OxurError) -> OxurError { error.copy() }
}

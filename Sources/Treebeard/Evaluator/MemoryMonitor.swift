// Stops the running evaluation when the process, a little at a time, nears a memory limit.

import Foundation
import Synchronization

/// A thread (256 KiB of stack: it counts against the very limit it watches) samples the
/// process's size every 5 ms while a limit is set (`MemoryGuard`). When less than the headroom
/// is left it raises the attention of every runtime it watches: in each, the first safe point
/// to look (a call, a loop edge, a long builtin's interrupt check) takes the signal
/// (`Machine.interruptPoint`) and stops its evaluation with `out-of-memory`; what that
/// evaluation built is freed as the error unwinds, and a load or reload stopped so is rolled
/// back. Within a runtime the one stopped is whichever evaluation reaches a safe point first
/// (a process, an HTTP handler), not necessarily the one that grew. Memory taken faster than a
/// sample's interval can notice, or by code reaching no safe point, can still fail an
/// allocation.
enum MemoryMonitor {
  /// Takes the monitor's signal for `attention`'s runtime: the error to stop the running
  /// evaluation with, or nil. Checked against the process's size again here, so a signal
  /// raised while a builtin briefly held a large block that is gone now stops nobody.
  static func takeExhaustion(_ attention: Attention) -> OxurError? {
    guard attention.memoryShort.load(ordering: .relaxed),
      attention.memoryShort.exchange(false, ordering: .acquiringAndReleasing)
    else { return nil }
    let limits = lock.withLock { watched.first { $0.attention === attention }?.limits } ?? MemoryGuard.limits
    guard let now = MemoryGuard.usage() else { return nil }
    let found = crossings(now, limits)
    guard let crossing = found.addressSpace ?? found.data else { return nil }
    let limit = (crossing.isData ? limits.data : limits.addressSpace) ?? 0
    return OxurError(
      "out-of-memory",
      "out of memory: the process reached \(MemoryGuard.megabytes(crossing.used)) MB of the "
        + "\(MemoryGuard.megabytes(limit)) MB it may have (\(crossing.isData ? "ulimit -d" : "ulimit -v")); "
        + "the running evaluation was stopped so the process could go on")
  }

  /// Forgets a signal no evaluation of `attention`'s runtime took (raised after the one that
  /// grew had ended): called as a top-level evaluation starts, which should not pay for an
  /// earlier one's memory.
  static func clearExhaustion(_ attention: Attention) {
    if attention.memoryShort.load(ordering: .relaxed) { attention.memoryShort.store(false, ordering: .relaxed) }
  }

  /// A runtime's attention, and the limits it is held to: the process's, or a test's
  /// (a real limit can only be set on a whole process, and ThreadSanitizer's shadow memory
  /// does not fit under any `ulimit -v`).
  private struct Watched {
    weak var attention: Attention?
    var testLimits: MemoryGuard.Limits?
    var raisedAt: (addressSpace: UInt64, data: UInt64) = (0, 0)
    var limits: MemoryGuard.Limits { testLimits ?? MemoryGuard.limits }
  }

  // An NSLock rather than `Mutex`: ThreadSanitizer (run in CI) sees through pthread locks.
  nonisolated(unsafe) private static var watched: [Watched] = []
  nonisolated(unsafe) private static var running = false
  private static let lock = NSLock()

  /// Has the monitor raise `attention` (a runtime's) when memory runs short; starts the
  /// monitor when a limit is set and it is not running.
  static func watch(_ attention: Attention) {
    lock.withLock {
      watched.removeAll { $0.attention == nil }
      watched.append(Watched(attention: attention, testLimits: nil))
    }
    startIfNeeded()
  }

  /// Holds `attention`'s runtime to `limits` instead of the process's (nil: the process's again).
  static func setLimitsForTesting(_ limits: MemoryGuard.Limits?, of attention: Attention) {
    lock.withLock {
      for index in watched.indices where watched[index].attention === attention {
        watched[index].testLimits = limits
        watched[index].raisedAt = (0, 0)
      }
    }
    startIfNeeded()
  }

  private static func startIfNeeded() {
    let start = lock.withLock { () -> Bool in
      guard !running, watched.contains(where: { $0.attention != nil && $0.limits.isSet }) else { return false }
      running = true
      return true
    }
    guard start else { return }
    if !DetachedThread.start(stackSize: 256 << 10, name: "tb-memory", monitor) {
      lock.withLock { running = false }
    }
  }

  /// A limit `now` is within the headroom of: the use, half the headroom (how much more use
  /// raises again), and whether it is the data limit.
  private struct Crossing {
    let used: UInt64
    let step: UInt64
    let isData: Bool
  }

  /// The crossings of the address-space and of the data limit (a pair, not an array: this
  /// runs every 5 ms while memory is short, where an allocation should not be needed).
  private static func crossings(_ now: (addressSpace: UInt64, data: UInt64), _ limits: MemoryGuard.Limits)
    -> (addressSpace: Crossing?, data: Crossing?)
  {
    func crossing(_ used: UInt64, _ limit: UInt64?, isData: Bool) -> Crossing? {
      guard let limit else { return nil }
      let headroom = MemoryGuard.headroom(limit)
      guard used &+ headroom > limit else { return nil }
      // Within a quarter of the headroom of the limit (freed memory is not given back, so
      // after an error or two use stays there), any further growth raises again: a step of
      // half the headroom would have been past the limit itself.
      let critical = used &+ headroom / 4 > limit
      return Crossing(used: used, step: critical ? 1 << 20 : headroom / 2, isData: isData)
    }
    return (
      crossing(now.addressSpace, limits.addressSpace, isData: false), crossing(now.data, limits.data, isData: true)
    )
  }

  /// Samples every 5 ms. Raises a runtime once per crossing of a limit's threshold, and again
  /// each time use grows by another half headroom past that limit's last raise: a program that
  /// catches the error and goes on allocating is stopped again, one that stays put is not
  /// stopped for ever. Ends when no runtime with a limit is left to watch.
  private static func monitor() {
    var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
    while true {
      nanosleep(&pause, nil)
      let goOn = lock.withLock { () -> Bool in
        watched.removeAll { $0.attention == nil }
        if !watched.contains(where: { $0.limits.isSet }) { running = false }
        return running
      }
      guard goOn, let now = MemoryGuard.usage() else {
        if goOn { continue }
        return
      }
      lock.withLock {
        for index in watched.indices { check(&watched[index], now) }
      }
    }
  }

  /// One runtime's sample: raises it when a limit's threshold is crossed anew.
  private static func check(_ entry: inout Watched, _ now: (addressSpace: UInt64, data: UInt64)) {
    guard let attention = entry.attention else { return }
    let found = crossings(now, entry.limits)
    if found.addressSpace == nil { entry.raisedAt.addressSpace = 0 }
    if found.data == nil { entry.raisedAt.data = 0 }
    var raise = false
    if let crossing = found.addressSpace,
      entry.raisedAt.addressSpace == 0 || crossing.used >= entry.raisedAt.addressSpace &+ crossing.step
    {
      entry.raisedAt.addressSpace = crossing.used
      raise = true
    }
    if let crossing = found.data, entry.raisedAt.data == 0 || crossing.used >= entry.raisedAt.data &+ crossing.step {
      entry.raisedAt.data = crossing.used
      raise = true
    }
    if found.addressSpace == nil && found.data == nil {
      attention.memoryShort.store(false, ordering: .relaxed)
    } else if raise {
      attention.memoryShort.store(true, ordering: .releasing)
      attention.raise()
    }
  }
}

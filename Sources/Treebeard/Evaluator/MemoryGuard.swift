// Keeps Oxur programs below the address-space and data limits the host sets: past them Swift traps.

import Foundation
import Synchronization

/// Swift ends the process when an allocation fails, so a program outgrowing `ulimit -v` (or
/// `ulimit -d`) took the REPL, a server and every running program with it (exit 134). Two
/// defences, both idle when neither limit is set — then the kernel's overcommit rules decide,
/// and a runaway process meets the OOM killer, which no check inside it can prevent:
/// - a builtin about to make one large block (`repeat`, `str`, `join`) asks `reserve` first,
///   which refuses what would not fit under the limit with an `out-of-memory` error;
/// - a monitor thread samples the process's size every few milliseconds and, once it comes
///   within `headroom` of a limit, raises every evaluator's attention: the running evaluation
///   stops at its next safe point (a call, a loop edge, a long builtin's interrupt check) with
///   an `out-of-memory` error, and what it built is freed as the error unwinds. A load or
///   reload stopped that way is rolled back like any failed one.
///
/// Limits: a block larger than the headroom requested between two samples, or memory taken
/// faster than a sample's interval (5 ms) can notice, can still fail; so can growth in code
/// that reaches no safe point. Checked on Linux only (`/proc/self/statm`).
public enum MemoryGuard {
  /// The soft limits in bytes, read once: nil when unlimited.
  struct Limits: Sendable {
    let addressSpace: UInt64?
    let data: UInt64?
    var isSet: Bool { addressSpace != nil || data != nil }
  }

  static let limits: Limits = {
    #if os(Linux)
      func soft(_ resource: __rlimit_resource_t) -> UInt64? {
        var limit = rlimit()
        // RLIM_INFINITY is all ones (the C macro does not import as an unsigned constant).
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return UInt64(limit.rlim_cur)
      }
      return Limits(
        addressSpace: soft(__rlimit_resource_t(RLIMIT_AS.rawValue)),
        data: soft(__rlimit_resource_t(RLIMIT_DATA.rawValue)))
    #else
      return Limits(addressSpace: nil, data: nil)
    #endif
  }()

  /// What the process uses now, in the limits' terms: its address space (VmSize) and its data
  /// and stack mappings (statm's data field, what RLIMIT_DATA counts). Nil when unreadable.
  static func usage() -> (addressSpace: UInt64, data: UInt64)? {
    let descriptor = open("/proc/self/statm", O_RDONLY)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes = [UInt8](repeating: 0, count: 128)
    let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    guard count > 0 else { return nil }
    let fields = bytes[..<count].split(separator: UInt8(ascii: " ")).map { field in
      field.reduce(UInt64(0)) { total, byte in
        byte >= 0x30 && byte <= 0x39 ? total &* 10 &+ UInt64(byte - 0x30) : total
      }
    }
    guard fields.count >= 6 else { return nil }
    let page = UInt64(max(1, sysconf(Int32(_SC_PAGESIZE))))
    return (fields[0] &* page, fields[5] &* page)
  }

  /// Room kept free below a limit: the monitor stops the program once less than this is left.
  static func headroom(_ limit: UInt64) -> UInt64 { max(64 << 20, limit / 8) }

  /// Refuses a block of `bytes` that would not fit below a limit (with half the headroom kept
  /// for the error's own unwinding). Blocks under 16 MiB are not checked: reading the
  /// process's size costs three system calls.
  static func reserve(_ bytes: Int, for what: @autoclosure () -> String) throws {
    guard bytes >= 16 << 20, limits.isSet, let now = usage() else { return }
    let wanted = UInt64(bytes)
    if let limit = limits.addressSpace, now.addressSpace &+ wanted &+ headroom(limit) / 2 > limit {
      throw refusal(what(), wanted: wanted, used: now.addressSpace, limit: limit, setting: "ulimit -v")
    }
    if let limit = limits.data, now.data &+ wanted &+ headroom(limit) / 2 > limit {
      throw refusal(what(), wanted: wanted, used: now.data, limit: limit, setting: "ulimit -d")
    }
  }

  /// For text or arrays grown by appending (their buffer doubles when full): asks `reserve` for
  /// the next doubling each time the count passes the last one checked, so growth is checked
  /// about once per doubling past 16 MiB.
  struct Growth {
    private var next = 16 << 20
    init() {}

    @inline(__always) mutating func check(_ count: Int, for what: @autoclosure () -> String) throws {
      guard count >= next else { return }
      next = count.multipliedReportingOverflow(by: 2).overflow ? Int.max : count * 2
      try MemoryGuard.reserve(count, for: what())
    }
  }

  private static func refusal(_ what: String, wanted: UInt64, used: UInt64, limit: UInt64, setting: String)
    -> OxurError
  {
    OxurError(
      "out-of-memory",
      "out of memory: \(what) needs \(megabytes(wanted)) MB, and the process uses \(megabytes(used)) MB "
        + "of the \(megabytes(limit)) MB it may have (\(setting))")
  }

  static func megabytes(_ bytes: UInt64) -> UInt64 { bytes >> 20 }

  // MARK: the monitor

  /// Set by the monitor when the process neared a limit; the first safe point to see it takes
  /// it (`Machine.interruptPoint`) and stops its evaluation.
  static let exhausted = Atomic<Bool>(false)
  /// What the monitor last saw past the threshold, and whether of the data limit (else the
  /// address space's), for the message.
  private static let lastSeen = Atomic<UInt64>(0)
  private static let lastWasData = Atomic<Bool>(false)

  /// Takes the monitor's signal: the error to stop the running evaluation with, or nil. Checked
  /// again here, so that a signal no safe point took while the memory was in use (a builtin
  /// made and dropped a large block) does not stop the next evaluation, which did nothing.
  static func takeExhaustion() -> OxurError? {
    guard exhausted.load(ordering: .relaxed), exhausted.exchange(false, ordering: .acquiringAndReleasing) else {
      return nil
    }
    guard let now = usage(), isOver(now) != nil else { return nil }
    let used = lastSeen.load(ordering: .relaxed)
    let data = lastWasData.load(ordering: .relaxed)
    let limit = (data ? limits.data : limits.addressSpace) ?? 0
    let setting = data ? "ulimit -d" : "ulimit -v"
    return OxurError(
      "out-of-memory",
      "out of memory: the process reached \(megabytes(used)) MB of the \(megabytes(limit)) MB it may have "
        + "(\(setting)); the running evaluation was stopped so the process could go on")
  }

  // An NSLock rather than `Mutex`: ThreadSanitizer (run in CI) sees through pthread locks.
  nonisolated(unsafe) private static var watched: [WeakAttention] = []
  private static let watchedLock = NSLock()
  private static let monitorStarted = Atomic<Bool>(false)

  private struct WeakAttention: Sendable {
    weak var attention: Attention?
  }

  /// Has the monitor raise `attention` (a runtime's) when memory runs short; starts the
  /// monitor the first time, when a limit is set.
  static func watch(_ attention: Attention) {
    guard limits.isSet else { return }
    watchedLock.withLock {
      watched.removeAll { $0.attention == nil }
      watched.append(WeakAttention(attention: attention))
    }
    if !monitorStarted.exchange(true, ordering: .acquiringAndReleasing) { startMonitor() }
  }

  /// A small-stack detached thread (its stack counts against the very limit it watches).
  private static func startMonitor() {
    var attributes = pthread_attr_t()
    guard pthread_attr_init(&attributes) == 0 else { return }
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, 256 << 10)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    _ = pthread_create(
      &thread, &attributes,
      { _ in
        MemoryGuard.monitor()
        return nil
      }, nil)
  }

  /// How far use is past a limit's threshold (less than `headroom` left), or nil when it is not.
  private static func isOver(_ now: (addressSpace: UInt64, data: UInt64)) -> (used: UInt64, step: UInt64, data: Bool)? {
    if let limit = limits.addressSpace, now.addressSpace &+ headroom(limit) > limit {
      return (now.addressSpace, headroom(limit) / 2, false)
    }
    if let limit = limits.data, now.data &+ headroom(limit) > limit {
      return (now.data, headroom(limit) / 2, true)
    }
    return nil
  }

  /// Samples every 5 ms. Raises once per crossing of the threshold, and again each time use
  /// grows by another half headroom past the last raise: a program that catches the error
  /// and goes on allocating is stopped again, one that stays put is not stopped for ever.
  private static func monitor() {
    var raisedAt: UInt64 = 0
    var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
    while true {
      nanosleep(&pause, nil)
      guard let now = usage() else { continue }
      guard let over = isOver(now) else {
        raisedAt = 0
        exhausted.store(false, ordering: .relaxed)
        continue
      }
      if raisedAt != 0 && over.used < raisedAt &+ over.step { continue }
      raisedAt = over.used
      lastSeen.store(over.used, ordering: .relaxed)
      lastWasData.store(over.data, ordering: .relaxed)
      exhausted.store(true, ordering: .releasing)
      let attentions = watchedLock.withLock { watched.compactMap(\.attention) }
      for attention in attentions { attention.raise() }
    }
  }
}

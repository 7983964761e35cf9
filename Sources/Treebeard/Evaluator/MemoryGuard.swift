// The address-space and data limits the host sets, and the checks builtins make before large blocks.

import Foundation
import OxurSyntax
import Synchronization

/// Swift ends the process when an allocation fails, so a program outgrowing `ulimit -v` (or
/// `ulimit -d`) took the REPL, a server and every running program with it (exit 134). Two
/// defences, both idle when neither limit is set — then the kernel's overcommit rules decide,
/// and a runaway process meets the OOM killer, which no check inside it can prevent:
/// - a builtin about to make one large block (`repeat`, `str`, `join`, a copy of a
///   collection's elements) asks `reserve` first, which refuses what would leave less than
///   `headroom` below a limit, with an `out-of-memory` error;
/// - `MemoryMonitor` stops the running evaluation when memory taken a little at a time
///   leaves less than that.
/// Limits: a block from a path that does not ask first can still fail (docs/reliability.md).
/// Checked on Linux only (`/proc/self/statm`).
public enum MemoryGuard {
  /// The soft limits in bytes: nil when unlimited.
  struct Limits: Sendable, Equatable {
    var addressSpace: UInt64?
    var data: UInt64?
    var isSet: Bool { addressSpace != nil || data != nil }
  }

  /// The process's limits, read once.
  private static let hostLimits: Limits = {
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

  static var limits: Limits { hostLimits }

  /// What the process uses now, in the limits' terms: its address space (VmSize) and its data
  /// and stack mappings (statm's data field, what RLIMIT_DATA counts). Nil when unreadable.
  /// Reads into a buffer on the stack: this runs when memory is short, where an allocation
  /// that fails is the very trap the guard is for.
  static func usage() -> (addressSpace: UInt64, data: UInt64)? {
    let descriptor = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer -> (UInt64, UInt64)? in
      let count = read(descriptor, buffer.baseAddress, buffer.count)
      guard count > 0 else { return nil }
      // Seven decimal fields (pages); the first is the size, the sixth the data.
      var fields: (UInt64, UInt64) = (0, 0)
      var field = 0
      var value: UInt64 = 0
      for index in 0..<count {
        let byte = buffer[index]
        if byte >= 0x30 && byte <= 0x39 {
          value = value &* 10 &+ UInt64(byte &- 0x30)
          continue
        }
        if field == 0 { fields.0 = value }
        if field == 5 { fields.1 = value }
        field += 1
        value = 0
      }
      guard field >= 6 else { return nil }
      let page = UInt64(max(1, sysconf(Int32(_SC_PAGESIZE))))
      return (fields.0 &* page, fields.1 &* page)
    }
  }

  /// Room kept free below a limit: what `reserve` leaves, and where the monitor stops a program.
  /// An eighth of the limit, at least 16 MiB, but at most a quarter of what the limit leaves
  /// past the interpreter's own fixed reservations (the evaluation thread's 1 GiB stack and a
  /// value stack): with `ulimit -v 1270000`, an eighth put the threshold below what the
  /// process takes at rest, and every evaluation longer than a sample was stopped.
  static func headroom(_ limit: UInt64) -> UInt64 {
    let fixed = UInt64(LargeStack.size) + (128 << 20)
    let room = limit > fixed ? limit - fixed : 0
    return max(16 << 20, min(limit / 8, room / 4))
  }

  /// Refuses a block of `bytes` that would leave less than the headroom below a limit. Blocks
  /// under 16 MiB are not checked: reading the process's size costs three system calls.
  /// `bytes` should count what the builtin holds at its peak (a copy made from another).
  static func reserve(_ bytes: Int, for what: @autoclosure () -> String) throws {
    guard bytes >= 16 << 20 else { return }
    let limits = self.limits
    guard limits.isSet, let now = usage() else { return }
    let wanted = UInt64(bytes)
    if let limit = limits.addressSpace, now.addressSpace &+ wanted &+ headroom(limit) > limit {
      throw refusal(what(), wanted: wanted, used: now.addressSpace, limit: limit, setting: "ulimit -v")
    }
    if let limit = limits.data, now.data &+ wanted &+ headroom(limit) > limit {
      throw refusal(what(), wanted: wanted, used: now.data, limit: limit, setting: "ulimit -d")
    }
  }

  /// Makes the reader ask before a collection literal's elements grow past 8 MiB (once per
  /// process; the reader cannot see this module).
  static let checksReading: Void = ReaderMemory.setCheck { bytes in
    do {
      try MemoryGuard.reserve(bytes, for: "growing it")
      return nil
    } catch let error as OxurError {
      return error.message
    } catch {
      return "\(error)"
    }
  }

  /// `count` elements of `Value`, held `copies` times over at the builtin's peak.
  static func reserve(values count: Int, copies: Int = 1, for what: @autoclosure () -> String) throws {
    let (each, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Value>.stride * copies)
    try reserve(overflow ? Int.max : each, for: what())
  }

  /// For text or arrays grown by appending, whose buffer doubles when full (the old one still
  /// held while it is copied): asks `reserve` for the next doubling each time the count passes
  /// the last one checked, so growth is checked about once per doubling past 16 MiB.
  struct Growth {
    private var next = 8 << 20
    init() {}

    @inline(__always) mutating func check(_ count: Int, for what: @autoclosure () -> String) throws {
      guard count >= next else { return }
      let (doubled, overflow) = count.multipliedReportingOverflow(by: 2)
      next = overflow ? Int.max : doubled
      try MemoryGuard.reserve(next, for: what())
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
}

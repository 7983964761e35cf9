// The live instances of one struct layout, as an intrusive list: migration finds them without a heap walk.

import CRuntimeShims
import Foundation
import Synchronization

/// Every instance of a `StructType` that is still alive, linked through the instances themselves
/// (DESIGN.md §5): creation links at the head and `deinit` unlinks, O(1) each, under a lock of
/// this list only. Instances are made on the evaluator thread, but the last reference to one may
/// be dropped on any thread (a host that kept a result), so the links need their own lock.
final class LiveInstances: @unchecked Sendable {
  /// A spin lock, not a `Mutex`: taken twice per instance (link, unlink) and almost never
  /// contended (only when a host thread drops an instance while the evaluator makes one), so
  /// two atomic operations beat a futex lock (callgrind: see docs/performance.md, "State").
  private let locked = Atomic<Bool>(false)
  @exclusivity(unchecked) private var head: Unmanaged<StructInstance>?
  @exclusivity(unchecked) private var liveCount = 0

  private func lock() {
    while !locked.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
      sched_yield()
    }
  }

  private func unlock() { locked.store(false, ordering: .releasing) }

  private func withLock<T>(_ body: () -> T) -> T {
    lock()
    defer { unlock() }
    return body()
  }

  var count: Int { withLock { liveCount } }

  // link and unlink touch instances only through unretained references and without closures:
  // a retain of an instance in its own deinit takes the runtime's slow path (~200 instructions).
  func link(_ instance: Unmanaged<StructInstance>) {
    lock()
    instance._withUnsafeGuaranteedRef {
      $0.nextLive = head
      $0.previousLive = nil
    }
    head?._withUnsafeGuaranteedRef { $0.previousLive = instance }
    head = instance
    liveCount &+= 1
    unlock()
  }

  func unlink(_ instance: Unmanaged<StructInstance>) {
    lock()
    let (next, previous) = instance._withUnsafeGuaranteedRef { ($0.nextLive, $0.previousLive) }
    if let previous {
      previous._withUnsafeGuaranteedRef { $0.nextLive = next }
    } else {
      head = next
    }
    next?._withUnsafeGuaranteedRef { $0.previousLive = previous }
    instance._withUnsafeGuaranteedRef {
      $0.nextLive = nil
      $0.previousLive = nil
    }
    liveCount &-= 1
    unlock()
  }

  /// Strong references to every instance alive now. One whose last reference is being dropped
  /// on another thread (its `deinit` waits for this lock to unlink it) is skipped: retaining it
  /// would resurrect an object already being destroyed, so this retains only with `tryRetain`.
  func snapshot() -> [StructInstance] {
    withLock {
      var alive: [StructInstance] = []
      alive.reserveCapacity(liveCount)
      var cursor = head
      while let node = cursor {
        // No retain here: a neighbour may be one whose `deinit` is waiting for this lock.
        cursor = node._withUnsafeGuaranteedRef { $0.nextLive }
        guard treebeard_try_retain(node.toOpaque()) != nil else { continue }
        alive.append(node.takeRetainedValue())
      }
      return alive
    }
  }
}

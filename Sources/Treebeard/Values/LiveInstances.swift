// The live instances of one struct layout, as an intrusive list: migration finds them without a heap walk.

import CRuntimeShims
import Synchronization

/// Every instance of a `StructType` that is still alive, linked through the instances themselves
/// (DESIGN.md §5): creation links at the head and `deinit` unlinks, O(1) each, under a lock of
/// this list only. Instances are made on the evaluator thread, but the last reference to one may
/// be dropped on any thread (a host that kept a result), so the links need their own lock.
final class LiveInstances: @unchecked Sendable {
  private struct State: ~Copyable {
    var head: Unmanaged<StructInstance>?
    var count = 0
  }
  private let state = Mutex(State())

  var count: Int { state.withLock { $0.count } }

  func link(_ instance: StructInstance) {
    let pointer = Unmanaged.passUnretained(instance)
    state.withLock { list in
      instance.nextLive = list.head
      instance.previousLive = nil
      list.head?._withUnsafeGuaranteedRef { $0.previousLive = pointer }
      list.head = pointer
      list.count += 1
    }
  }

  func unlink(_ instance: StructInstance) {
    state.withLock { list in
      let next = instance.nextLive
      let previous = instance.previousLive
      if let previous {
        previous._withUnsafeGuaranteedRef { $0.nextLive = next }
      } else {
        list.head = next
      }
      next?._withUnsafeGuaranteedRef { $0.previousLive = previous }
      instance.nextLive = nil
      instance.previousLive = nil
      list.count -= 1
    }
  }

  /// Strong references to every instance alive now. One whose last reference is being dropped
  /// on another thread (its `deinit` waits for this lock to unlink it) is skipped: retaining it
  /// would resurrect an object already being destroyed, so this retains only with `tryRetain`.
  func snapshot() -> [StructInstance] {
    state.withLock { list in
      var alive: [StructInstance] = []
      alive.reserveCapacity(list.count)
      var cursor = list.head
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

// Process-wide allocator settings, made before the first thread starts.

import CAllocatorSettings
import Dispatch
import Synchronization
import Treebeard

enum AllocatorSettings {
  /// The evaluator runs on a thread of its own (for its large stack, see `LargeStack`). glibc
  /// gives each new thread its own arena, which grows by `mprotect`-ing a 64 MiB reserve a few
  /// pages at a time and takes the arena lock whenever the thread's small cache runs dry. A
  /// program building large collections spent a good part of its time there: with one arena,
  /// task-clock went down 8–19 % for strcat, 16 % for closures and 4–8 % for hashmap (medians
  /// of 9 alternating runs). So every thread shares the main arena, grown with `brk`. The cost
  /// is lock contention between threads that allocate at once; Oxur code runs one thread at a
  /// time under the evaluator lock, so that is the servers' I/O threads at most.
  ///
  /// Past its first 4 MiB the heap grows in transparent huge pages, advised each time a module
  /// is staged (`HostHooks.setBeforeStaging`): a kept version of a 1,000-function module is
  /// about 1.7 MB of new heap, which cost a reload some 400 page faults in small pages, a
  /// seventh of its time (see docs/performance.md, "Eighth stop"). glibc's own
  /// `glibc.malloc.hugetlb=1` tunable does the same from the environment only.
  ///
  /// The executable makes these choices, not the library: an embedding program keeps its own.
  static func apply() {
    treebeard_use_one_malloc_arena()
    treebeard_grow_heap_in_huge_pages()
    HostHooks.setBeforeStaging { _ in treebeard_advise_heap_growth() }
    if ProcessEnvironment.value(HeapPopulation.disablingVariable) == nil {
      HostHooks.setAfterCommit { _ in HeapPopulation.request() }
    }
  }
}

/// Faults in the heap just past what is in use after each commit, on a thread of its own, so
/// that the next load's new code lands in memory already backed. A reload of a 1,000-function
/// module grows the heap by about 1.7 MB until its history is full: on this kind of virtual
/// machine the first touch of a fresh 2 MiB page cost a reload 0.3–5 ms more (a 20-reload run's
/// median 3.5–7.8 ms, 3.2–3.3 ms with the pages populated ahead; docs/performance.md,
/// "Eighteenth stop"). The cost: up to 4 MiB resident ahead of need, which
/// `TREEBEARD_NO_HEAP_POPULATION` (set to anything) declines.
enum HeapPopulation {
  static let disablingVariable = "TREEBEARD_NO_HEAP_POPULATION"
  private static let queue = DispatchQueue(label: "treebeard.heap-population", qos: .utility)
  /// One request pending at most: commits in a burst populate once.
  private static let pending = Atomic<Bool>(false)

  static func request() {
    // A script whose heap stays small (start-up) starts no thread for it.
    guard treebeard_heap_reaches_huge_pages() != 0 else { return }
    guard pending.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    else { return }
    queue.async {
      pending.store(false, ordering: .releasing)
      treebeard_populate_heap_ahead()
    }
  }
}

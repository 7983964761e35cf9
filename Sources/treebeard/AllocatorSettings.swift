// Process-wide allocator settings, made before the first thread starts.

import CAllocatorSettings
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
  }
}

// glibc allocator settings for the treebeard executable; see Sources/treebeard/AllocatorSettings.swift.
#include "AllocatorSettings.h"

#if defined(__linux__)
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

void treebeard_use_one_malloc_arena(void) {
#if defined(M_ARENA_MAX)
  mallopt(M_ARENA_MAX, 1);
#endif
}

#if defined(__linux__) && defined(M_TOP_PAD) && defined(MADV_HUGEPAGE)
enum {
  huge_page = 2 << 20,
  // A program whose heap stays below this (start-up, a short script) never touches a huge
  // page: zeroing 2 MiB costs more than the few small pages such a program faults in.
  small_heap = 4 << 20,
  // How far ahead of need glibc extends the heap (address space: pages are backed when
  // touched). The advice reaches memory when the next module is staged, so a load that grows
  // the heap finds it advised unless the heap was extended during that very load: with 16 MiB,
  // every ninth reload of a 1,000-function module (1.7 MB each) ran in small pages, 0.5 ms
  // slower. Costs: after a burst of frees glibc keeps this much free memory at the top of
  // the heap (touched pages stay resident), and setting it fixes glibc's mmap threshold at
  // 128 KiB (it stops adapting), so larger blocks are mapped and unmapped each time; strcat
  // and vecsum, which build large strings and vectors, did not slow (docs/performance.md).
  growth_step = 64 << 20,
};

/// The first heap address not yet advised; 0 while huge pages are off.
static _Atomic uintptr_t advised_until = 0;
static uintptr_t page_mask = 0;
/// Where the advised part of the heap starts (`small_heap` past the heap's start).
static uintptr_t huge_region_start = 0;

static uintptr_t round_up(uintptr_t value, uintptr_t unit) { return (value + unit - 1) & ~(unit - 1); }

/// True when the process has an address-space or data limit: then the heap grows only by what
/// is asked. glibc extends the heap by the pad at once and falls back to mmap with the pad too,
/// so near such a limit a 544-byte allocation failed (and Swift trapped) with 60 MB still free,
/// before the memory monitor (Treebeard's MemoryMonitor) could see use come near the limit.
static int has_memory_limit(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) return 1;
  if (getrlimit(RLIMIT_DATA, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) return 1;
  return 0;
}

void treebeard_grow_heap_in_huge_pages(void) {
  if (has_memory_limit()) return;
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || huge_page % page != 0) return;
  page_mask = (uintptr_t)page - 1;
  void *origin = sbrk(0);
  if (origin == (void *)-1) return;
  if (mallopt(M_TOP_PAD, growth_step) != 1) return;
  huge_region_start = round_up((uintptr_t)origin + small_heap, huge_page);
  atomic_store(&advised_until, huge_region_start);
}

void treebeard_advise_heap_growth(void) {
  uintptr_t from = atomic_load(&advised_until);
  if (from == 0) return;
  void *top = sbrk(0);
  if (top == (void *)-1) return;
  uintptr_t end = (uintptr_t)top & ~page_mask;
  if (end < from) {
    // glibc gave memory back (trimmed the top past its pad): what grows there again is a new
    // mapping without the advice, so the mark comes down to advise it next time.
    uintptr_t lowered = end > huge_region_start ? end : huge_region_start;
    (void)atomic_compare_exchange_strong(&advised_until, &from, lowered);
    return;
  }
  if (end == from) return;
  // Only one caller advances the mark; a range advised twice is harmless. A failure (a
  // kernel without transparent huge pages, a heap another mapping interrupted) leaves small
  // pages, as without the advice.
  if (atomic_compare_exchange_strong(&advised_until, &from, end)) {
    (void)madvise((void *)from, end - from, MADV_HUGEPAGE);
  }
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

enum {
  // Two huge pages: a reload of a 1,000-function module grows the heap by about 1.7 MB.
  populated_ahead = 4 << 20,
};

/// Where malloc's never-used memory starts (the top chunk), or 0. mallinfo2 takes the arena
/// lock and walks the free lists: a few thousand instructions for a small heap, tens of
/// microseconds after a large version was freed. The break is read after it without the lock,
/// so a heap grown in between puts the frontier a little too high.
static uintptr_t heap_frontier(void) {
  struct mallinfo2 info = mallinfo2();
  void *top = sbrk(0);
  if (top == (void *)-1 || info.keepcost >= (uintptr_t)top) return 0;
  return (uintptr_t)top - info.keepcost;
}

/// Set once the frontier has passed the small part of the heap; it does not come back.
static _Atomic int frontier_in_huge_pages = 0;

int treebeard_heap_reaches_huge_pages(void) {
  if (atomic_load(&advised_until) == 0) return 0;
  if (atomic_load(&frontier_in_huge_pages)) return 1;
  if (heap_frontier() <= huge_region_start) return 0;
  atomic_store(&frontier_in_huge_pages, 1);
  return 1;
}

void treebeard_populate_heap_ahead(void) {
  if (atomic_load(&advised_until) == 0) return;
  // What the last load mapped is advised now, not at the next staging: populated first, it
  // would stay in small pages.
  treebeard_advise_heap_growth();
  uintptr_t frontier = heap_frontier();
  void *top = sbrk(0);
  if (frontier == 0 || top == (void *)-1) return;
  uintptr_t end = (uintptr_t)top;
  uintptr_t from = frontier & ~page_mask;
  if (from < huge_region_start) from = huge_region_start;
  uintptr_t until = from + populated_ahead;
  // Only what is advised already: a page populated before its advice would stay small.
  uintptr_t advised = atomic_load(&advised_until);
  if (until > advised) until = advised;
  if (until > (end & ~page_mask)) until = end & ~page_mask;
  if (until <= from) return;
  (void)madvise((void *)from, until - from, MADV_POPULATE_WRITE);
}

#else
void treebeard_grow_heap_in_huge_pages(void) {}
void treebeard_advise_heap_growth(void) {}
void treebeard_populate_heap_ahead(void) {}
int treebeard_heap_reaches_huge_pages(void) { return 0; }
#endif

// glibc allocator settings for the treebeard executable; see Sources/treebeard/AllocatorSettings.swift.
#include "AllocatorSettings.h"

#if defined(__linux__)
#include <malloc.h>
#endif

void treebeard_use_one_malloc_arena(void) {
#if defined(M_ARENA_MAX)
  mallopt(M_ARENA_MAX, 1);
#endif
}

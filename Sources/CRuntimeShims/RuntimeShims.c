// Forwards to the Swift runtime's swift_tryRetain (HeapObject.h); the large-stack thread flag and stack release.
#define _GNU_SOURCE
#include "RuntimeShims.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

extern void *swift_tryRetain(void *object);

void *treebeard_try_retain(void *object) { return swift_tryRetain(object); }

static _Thread_local int large_stack_thread = 0;

void treebeard_mark_large_stack_thread(void) { large_stack_thread = 1; }

int treebeard_is_large_stack_thread(void) { return large_stack_thread; }

void treebeard_name_current_thread(const char *name) {
#if defined(__linux__)
  // Linux keeps at most 15 bytes and refuses a longer name outright. Cut at a character's
  // start, not inside a UTF-8 sequence (a host may name its threads in any script).
  char kept[16];
  size_t length = strlen(name);
  if (length > sizeof kept - 1) {
    length = sizeof kept - 1;
    while (length > 0 && ((unsigned char)name[length] & 0xC0) == 0x80) length--;
  }
  memcpy(kept, name, length);
  kept[length] = 0;
  (void)pthread_setname_np(pthread_self(), kept);
#else
  (void)name;
#endif
}

void treebeard_release_unused_stack(unsigned long keep) {
#if defined(__linux__)
  pthread_attr_t attributes;
  if (pthread_getattr_np(pthread_self(), &attributes) != 0) return;
  void *low = NULL;
  size_t size = 0;
  int known = pthread_attr_getstack(&attributes, &low, &size) == 0;
  pthread_attr_destroy(&attributes);
  long page = sysconf(_SC_PAGESIZE);
  if (!known || low == NULL || page <= 0) return;
  char here = 0;
  uintptr_t current = (uintptr_t)&here;
  uintptr_t mask = (uintptr_t)page - 1;
  uintptr_t start = ((uintptr_t)low + mask) & ~mask;
  // Signal handlers and the red zone use the stack just below the frame: `keep` covers them.
  if (current < start || current - start <= keep) return;
  uintptr_t end = (current - keep) & ~mask;
  if (end <= start) return;
  // A stack is touched from the top down, page after page: when the highest page to give back
  // is not resident, nothing below it is either, and the walk over 1 GiB of page tables
  // (about 8 µs) is saved for the calls that did not go deep.
  unsigned char resident = 0;
  if (mincore((void *)(end - (uintptr_t)page), (size_t)page, &resident) == 0 && !(resident & 1)) return;
  (void)madvise((void *)start, end - start, MADV_DONTNEED);
#else
  (void)keep;
#endif
}

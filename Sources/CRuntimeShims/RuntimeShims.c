// Forwards to the Swift runtime's swift_tryRetain (HeapObject.h); keeps the large-stack thread flag.
#define _GNU_SOURCE
#include "RuntimeShims.h"

#include <pthread.h>
#include <string.h>

extern void *swift_tryRetain(void *object);

void *treebeard_try_retain(void *object) { return swift_tryRetain(object); }

static _Thread_local int large_stack_thread = 0;

void treebeard_mark_large_stack_thread(void) { large_stack_thread = 1; }

int treebeard_is_large_stack_thread(void) { return large_stack_thread; }

void treebeard_name_current_thread(const char *name) {
#if defined(__linux__)
  // Linux keeps at most 15 bytes and refuses a longer name outright.
  char kept[16];
  strncpy(kept, name, sizeof kept - 1);
  kept[sizeof kept - 1] = 0;
  (void)pthread_setname_np(pthread_self(), kept);
#else
  (void)name;
#endif
}

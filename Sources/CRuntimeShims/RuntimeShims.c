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

// Forwards to the Swift runtime's swift_tryRetain (HeapObject.h); keeps the large-stack thread flag.
#include "RuntimeShims.h"

extern void *swift_tryRetain(void *object);

void *treebeard_try_retain(void *object) { return swift_tryRetain(object); }

static _Thread_local int large_stack_thread = 0;

void treebeard_mark_large_stack_thread(void) { large_stack_thread = 1; }

int treebeard_is_large_stack_thread(void) { return large_stack_thread; }

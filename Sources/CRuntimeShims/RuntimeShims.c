// Forwards to the Swift runtime's swift_tryRetain (HeapObject.h), declared with C linkage there.
#include "RuntimeShims.h"

extern void *swift_tryRetain(void *object);

void *treebeard_try_retain(void *object) { return swift_tryRetain(object); }

// The Swift runtime entry point and the thread-local flag Treebeard needs that Swift does not expose.
#ifndef TREEBEARD_RUNTIME_SHIMS_H
#define TREEBEARD_RUNTIME_SHIMS_H

/// Retains a native Swift object unless its reference count has already reached zero (its
/// deinit is running): returns the object, retained, or NULL. See LiveInstances.swift.
void *_Nullable treebeard_try_retain(void *_Nonnull object);

/// Marks the calling thread as one with a large stack (LargeStack.swift), and asks whether the
/// calling thread is one: a C thread-local, where Foundation's thread dictionary cost an
/// NSMutableDictionary and a bridging cast (about a tenth of the executable's start-up).
void treebeard_mark_large_stack_thread(void);
int treebeard_is_large_stack_thread(void);

/// Names the calling thread for debuggers and `ps` (a C shim: glibc declares
/// `pthread_setname_np` only for GNU sources).
void treebeard_name_current_thread(const char *_Nonnull name);

/// Gives back to the system the pages of the calling thread's stack more than `keep` bytes
/// below the current frame (they hold nothing live). A parked large-stack thread calls it, so a
/// deep recursion that ran on it does not keep its pages resident while it waits.
void treebeard_release_unused_stack(unsigned long keep);

#endif

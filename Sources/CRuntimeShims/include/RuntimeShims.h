// The one Swift runtime entry point Treebeard needs that the standard library does not expose.
#ifndef TREEBEARD_RUNTIME_SHIMS_H
#define TREEBEARD_RUNTIME_SHIMS_H

/// Retains a native Swift object unless its reference count has already reached zero (its
/// deinit is running): returns the object, retained, or NULL. See LiveInstances.swift.
void *_Nullable treebeard_try_retain(void *_Nonnull object);

#endif

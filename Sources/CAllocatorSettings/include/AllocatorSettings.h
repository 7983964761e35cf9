// glibc allocator settings for the treebeard executable (mallopt is not visible from Swift's Glibc module).
#ifndef TREEBEARD_ALLOCATOR_SETTINGS_H
#define TREEBEARD_ALLOCATOR_SETTINGS_H

/// Makes every thread allocate from the main malloc arena. Must run before the second thread
/// allocates. Does nothing where the C library is not glibc.
void treebeard_use_one_malloc_arena(void);

#endif

// glibc allocator settings for the treebeard executable (mallopt is not visible from Swift's Glibc module).
#ifndef TREEBEARD_ALLOCATOR_SETTINGS_H
#define TREEBEARD_ALLOCATOR_SETTINGS_H

/// Makes every thread allocate from the main malloc arena. Must run before the second thread
/// allocates. Does nothing where the C library is not glibc.
void treebeard_use_one_malloc_arena(void);

/// Lets the heap grow in transparent huge pages past its first few megabytes: glibc extends
/// the heap 64 MiB ahead of need, and `treebeard_advise_heap_growth` marks what it has mapped
/// since the last call `MADV_HUGEPAGE`. Call once at start-up, before the second thread starts.
/// Does nothing where the C library is not glibc; where the kernel has no transparent huge
/// pages the advice fails and the heap stays in small pages (still extended ahead of need).
void treebeard_grow_heap_in_huge_pages(void);

/// Marks the heap mapped since the last call (beyond the first few megabytes) for huge pages.
/// One comparison when the heap has not grown; one `madvise` when it has. Any thread.
void treebeard_advise_heap_growth(void);

/// Makes the next few megabytes of the heap past those in use resident (huge pages where
/// advised), so the next burst of allocations does not fault them in. Slow (it zeroes them,
/// and a virtual machine's host may back them only then): for a background thread. Any
/// thread; nothing where huge pages are off.
void treebeard_populate_heap_ahead(void);

/// Whether the heap has grown into its huge-page part (a call of the above could do anything).
/// Two loads and a system call; any thread.
int treebeard_heap_reaches_huge_pages(void);

#endif

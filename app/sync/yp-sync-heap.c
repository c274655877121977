/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>

#include "yp-sync-heap.h"

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define HEAP_IS_GLIBC 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#undef HEAP_IS_GLIBC
#endif
#endif

#ifdef HEAP_IS_GLIBC
#include <malloc.h>

/* glibc's default, before it adapts */
#define THRESHOLD (128 * 1024)
#endif

void
yp_sync_heap_tune (void)
{
#ifdef HEAP_IS_GLIBC
  /* malloc_trim() gives back the free top of the main heap only, not that
   * of a thread's own arena, where the worker builds its trees: one arena.
   * Fixed thresholds: by default each big block freed (a hash table's
   * array, a transfer buffer) raises both, until nothing is given back. */
  mallopt (M_ARENA_MAX, 1);
  mallopt (M_MMAP_THRESHOLD, THRESHOLD);
  mallopt (M_TRIM_THRESHOLD, THRESHOLD);
#endif
}

void
yp_sync_heap_trim (void)
{
#ifdef HEAP_IS_GLIBC
  malloc_trim (0);
#endif
}

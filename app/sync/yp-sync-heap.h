/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The process heap of an engine that idles after big passes: glibc's
 * malloc tuned so that freed memory can go back, and given back. Nothing
 * on other C libraries, nor under a sanitizer, whose allocator is its own.
 */

/* Once, before the first engine runs. */
void yp_sync_heap_tune (void);
/* Gives the heap's free pages back to the system. */
void yp_sync_heap_trim (void);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define YP_TYPE_HASHER (yp_hasher_get_type ())

G_DECLARE_FINAL_TYPE (YpHasher, yp_hasher, YP, HASHER, GObject)

/* How often, in bytes hashed, hashing reports progress and checks its
 * cancellable: often enough that a cancelled hash stops at once and a
 * progress bar moves, rarely enough to cost nothing measurable. */
#define YP_HASH_PROGRESS_STEP (4 * 1024 * 1024)

/* HASHED: the bytes hashed so far. Called in the hashing thread at least
 * every YP_HASH_PROGRESS_STEP bytes, with growing values, and once at the
 * end with the whole size (also for an empty file). */
typedef void (*YpHashProgressFunc) (guint64  hashed,
                                    gpointer user_data);

/* Hashes the file at PATH in the calling thread; checks CANCELLABLE as it goes. */
gboolean  yp_hash_file_sync       (const char          *path,
                                   char                 hex[65],
                                   guint64             *size,
                                   GCancellable        *cancellable,
                                   GError             **error);

/* The same for an open file, from its current offset. */
gboolean  yp_hash_fd_sync         (int                  fd,
                                   char                 hex[65],
                                   guint64             *size,
                                   GCancellable        *cancellable,
                                   GError             **error);

/* The same, telling PROGRESS (may be NULL) how far it got. A cancellation
 * from PROGRESS ends the hash before it reads on. */
gboolean  yp_hash_file_sync_full  (const char          *path,
                                   char                 hex[65],
                                   guint64             *size,
                                   YpHashProgressFunc   progress,
                                   gpointer             progress_data,
                                   GCancellable        *cancellable,
                                   GError             **error);
gboolean  yp_hash_fd_sync_full    (int                  fd,
                                   char                 hex[65],
                                   guint64             *size,
                                   YpHashProgressFunc   progress,
                                   gpointer             progress_data,
                                   GCancellable        *cancellable,
                                   GError             **error);

YpHasher *yp_hasher_new           (guint                max_threads);
YpHasher *yp_hasher_get_default   (void);
void      yp_hasher_hash_async    (YpHasher            *self,
                                   GFile               *file,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
char     *yp_hasher_hash_finish   (YpHasher            *self,
                                   GAsyncResult        *result,
                                   guint64             *size,
                                   GError             **error);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define YP_TYPE_HASHER (yp_hasher_get_type ())

G_DECLARE_FINAL_TYPE (YpHasher, yp_hasher, YP, HASHER, GObject)

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

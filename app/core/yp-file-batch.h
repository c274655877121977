/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"
#include "yp-node.h"
#include "yp-target.h"
#include "yp-transfer.h"

G_BEGIN_DECLS

/* What one request of yp_client_store_files_sync() may carry (the
 * server's limits, docs/protocol.md, "Batches"): a bigger file goes on its
 * own as an upload. */
#define YP_FILE_BATCH_MAX_ENTRIES   1000
#define YP_FILE_BATCH_MAX_FILE_SIZE (G_GUINT64_CONSTANT (1) << 20)
#define YP_FILE_BATCH_MAX_BYTES     (G_GUINT64_CONSTANT (64) << 20)
/* What the request's manifest line may take of YP_FILE_BATCH_MAX_BYTES at
 * most, per entry: the bytes left are the files' (see
 * yp_file_batch_fits()). */
#define YP_FILE_BATCH_ENTRY_OVERHEAD 4096

#define YP_TYPE_FILE_BATCH_ENTRY (yp_file_batch_entry_get_type ())

/**
 * YpFileBatchEntry:
 *
 * One small file for yp_client_store_files_sync(): the local file, where
 * it goes and what it may replace, its SHA-256 as the caller computed it
 * and the identity of the file that hash was computed from. Once the call
 * ran, the entry holds its own outcome: the node stored, or why not.
 */
typedef struct _YpFileBatchEntry YpFileBatchEntry;

GType               yp_file_batch_entry_get_type       (void) G_GNUC_CONST;
/* TARGET is a path, or a parent id and a name (copied); IF_VERSION as in
 * yp-node.h; SHA256 is hex; the size and modification time sent are
 * IDENTITY's. */
YpFileBatchEntry   *yp_file_batch_entry_new            (const char           *local_path,
                                                        const YpTarget       *target,
                                                        gint64                if_version,
                                                        const char           *sha256,
                                                        const YpFileIdentity *identity);
YpFileBatchEntry   *yp_file_batch_entry_ref            (YpFileBatchEntry     *self);
void                yp_file_batch_entry_unref          (YpFileBatchEntry     *self);

const char         *yp_file_batch_entry_get_local_path (YpFileBatchEntry     *self);
/* The destination; its strings belong to the entry. */
const YpTarget     *yp_file_batch_entry_get_target     (YpFileBatchEntry     *self);
gint64              yp_file_batch_entry_get_if_version (YpFileBatchEntry     *self);
const char         *yp_file_batch_entry_get_sha256     (YpFileBatchEntry     *self);
guint64             yp_file_batch_entry_get_size       (YpFileBatchEntry     *self);
/* Seconds since the epoch, as sent. */
gint64              yp_file_batch_entry_get_mtime      (YpFileBatchEntry     *self);
const YpFileIdentity *yp_file_batch_entry_get_identity (YpFileBatchEntry     *self);
/* The outcome: the node stored (NULL until then), or why not (NULL
 * before the call and after a success). */
YpNode             *yp_file_batch_entry_get_node       (YpFileBatchEntry     *self);
const GError       *yp_file_batch_entry_get_error      (YpFileBatchEntry     *self);

/* Whether a batch of N_ENTRIES files of BYTES in all (the sizes summed)
 * fits in one request. */
gboolean            yp_file_batch_fits                 (guint                 n_entries,
                                                        guint64               bytes);

/*
 * Stores the files ENTRIES (of YpFileBatchEntry) in one request. Each file
 * is read again and must still have its entry's identity: one that changed
 * since it was hashed is not sent, and its entry fails with
 * YP_CLIENT_ERROR_CHANGED. Every entry then holds its own outcome, as the
 * single upload it stands for would have ended (e.g.
 * YP_CLIENT_ERROR_CONFLICT, YP_CLIENT_ERROR_NOT_FOUND).
 *
 * FALSE only when the request as a whole failed (network, sign-in, limits:
 * see yp_file_batch_fits()); then no entry was stored, and the entries
 * that were to be sent have neither node nor error. A request that is sent
 * again after a lost answer carries the same Idempotency-Key and bytes, so
 * it is never applied twice.
 */
gboolean            yp_client_store_files_sync         (YpClient             *self,
                                                        GPtrArray            *entries,
                                                        GCancellable         *cancellable,
                                                        GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpFileBatchEntry, yp_file_batch_entry_unref)

G_END_DECLS

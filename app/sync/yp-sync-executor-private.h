/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sys/stat.h>

#include "yp-sync-executor.h"

G_BEGIN_DECLS

struct _YpSyncExecutor
{
  GObject        parent_instance;

  /* owned references */
  YpClient      *client;
  YpSyncState   *state;
  YpRateLimiter *limiter;
  char          *staging_dir;
  char          *local_root;
  char          *remote_root;
  gint64         remote_root_id;

  /* state of a run */
  gboolean       running;
  GCancellable  *cancellable;
  /* pair path -> node id (gint64 *), of what the server holds now */
  GHashTable    *remote_ids;
  guint          batch_size;
  guint          pending;
  guint          items_done;
  guint          items_total;
  guint64        bytes_done;
  guint64        bytes_total;
  /* of the action running now: its transfers done, and the one going on */
  guint64        bytes_action;
  guint64        bytes_current;
  /* small uploads waiting to go in one request (YpSyncAction), and their
   * bytes */
  GPtrArray     *upload_batch;
  guint64        upload_batch_bytes;
  guint          upload_batch_limit;
  /* small downloads of new files waiting to go several at a time
   * (YpSyncAction) */
  GPtrArray     *download_queue;
  guint          download_streams;
};

/* yp-sync-executor-paths.c */
char       *_yp_sync_executor_local_path  (YpSyncExecutor  *self,
                                           const char      *path);
char       *_yp_sync_executor_remote_path (YpSyncExecutor  *self,
                                           const char      *path);
/* The id of the folder PATH is in, 0 when unknown. */
gint64      _yp_sync_executor_parent_id   (YpSyncExecutor  *self,
                                           const char      *path);
void        _yp_sync_executor_remember_id (YpSyncExecutor  *self,
                                           const char      *path,
                                           gint64           id);
void        _yp_sync_executor_move_ids    (YpSyncExecutor  *self,
                                           const char      *from,
                                           const char      *to);
void        _yp_sync_executor_forget_ids  (YpSyncExecutor  *self,
                                           const char      *path);
/* Every id of TREE, over those known. */
void        _yp_sync_executor_remember_tree (YpSyncExecutor *self,
                                             YpSyncTree     *tree);

/* yp-sync-executor.c: the base's batches, progress */
gboolean    _yp_sync_executor_put         (YpSyncExecutor  *self,
                                           const YpSyncItem *item,
                                           GError         **error);
gboolean    _yp_sync_executor_remove      (YpSyncExecutor  *self,
                                           const char      *path,
                                           GError         **error);
gboolean    _yp_sync_executor_move_base   (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);
gboolean    _yp_sync_executor_flush       (YpSyncExecutor  *self,
                                           GError         **error);
void        _yp_sync_executor_progress    (YpSyncExecutor  *self);
/* Tells how ACTION went: done when LOCAL_ERROR (taken) is NULL, else
 * deferred or failed by the error; FALSE when the run stops. */
gboolean    _yp_sync_executor_finish_action (YpSyncExecutor *self,
                                             YpSyncAction   *action,
                                             GError         *local_error,
                                             GError        **error);

/* yp-sync-executor-batch.c: small uploads, many per request */
/* Whether ACTION can wait in the batch: an upload of a small file, new or
 * over a known version, whose folder exists on the server. */
gboolean    _yp_sync_executor_batch_takes (YpSyncExecutor  *self,
                                           YpSyncAction    *action);
/* Adds ACTION to the batch, sending the batch first when it is full. */
gboolean    _yp_sync_executor_batch_add   (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);
/* Sends the batch and tells each action's outcome; FALSE when the run
 * stops. Before any action that is not in it: the plan's order holds. */
gboolean    _yp_sync_executor_batch_flush (YpSyncExecutor  *self,
                                           GError         **error);

/* yp-sync-executor-downloads.c: small downloads, several at a time */
/* Whether ACTION can wait in the queue: a download of a small file to a
 * free name. */
gboolean    _yp_sync_executor_downloads_take  (YpSyncExecutor  *self,
                                               YpSyncAction    *action);
/* Adds ACTION to the queue, running the queue first when it is full. */
gboolean    _yp_sync_executor_downloads_add   (YpSyncExecutor  *self,
                                               YpSyncAction    *action,
                                               GError         **error);
/* Runs the queued downloads and tells each action's outcome; FALSE when
 * the run stops. Before any action that is not in it. */
gboolean    _yp_sync_executor_downloads_flush (YpSyncExecutor  *self,
                                               GError         **error);

/* yp-sync-executor-local.c */
YpSyncItem *_yp_sync_item_new_from_stat   (const char      *path,
                                           const struct stat *st);
/* The local item at PATH as it is now; NULL with G_IO_ERROR_NOT_FOUND
 * when nothing is there. */
YpSyncItem *_yp_sync_executor_stat_local  (YpSyncExecutor  *self,
                                           const char      *path,
                                           GError         **error);
/* Fails with YP_CLIENT_ERROR_CHANGED unless PATH still is EXPECTED. */
gboolean    _yp_sync_executor_check_local (YpSyncExecutor  *self,
                                           const char      *path,
                                           const YpSyncItem *expected,
                                           GError         **error);
/* rename(2) with RENAME_NOREPLACE, between pair paths. */
gboolean    _yp_sync_executor_rename_local (YpSyncExecutor *self,
                                            const char     *from,
                                            const char     *to,
                                            GError        **error);
gboolean    _yp_sync_apply_mkdir_local    (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);
gboolean    _yp_sync_apply_delete_local   (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);
gboolean    _yp_sync_apply_move_local     (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);

/* yp-sync-executor-remote.c */
gboolean    _yp_sync_apply_mkdir_remote   (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);
gboolean    _yp_sync_apply_delete_remote  (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);
gboolean    _yp_sync_apply_move_remote    (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);

/* yp-sync-executor-transfer.c */
gboolean    _yp_sync_apply_upload         (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);
gboolean    _yp_sync_apply_download       (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);
YpTransfer *_yp_sync_executor_download_new (YpSyncExecutor  *self,
                                            const char      *path,
                                            const YpSyncItem *remote,
                                            const YpSyncItem *local);
gboolean    _yp_sync_executor_record_download (YpSyncExecutor   *self,
                                               const char       *path,
                                               const YpSyncItem *remote,
                                               YpTransfer       *transfer,
                                               GError          **error);
gboolean    _yp_sync_apply_conflict       (YpSyncExecutor  *self,
                                           YpSyncAction    *action,
                                           GError         **error);

G_END_DECLS

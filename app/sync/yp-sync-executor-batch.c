/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-file-batch.h"
#include "yp-sync-executor-private.h"

/*
 * Small uploads in batches: a first sync of thousands of small files would
 * otherwise cost several requests, a transaction and disk syncs on the
 * server per file. Consecutive uploads of small files wait in the batch,
 * which goes in one request (yp_client_store_files_sync) before any other
 * action runs and when it is full; each file's outcome is then told as
 * that of a single upload. Only uploads whose folder has an id already go
 * in: the folder exists on the server, so waiting changes no order.
 */

gboolean
_yp_sync_executor_batch_takes (YpSyncExecutor *self,
                               YpSyncAction   *action)
{
  const YpSyncItem *local = action->local;

  return self->upload_batch_limit > 1
         && action->kind == YP_SYNC_ACTION_UPLOAD && local != NULL
         && local->kind == YP_SYNC_KIND_FILE && local->sha256[0] != '\0'
         && local->size <= YP_FILE_BATCH_MAX_FILE_SIZE
         && (action->if_version == YP_VERSION_NONE || action->if_version > 0)
         && _yp_sync_executor_parent_id (self, action->path) > 0;
}

gboolean
_yp_sync_executor_batch_add (YpSyncExecutor  *self,
                             YpSyncAction    *action,
                             GError         **error)
{
  guint64 size = action->local->size;

  gboolean full = self->upload_batch->len + 1 > self->upload_batch_limit
                  || !yp_file_batch_fits (self->upload_batch->len + 1,
                                          self->upload_batch_bytes + size);

  if (full && !_yp_sync_executor_batch_flush (self, error))
    return FALSE;
  g_ptr_array_add (self->upload_batch, yp_sync_action_ref (action));
  self->upload_batch_bytes += size;
  return TRUE;
}

static YpFileBatchEntry *
entry_for_action (YpSyncExecutor *self,
                  YpSyncAction   *action)
{
  const YpSyncItem *local = action->local;
  g_autofree char *local_path = _yp_sync_executor_local_path (self, action->path);
  g_autofree char *name = g_path_get_basename (action->path);
  YpFileIdentity identity = {
    .device = local->device,
    .inode = local->inode,
    .size = local->size,
    .mtime_ns = local->mtime_ns,
  };

  return yp_file_batch_entry_new (local_path,
                                  YP_TARGET_CHILD (_yp_sync_executor_parent_id (self,
                                                                                action->path),
                                                   name),
                                  action->if_version, local->sha256, &identity);
}

/* Puts in the base what ENTRY stored for the upload ACTION, as a single
 * upload would have. */
static gboolean
record_stored (YpSyncExecutor    *self,
               YpSyncAction      *action,
               YpFileBatchEntry  *entry,
               GError           **error)
{
  const YpFileIdentity *identity = yp_file_batch_entry_get_identity (entry);
  YpNode *node = yp_file_batch_entry_get_node (entry);
  g_autoptr(YpSyncItem) item = yp_sync_item_new (action->path, YP_SYNC_KIND_FILE);

  item->device = identity->device;
  item->inode = identity->inode;
  item->size = identity->size;
  item->mtime_ns = identity->mtime_ns;
  g_strlcpy (item->sha256, yp_node_get_sha256 (node), sizeof item->sha256);
  item->remote_id = yp_node_get_id (node);
  item->remote_version = yp_node_get_version (node);
  _yp_sync_executor_remember_id (self, action->path, item->remote_id);
  /* an upload an earlier run left of this file is not needed any more */
  return yp_sync_state_remove_upload_sync (self->state, action->path, error)
         && _yp_sync_executor_put (self, item, error);
}

/* Tells the outcome of ACTION, whose file ENTRY stands for. */
static gboolean
finish_entry (YpSyncExecutor    *self,
              YpSyncAction      *action,
              YpFileBatchEntry  *entry,
              GError           **error)
{
  GError *local_error = NULL;
  const GError *entry_error = yp_file_batch_entry_get_error (entry);

  if (entry_error != NULL)
    local_error = g_error_copy (entry_error);
  else if (!record_stored (self, action, entry, &local_error))
    g_assert (local_error != NULL);
  return _yp_sync_executor_finish_action (self, action, local_error, error);
}

static gboolean
send_batch (YpSyncExecutor  *self,
            GPtrArray       *actions,
            guint64          bytes,
            GError         **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) request_error = NULL;

  if (g_cancellable_set_error_if_cancelled (self->cancellable, error))
    return FALSE;
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_file_batch_entry_unref);
  for (guint i = 0; i < actions->len; i++)
    g_ptr_array_add (entries, entry_for_action (self, g_ptr_array_index (actions, i)));
  /* a limit on the upload rate holds for batches too */
  if (self->limiter != NULL
      && !yp_rate_limiter_consume (self->limiter, bytes, self->cancellable, error))
    return FALSE;
  g_debug ("Storing %u small files (%" G_GUINT64_FORMAT " bytes) in one request",
           actions->len, bytes);

  if (!yp_client_store_files_sync (self->client, entries, self->cancellable, &request_error))
    {
      /* nothing was stored: each upload failed as a single one would have */
      for (guint i = 0; i < actions->len; i++)
        if (!_yp_sync_executor_finish_action (self, g_ptr_array_index (actions, i),
                                              g_error_copy (request_error), error))
          return FALSE;
      return TRUE;
    }
  for (guint i = 0; i < actions->len; i++)
    if (!finish_entry (self, g_ptr_array_index (actions, i), g_ptr_array_index (entries, i),
                       error))
      return FALSE;
  return TRUE;
}

gboolean
_yp_sync_executor_batch_flush (YpSyncExecutor  *self,
                               GError         **error)
{
  g_autoptr(GPtrArray) actions = NULL;
  guint64 bytes = self->upload_batch_bytes;

  if (self->upload_batch->len == 0)
    return TRUE;
  actions = g_steal_pointer (&self->upload_batch);
  self->upload_batch = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  self->upload_batch_bytes = 0;
  return send_batch (self, actions, bytes, error);
}

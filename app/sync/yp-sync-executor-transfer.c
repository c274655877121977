/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-sync-executor-private.h"

/*
 * The executor's transfers: uploads, downloads and conflicts (a rename,
 * an upload and a download).
 *
 * A transfer reports its progress and its upload id in the main context
 * it was made in. The executor makes it in a context of its own, runs it
 * in a short-lived thread and iterates that context meanwhile, so that
 * the upload id is stored in the state, from the executor's thread like
 * every other write, as soon as the server gives it: an engine killed
 * midway resumes the upload instead of sending its bytes again.
 */

typedef struct
{
  /* borrowed */
  YpSyncExecutor       *self;
  YpTransfer           *transfer;
  const char           *path;
  const YpFileIdentity *identity;
  const char           *sha256;

  GMainContext         *context;
  gboolean              ok;
  GError               *error;
  GError               *record_error;
  int                   over;
} TransferRun;

static gpointer
transfer_thread (gpointer data)
{
  TransferRun *run = data;
  YpClient *client = run->self->client;

  if (yp_transfer_get_direction (run->transfer) == YP_TRANSFER_UPLOAD)
    run->ok = yp_client_upload_sync (client, run->transfer, &run->error);
  else
    run->ok = yp_client_download_sync (client, run->transfer, &run->error);
  g_atomic_int_set (&run->over, TRUE);
  g_main_context_wakeup (run->context);
  return NULL;
}

static void
transfer_upload_id_cb (YpTransfer  *transfer,
                       GParamSpec  *pspec,
                       TransferRun *run)
{
  g_autofree char *upload_id = yp_transfer_dup_upload_id (transfer);
  g_autoptr(YpSyncUpload) upload = NULL;

  /* NULL once complete: the record goes when the base has the file */
  if (upload_id == NULL || run->record_error != NULL)
    return;
  upload = yp_sync_upload_new (run->path, upload_id, run->identity, run->sha256);
  if (!yp_sync_state_put_upload_sync (run->self->state, upload, &run->record_error))
    yp_transfer_cancel (transfer);
}

static void
transfer_bytes_cb (YpTransfer  *transfer,
                   GParamSpec  *pspec,
                   TransferRun *run)
{
  guint64 done = yp_transfer_get_bytes_done (transfer);

  /* bytes in flight that a cancel or a restart takes back are not taken
   * back from the run's progress, which only moves forward */
  if (done <= run->self->bytes_current)
    return;
  run->self->bytes_current = done;
  _yp_sync_executor_progress (run->self);
}

static void
cancel_transfer_cb (GCancellable *cancellable,
                    YpTransfer   *transfer)
{
  yp_transfer_cancel (transfer);
}

/* Makes the context transfers are made in; the caller makes the transfer
 * then calls run_transfer(). */
static void
transfer_run_init (TransferRun    *run,
                   YpSyncExecutor *self,
                   const char     *path)
{
  *run = (TransferRun) { .self = self, .path = path, .context = g_main_context_new () };
  g_main_context_push_thread_default (run->context);
}

static gboolean
run_transfer (TransferRun  *run,
              YpTransfer   *transfer,
              GError      **error)
{
  YpSyncExecutor *self = run->self;
  gulong cancel_id = 0;
  GThread *thread;

  run->transfer = transfer;
  if (self->limiter != NULL && yp_transfer_get_direction (transfer) == YP_TRANSFER_UPLOAD)
    yp_transfer_set_rate_limiter (transfer, self->limiter);
  g_signal_connect (transfer, "notify::upload-id", G_CALLBACK (transfer_upload_id_cb), run);
  g_signal_connect (transfer, "notify::bytes-done", G_CALLBACK (transfer_bytes_cb), run);
  if (self->cancellable != NULL)
    cancel_id = g_cancellable_connect (self->cancellable, G_CALLBACK (cancel_transfer_cb),
                                       transfer, NULL);

  thread = g_thread_new ("yunpan-sync-transfer", transfer_thread, run);
  while (!g_atomic_int_get (&run->over))
    g_main_context_iteration (run->context, TRUE);
  g_thread_join (thread);
  /* the last notifications: the upload id may come with the outcome */
  while (g_main_context_pending (run->context))
    g_main_context_iteration (run->context, FALSE);

  if (cancel_id != 0)
    g_cancellable_disconnect (self->cancellable, cancel_id);
  g_signal_handlers_disconnect_by_data (transfer, run);
  g_main_context_pop_thread_default (run->context);
  g_clear_pointer (&run->context, g_main_context_unref);
  self->bytes_action += self->bytes_current;
  self->bytes_current = 0;

  if (run->record_error != NULL)
    {
      g_clear_error (&run->error);
      g_propagate_error (error, g_steal_pointer (&run->record_error));
      return FALSE;
    }
  if (!run->ok)
    {
      g_propagate_error (error, g_steal_pointer (&run->error));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Uploads
 * ------------------------------------------------------------------------ */

static void
identity_of_item (const YpSyncItem *item,
                  YpFileIdentity   *identity)
{
  *identity = (YpFileIdentity) {
    .device = item->device,
    .inode = item->inode,
    .size = item->size,
    .mtime_ns = item->mtime_ns,
  };
}

/* An upload of PATH an earlier run left, when it was started from the
 * file as LOCAL describes it; a stale one is dropped. */
static char *
dup_resumable_upload (YpSyncExecutor       *self,
                      const char           *path,
                      const YpFileIdentity *identity,
                      GError              **error)
{
  g_autoptr(YpSyncUpload) upload = yp_sync_state_lookup_upload_sync (self->state, path, error);

  if (upload == NULL)
    return NULL;
  if (yp_file_identity_equal (&upload->identity, identity))
    return g_strdup (upload->upload_id);
  if (!yp_sync_state_remove_upload_sync (self->state, path, error))
    return NULL;
  return NULL;
}

static gboolean
error_keeps_upload (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
         || g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK)
         || g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED);
}

/* Uploads the local file PATH (the plan saw LOCAL) at IF_VERSION, and puts
 * what was sent in the base. */
static gboolean
upload_file (YpSyncExecutor    *self,
             const char        *path,
             const YpSyncItem  *local,
             gint64             if_version,
             GError           **error)
{
  g_autofree char *local_path = _yp_sync_executor_local_path (self, path);
  g_autofree char *remote_path = NULL;
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *resume_id = NULL;
  g_autoptr(YpTransfer) transfer = NULL;
  g_autoptr(YpSyncItem) item = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean known_sha = local != NULL && local->sha256[0] != '\0';
  YpUploadOptions options = { .if_version = if_version, .keep_on_cancel = TRUE };
  YpFileIdentity identity = { 0 };
  TransferRun run;

  /* the upload's id must reach the disk as soon as it is known: no batch
   * may hold it back */
  if (!_yp_sync_executor_flush (self, error))
    return FALSE;
  if (local != NULL)
    identity_of_item (local, &identity);
  if (known_sha)
    {
      options.sha256 = local->sha256;
      options.identity = identity;
    }
  resume_id = dup_resumable_upload (self, path, &identity, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  options.resume_upload_id = resume_id;
  options.parent_id = _yp_sync_executor_parent_id (self, path);
  if (options.parent_id > 0)
    options.name = name;
  else
    remote_path = _yp_sync_executor_remote_path (self, path);

  transfer_run_init (&run, self, path);
  run.identity = &identity;
  run.sha256 = known_sha ? local->sha256 : "";
  transfer = yp_transfer_new_upload_full (local_path, remote_path, &options);
  if (!run_transfer (&run, transfer, &local_error))
    {
      if (!error_keeps_upload (local_error)
          && !yp_sync_state_remove_upload_sync (self->state, path, error))
        return FALSE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  item = yp_sync_item_new (path, YP_SYNC_KIND_FILE);
  if (!yp_transfer_get_uploaded_identity (transfer, &identity))
    g_assert_not_reached ();
  item->device = identity.device;
  item->inode = identity.inode;
  item->size = identity.size;
  item->mtime_ns = identity.mtime_ns;
  g_strlcpy (item->sha256, yp_node_get_sha256 (yp_transfer_get_node (transfer)),
             sizeof item->sha256);
  item->remote_id = yp_node_get_id (yp_transfer_get_node (transfer));
  item->remote_version = yp_node_get_version (yp_transfer_get_node (transfer));
  _yp_sync_executor_remember_id (self, path, item->remote_id);
  return yp_sync_state_remove_upload_sync (self->state, path, error)
         && _yp_sync_executor_put (self, item, error);
}

gboolean
_yp_sync_apply_upload (YpSyncExecutor  *self,
                       YpSyncAction    *action,
                       GError         **error)
{
  return upload_file (self, action->path, action->local, action->if_version, error);
}

/* ------------------------------------------------------------------------
 * Downloads
 * ------------------------------------------------------------------------ */

/* A download of REMOTE to the local PATH, replacing only LOCAL (NULL: the
 * name must be free). */
YpTransfer *
_yp_sync_executor_download_new (YpSyncExecutor   *self,
                                const char       *path,
                                const YpSyncItem *remote,
                                const YpSyncItem *local)
{
  g_autofree char *local_path = _yp_sync_executor_local_path (self, path);
  g_autofree char *remote_path = _yp_sync_executor_remote_path (self, path);
  YpDownloadOptions options = {
    .expected_sha256 = remote->sha256[0] != '\0' ? remote->sha256 : NULL,
    .expected_version = MAX (remote->remote_version, 0),
    .staging_dir = self->staging_dir,
    .target = local == NULL ? YP_DOWNLOAD_TARGET_ABSENT : YP_DOWNLOAD_TARGET_IDENTITY,
    /* as listed: no stat before each download */
    .known_id = remote->remote_id,
    .known_size = remote->size,
    .known_mtime = remote->mtime_ns / 1000000000,
  };

  if (local != NULL)
    {
      options.local_size = local->size;
      options.local_mtime_ns = local->mtime_ns;
      options.local_inode = local->inode;
    }
  return yp_transfer_new_download_full (remote_path, local_path, &options);
}

/* Puts the local file the download TRANSFER of REMOTE made at PATH in the
 * base. */
gboolean
_yp_sync_executor_record_download (YpSyncExecutor    *self,
                                   const char        *path,
                                   const YpSyncItem  *remote,
                                   YpTransfer        *transfer,
                                   GError           **error)
{
  g_autoptr(YpSyncItem) item = NULL;
  YpNode *node;

  /* the library gave the file the server's modification time */
  item = _yp_sync_executor_stat_local (self, path, error);
  if (item == NULL)
    return FALSE;
  node = yp_transfer_get_node (transfer);
  g_strlcpy (item->sha256, node != NULL ? yp_node_get_sha256 (node) : remote->sha256,
             sizeof item->sha256);
  item->remote_id = node != NULL ? yp_node_get_id (node) : remote->remote_id;
  item->remote_version = node != NULL ? yp_node_get_version (node) : remote->remote_version;
  return _yp_sync_executor_put (self, item, error);
}

/* Downloads REMOTE to the local PATH, replacing only LOCAL (NULL: the name
 * must be free), and puts the new local file in the base. */
static gboolean
download_file (YpSyncExecutor    *self,
               const char        *path,
               const YpSyncItem  *remote,
               const YpSyncItem  *local,
               GError           **error)
{
  g_autoptr(YpTransfer) transfer = NULL;
  TransferRun run;

  /* the library checks size, mtime and inode; the device is ours */
  if (local != NULL && !_yp_sync_executor_check_local (self, path, local, error))
    return FALSE;
  transfer_run_init (&run, self, path);
  transfer = _yp_sync_executor_download_new (self, path, remote, local);
  return run_transfer (&run, transfer, error)
         && _yp_sync_executor_record_download (self, path, remote, transfer, error);
}

gboolean
_yp_sync_apply_download (YpSyncExecutor  *self,
                         YpSyncAction    *action,
                         GError         **error)
{
  g_assert (action->remote != NULL);
  return download_file (self, action->path, action->remote, action->local, error);
}

/* ------------------------------------------------------------------------
 * Conflicts
 * ------------------------------------------------------------------------ */

gboolean
_yp_sync_apply_conflict (YpSyncExecutor  *self,
                         YpSyncAction    *action,
                         GError         **error)
{
  g_assert (action->local != NULL && action->remote != NULL && action->conflict_path != NULL);

  /* the local version keeps its inode and mtime across the rename, so the
   * plan's item still describes it under its new name */
  if (!_yp_sync_executor_check_local (self, action->path, action->local, error)
      || !_yp_sync_executor_rename_local (self, action->path, action->conflict_path, error)
      || !upload_file (self, action->conflict_path, action->local, YP_VERSION_NONE, error))
    return FALSE;
  return download_file (self, action->path, action->remote, NULL, error)
         && yp_sync_state_add_conflict_sync (self->state, action->path, action->conflict_path,
                                             g_get_real_time (), error);
}

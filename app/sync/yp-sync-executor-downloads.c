/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include "yp-file-batch.h"
#include "yp-sync-executor-private.h"

/*
 * Small downloads, several at a time: a first sync of thousands of small
 * files from the server is otherwise one round trip and the disk syncs of
 * one file after the other. Consecutive downloads of small files to names
 * that are free wait in a queue, which runs before any other action (but
 * a new folder: each download goes into a folder made before it) and when
 * it is full: a few threads, each with its own connection, take the next
 * file in turn. The outcomes are then told, and the base written, in the
 * plan's order, from the executor's thread.
 */

#define DOWNLOAD_QUEUE_MAX 64

typedef struct
{
  YpSyncAction *action;        /* borrowed from the queue */
  YpTransfer   *transfer;
  gboolean      ok;
  GError       *error;
} QueuedDownload;

typedef struct
{
  QueuedDownload *downloads;
  guint           n;
  guint           next;        /* atomic: the next one to take */
  const char     *base_url;
  const char     *token;
} DownloadRun;

gboolean
_yp_sync_executor_downloads_take (YpSyncExecutor *self,
                                  YpSyncAction   *action)
{
  return self->download_streams > 1 && action->kind == YP_SYNC_ACTION_DOWNLOAD
         && action->local == NULL && action->remote != NULL
         && action->remote->size <= YP_FILE_BATCH_MAX_FILE_SIZE;
}

gboolean
_yp_sync_executor_downloads_add (YpSyncExecutor  *self,
                                 YpSyncAction    *action,
                                 GError         **error)
{
  if (self->download_queue->len >= DOWNLOAD_QUEUE_MAX
      && !_yp_sync_executor_downloads_flush (self, error))
    return FALSE;
  g_ptr_array_add (self->download_queue, yp_sync_action_ref (action));
  return TRUE;
}

/* One stream: a client of its own, made and dropped in its thread, as
 * libsoup wants a session used from the thread it was made in. */
static gpointer
download_stream (gpointer data)
{
  DownloadRun *run = data;
  g_autoptr(YpClient) client = yp_client_new (run->base_url);
  guint i;

  yp_client_set_token (client, run->token);
  while ((i = (guint) g_atomic_int_add (&run->next, 1)) < run->n)
    {
      QueuedDownload *download = &run->downloads[i];

      download->ok = yp_client_download_sync (client, download->transfer, &download->error);
    }
  return NULL;
}

static void
cancel_all_cb (GCancellable *cancellable,
               DownloadRun  *run)
{
  for (guint i = 0; i < run->n; i++)
    yp_transfer_cancel (run->downloads[i].transfer);
}

static void
run_streams (YpSyncExecutor *self,
             DownloadRun    *run)
{
  guint n_streams = MIN (self->download_streams, run->n);
  g_autofree GThread **threads = g_new0 (GThread *, n_streams);
  gulong cancel_id = 0;

  if (self->cancellable != NULL)
    cancel_id = g_cancellable_connect (self->cancellable, G_CALLBACK (cancel_all_cb), run,
                                       NULL);
  for (guint i = 0; i < n_streams; i++)
    threads[i] = g_thread_new ("yunpan-sync-download", download_stream, run);
  for (guint i = 0; i < n_streams; i++)
    g_thread_join (threads[i]);
  if (cancel_id != 0)
    g_cancellable_disconnect (self->cancellable, cancel_id);
}

/* Tells the outcome of DOWNLOAD and puts its file in the base. */
static gboolean
finish_download (YpSyncExecutor  *self,
                 QueuedDownload  *download,
                 GError         **error)
{
  YpSyncAction *action = download->action;
  GError *local_error = g_steal_pointer (&download->error);

  if (download->ok
      && !_yp_sync_executor_record_download (self, action->path, action->remote,
                                             download->transfer, &local_error))
    g_assert (local_error != NULL);
  return _yp_sync_executor_finish_action (self, action, local_error, error);
}

gboolean
_yp_sync_executor_downloads_flush (YpSyncExecutor  *self,
                                   GError         **error)
{
  g_autoptr(GPtrArray) queue = g_steal_pointer (&self->download_queue);
  g_autofree char *token = yp_client_dup_token (self->client);
  DownloadRun run = {
    .n = queue->len,
    .base_url = yp_client_get_base_url (self->client),
    .token = token,
  };
  g_autoptr(GMainContext) context = NULL;
  gboolean ok = TRUE;

  self->download_queue = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  if (queue->len == 0)
    return TRUE;
  if (g_cancellable_set_error_if_cancelled (self->cancellable, error))
    return FALSE;

  /* the transfers tell their progress in the context they were made in:
   * one of the run's own, emptied once they are done */
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  run.downloads = g_new0 (QueuedDownload, queue->len);
  for (guint i = 0; i < queue->len; i++)
    {
      YpSyncAction *action = g_ptr_array_index (queue, i);

      run.downloads[i].action = action;
      run.downloads[i].transfer = _yp_sync_executor_download_new (self, action->path,
                                                                  action->remote, NULL);
    }
  g_debug ("Downloading %u small files, %u at a time", run.n,
           MIN (self->download_streams, run.n));
  run_streams (self, &run);
  while (g_main_context_pending (context))
    g_main_context_iteration (context, FALSE);
  g_main_context_pop_thread_default (context);

  for (guint i = 0; i < run.n; i++)
    {
      if (ok)
        ok = finish_download (self, &run.downloads[i], error);
      g_clear_error (&run.downloads[i].error);
      g_clear_object (&run.downloads[i].transfer);
    }
  g_free (run.downloads);
  return ok;
}

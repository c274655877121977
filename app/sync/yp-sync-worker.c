/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yp-client-error.h"
#include "yp-sync-engine-private.h"
#include "yp-sync-heap.h"
#include "yp-sync-error.h"

/*
 * The worker thread: opens the pair, then runs passes in its own main
 * loop whenever something may have changed. Passes block the thread (they
 * are sequences of blocking calls); what wakes them (the monitor, the push
 * stream, control requests) queues up in the context meanwhile.
 */

/* Offline, the next try waits twice as long each time, up to this. */
#define BACKOFF_MAX_S 60
/* Passes that still find work, one after the other, before waiting: the
 * other side may keep changing, and a pass that cannot converge must not
 * spin. */
#define PASSES_IN_A_ROW_MAX 8
/* Local changes come from the monitor already debounced. */
#define EVENT_DELAY_MS 20
/* A quiet engine gives its free memory back once more after this. */
#define IDLE_TRIM_DELAY_S 2

static gboolean run_pass_cb (gpointer data);

/* A timeout in the worker's context (g_timeout_add*() would run it in the
 * process's default one, in another thread). */
static GSource *
add_timeout (YpSyncWorker *worker,
             guint         seconds,
             GSourceFunc   callback)
{
  GSource *source = g_timeout_source_new_seconds (seconds);

  g_source_set_callback (source, callback, worker, NULL);
  g_source_attach (source, worker->context);
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

void
_yp_sync_worker_schedule (YpSyncWorker *worker,
                          guint         delay_ms)
{
  if (worker->stopping || worker->signed_out || worker->paused)
    return;
  if (worker->pass_source != NULL)
    {
      /* an earlier wake-up stands unless this one is sooner */
      gint64 due = g_source_get_ready_time (worker->pass_source);

      if (due >= 0 && due <= g_get_monotonic_time () + (gint64) delay_ms * 1000)
        return;
      g_source_destroy (worker->pass_source);
      g_clear_pointer (&worker->pass_source, g_source_unref);
    }
  worker->pass_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (worker->pass_source, run_pass_cb, worker, NULL);
  g_source_attach (worker->pass_source, worker->context);
}

static gboolean
is_offline_error (const GError *error)
{
  return g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK)
         || g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_RESOLVE)
         || g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_SERVER)
         || g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_RATE_LIMITED);
}

static gboolean
is_signed_out_error (const GError *error)
{
  return g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED)
         || g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID_CREDENTIALS);
}

static void
finish (YpSyncWorker *worker,
        gboolean      in_sync,
        const GError *error)
{
  _yp_sync_engine_post_finished (worker->engine, in_sync, error);
  worker->stopping = TRUE;
  g_main_loop_quit (worker->loop);
}

static void
go_signed_out (YpSyncWorker *worker,
               const GError *error)
{
  worker->signed_out = TRUE;
  _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_SIGNED_OUT,
                               error != NULL ? error->message : NULL);
  if (worker->once)
    finish (worker, FALSE, error);
}

/* After a failed pass: what the failure means for the pair. */
static void
pass_failed (YpSyncWorker *worker,
             const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (worker->paused)
        _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_PAUSED, NULL);
      return;
    }
  if (is_signed_out_error (error))
    {
      go_signed_out (worker, error);
      return;
    }
  if (is_offline_error (error))
    {
      worker->backoff_s = CLAMP (worker->backoff_s * 2, 1, BACKOFF_MAX_S);
      _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_OFFLINE, error->message);
      if (worker->once)
        finish (worker, FALSE, error);
      else
        _yp_sync_worker_schedule (worker, worker->backoff_s * 1000);
      return;
    }
  _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_ERROR, error->message);
  if (worker->once)
    finish (worker, FALSE, error);
  else
    _yp_sync_worker_schedule (worker, BACKOFF_MAX_S * 1000);
}

static void
post_records (YpSyncWorker *worker,
              gboolean      in_sync)
{
  g_autoptr(GPtrArray) conflicts = yp_sync_state_dup_conflicts_sync (worker->state, NULL);
  g_autoptr(GPtrArray) activity =
    yp_sync_state_dup_activity_sync (worker->state, 50, NULL);

  _yp_sync_engine_post_pass (worker->engine, in_sync, conflicts, activity);
}

static void
pass_succeeded (YpSyncWorker           *worker,
                const YpSyncPassResult *result)
{
  worker->backoff_s = 0;
  post_records (worker, result->in_sync);
  if (result->settled)
    {
      worker->passes_in_a_row = 0;
      _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_IDLE, NULL);
      if (worker->once)
        finish (worker, result->in_sync, NULL);
      return;
    }
  if (++worker->passes_in_a_row < PASSES_IN_A_ROW_MAX)
    {
      /* confirm what was done, or retry what was deferred */
      _yp_sync_worker_schedule (worker, result->did_work ? 0 : 1000);
      return;
    }
  worker->passes_in_a_row = 0;
  _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_IDLE, NULL);
  if (worker->once)
    finish (worker, FALSE, NULL);
}


/* A pass's trees are freed by now: the database's cache and the heap's
 * free pages go back, or an idle engine keeps the footprint of its biggest
 * pass. */
static void
give_back_memory (YpSyncWorker *worker)
{
  if (worker->state != NULL)
    yp_sync_state_release_memory (worker->state);
  yp_sync_heap_trim ();
}

static gboolean
idle_trim_cb (gpointer data)
{
  YpSyncWorker *worker = data;

  g_clear_pointer (&worker->trim_source, g_source_unref);
  give_back_memory (worker);
  return G_SOURCE_REMOVE;
}

static gboolean
run_pass_cb (gpointer data)
{
  YpSyncWorker *worker = data;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  YpSyncPassResult result = { 0 };
  gboolean ok;

  g_clear_pointer (&worker->pass_source, g_source_unref);
  if (worker->stopping || worker->paused || worker->signed_out)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&worker->lock);
  g_set_object (&worker->cancellable, cancellable);
  g_mutex_unlock (&worker->lock);

  ok = _yp_sync_pass_run (worker, &result, &error);

  g_mutex_lock (&worker->lock);
  g_clear_object (&worker->cancellable);
  g_mutex_unlock (&worker->lock);

  if (ok)
    pass_succeeded (worker, &result);
  else
    pass_failed (worker, error);
  give_back_memory (worker);
  /* and again once the engine is quiet: what the owner still held of the
   * pass (its posts, their actions) is freed by then */
  clear_source (&worker->trim_source);
  worker->trim_source = add_timeout (worker, IDLE_TRIM_DELAY_S, idle_trim_cb);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------
 * What wakes a pass
 * ------------------------------------------------------------------------ */

static void
monitor_changed_cb (YpSyncMonitor  *monitor,
                    char          **paths,
                    YpSyncWorker   *worker)
{
  for (guint i = 0; paths[i] != NULL; i++)
    g_hash_table_add (worker->dirty, g_strdup (paths[i]));
  _yp_sync_worker_schedule (worker, EVENT_DELAY_MS);
}

static void
monitor_overflow_cb (YpSyncMonitor *monitor,
                     YpSyncWorker  *worker)
{
  worker->full_scan = TRUE;
  _yp_sync_worker_schedule (worker, EVENT_DELAY_MS);
}

static void
events_changed_cb (YpEventStream *events,
                   gint64         cursor,
                   YpSyncWorker  *worker)
{
  /* our own changes come back this way too, and are already read; while
   * offline, the stream's reconnecting means the server is back */
  if (cursor > worker->remote_cursor || worker->backoff_s > 0)
    {
      worker->backoff_s = 0;
      _yp_sync_worker_schedule (worker, EVENT_DELAY_MS);
    }
}

static void
events_token_rejected_cb (YpEventStream *events,
                          YpSyncWorker  *worker)
{
  g_autoptr(GError) error = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED,
                                                 _("The server no longer accepts this session"));

  g_mutex_lock (&worker->lock);
  if (worker->cancellable != NULL)
    g_cancellable_cancel (worker->cancellable);
  g_mutex_unlock (&worker->lock);
  go_signed_out (worker, error);
}

static gboolean
interval_cb (gpointer data)
{
  YpSyncWorker *worker = data;

  /* for what no event reported */
  worker->full_scan = TRUE;
  _yp_sync_worker_schedule (worker, 0);
  return G_SOURCE_CONTINUE;
}

static void
action_finished_cb (YpSyncExecutor *executor,
                    YpSyncAction   *action,
                    int             outcome,
                    const GError   *error,
                    YpSyncWorker   *worker)
{
  if (outcome == YP_SYNC_OUTCOME_DEFERRED || outcome == YP_SYNC_OUTCOME_FAILED
      || outcome == YP_SYNC_OUTCOME_SKIPPED)
    worker->n_unfinished++;
  /* a path that cannot be synced is skipped by every pass: say it once */
  if (outcome == YP_SYNC_OUTCOME_SKIPPED
      && !g_hash_table_add (worker->reported_problems, g_strdup (action->path)))
    return;
  _yp_sync_engine_post_action (worker->engine, action, outcome, error);
}

static void
progress_cb (YpSyncExecutor *executor,
             guint           items_done,
             guint           items_total,
             guint64         bytes_done,
             guint64         bytes_total,
             YpSyncWorker   *worker)
{
  _yp_sync_engine_post_progress (worker->engine, items_total - MIN (items_done, items_total),
                                 bytes_total - MIN (bytes_done, bytes_total));
}

/* ------------------------------------------------------------------------
 * Opening the pair
 * ------------------------------------------------------------------------ */

/* Downloads are staged beside the state, when that is on the synced
 * folder's file system (a commit is a rename); else in the folder itself,
 * under a name the ignore rules always leave out. */
static char *
choose_staging_dir (YpSyncWorker *worker)
{
  g_autofree char *beside_state =
    g_strconcat (yp_sync_state_get_path (worker->state), ".staging", NULL);
  g_autofree char *state_dir = g_path_get_dirname (beside_state);
  struct stat local_st, state_st;

  if (g_stat (worker->local_path, &local_st) == 0 && g_stat (state_dir, &state_st) == 0
      && local_st.st_dev == state_st.st_dev)
    return g_steal_pointer (&beside_state);
  return g_build_filename (worker->local_path, ".yunpan-staging", NULL);
}

/* Whether the local folder's file system folds case (vfat, exFAT, a
 * case-folding ext4 folder): then it cannot hold "a.txt" beside "A.txt". */
static gboolean
folds_case (const char *folder)
{
  g_autofree char *lower = g_build_filename (folder, ".yunpan-case-probe", NULL);
  g_autofree char *upper = g_build_filename (folder, ".YUNPAN-CASE-PROBE", NULL);
  gboolean folds;
  int fd;

  fd = g_open (lower, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return FALSE;
  close (fd);
  folds = g_file_test (upper, G_FILE_TEST_EXISTS);
  g_unlink (lower);
  return folds;
}

static gboolean
make_folder (const char  *path,
             GError     **error)
{
  int saved_errno;

  if (g_mkdir_with_parents (path, 0700) == 0)
    return TRUE;
  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Cannot create the folder “%s”: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
open_pair (YpSyncWorker  *worker,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(YpNode) root = NULL;
  g_autoptr(YpSyncPair) pair = NULL;

  if (!make_folder (worker->local_path, error))
    return FALSE;
  worker->client = yp_client_new (worker->server);
  yp_client_set_token (worker->client, worker->token);
  if (!yp_client_whoami_sync (worker->client, NULL, cancellable, error))
    return FALSE;
  root = yp_client_mkdir_sync (worker->client, YP_TARGET_PATH (worker->remote_path), TRUE,
                               cancellable, error);
  if (root == NULL)
    return FALSE;
  if (!yp_node_is_folder (root))
    {
      g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_FAILED,
                   _("“%s” on the server is a file, not a folder"), worker->remote_path);
      return FALSE;
    }
  worker->root_id = yp_node_get_id (root);
  worker->case_insensitive = folds_case (worker->local_path);
  pair = yp_sync_pair_new (yp_client_get_base_url (worker->client),
                           yp_client_get_username (worker->client), worker->local_path,
                           worker->root_id, worker->remote_path);
  worker->state = yp_sync_state_open_sync (pair, cancellable, error);
  if (worker->state == NULL)
    return FALSE;
  if (!yp_sync_state_set_remote_path_sync (worker->state, worker->remote_path, error))
    return FALSE;
  worker->staging_dir = choose_staging_dir (worker);
  if (!make_folder (worker->staging_dir, error))
    return FALSE;
  worker->executor = yp_sync_executor_new (worker->client, worker->state, worker->staging_dir);
  g_signal_connect (worker->executor, "action-finished", G_CALLBACK (action_finished_cb), worker);
  g_signal_connect (worker->executor, "progress", G_CALLBACK (progress_cb), worker);
  return TRUE;
}

/* Opens the pair, retrying while offline; FALSE when it cannot be run. */
static gboolean
open_pair_retrying (YpSyncWorker *worker)
{
  guint backoff_s = 0;

  for (;;)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GError) error = NULL;

      g_mutex_lock (&worker->lock);
      g_set_object (&worker->cancellable, cancellable);
      g_mutex_unlock (&worker->lock);
      if (!worker->stopping && open_pair (worker, cancellable, &error))
        return TRUE;
      if (worker->stopping || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return FALSE;
      /* a half-opened pair is opened again from the start */
      g_clear_object (&worker->executor);
      g_clear_object (&worker->state);
      g_clear_object (&worker->client);
      g_clear_pointer (&worker->staging_dir, g_free);
      if (is_signed_out_error (error))
        {
          _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_SIGNED_OUT, error->message);
          _yp_sync_engine_post_finished (worker->engine, FALSE, error);
          return FALSE;
        }
      if (!is_offline_error (error) || worker->once)
        {
          _yp_sync_engine_post_status (worker->engine,
                                       is_offline_error (error) ? YP_SYNC_STATUS_OFFLINE
                                                                : YP_SYNC_STATUS_ERROR,
                                       error->message);
          _yp_sync_engine_post_finished (worker->engine, FALSE, error);
          return FALSE;
        }
      _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_OFFLINE, error->message);
      backoff_s = CLAMP (backoff_s * 2, 1, BACKOFF_MAX_S);
      /* a stop cancels this wait */
      for (guint i = 0; i < backoff_s * 10 && !g_cancellable_is_cancelled (cancellable); i++)
        g_usleep (100 * G_TIME_SPAN_MILLISECOND);
    }
}

static void
start_watching (YpSyncWorker *worker)
{
  g_autofree char *ignore_path =
    g_build_filename (worker->local_path, YP_SYNC_ENGINE_IGNORE_FILE, NULL);
  g_autoptr(YpSyncIgnore) ignore = yp_sync_ignore_new_from_file (ignore_path, NULL);

  worker->monitor = yp_sync_monitor_new (worker->local_path, ignore);
  g_signal_connect (worker->monitor, "changed", G_CALLBACK (monitor_changed_cb), worker);
  g_signal_connect (worker->monitor, "overflow", G_CALLBACK (monitor_overflow_cb), worker);
  yp_sync_monitor_start (worker->monitor);

  worker->events = yp_event_stream_new (worker->client);
  g_signal_connect (worker->events, "changed", G_CALLBACK (events_changed_cb), worker);
  g_signal_connect (worker->events, "token-rejected", G_CALLBACK (events_token_rejected_cb),
                    worker);
  yp_event_stream_start (worker->events);

  worker->interval_source = add_timeout (worker, worker->full_pass_interval_s, interval_cb);
}

static void
stop_watching (YpSyncWorker *worker)
{
  if (worker->monitor != NULL)
    yp_sync_monitor_stop (worker->monitor);
  if (worker->events != NULL)
    yp_event_stream_stop (worker->events);
  g_clear_object (&worker->monitor);
  g_clear_object (&worker->events);
  clear_source (&worker->interval_source);
  clear_source (&worker->trim_source);
  if (worker->pass_source != NULL)
    g_source_destroy (worker->pass_source);
  g_clear_pointer (&worker->pass_source, g_source_unref);
}

gpointer
_yp_sync_worker_main (gpointer data)
{
  YpSyncWorker *worker = data;

  g_main_context_push_thread_default (worker->context);
  worker->loop = g_main_loop_new (worker->context, FALSE);
  worker->reported_problems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  worker->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (open_pair_retrying (worker))
    {
      if (!worker->once)
        start_watching (worker);
      if (worker->paused)
        _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_PAUSED, NULL);
      _yp_sync_worker_schedule (worker, 0);
      if (!worker->stopping)
        g_main_loop_run (worker->loop);
      stop_watching (worker);
    }

  /* what a stop interrupted was committed by the executor; the rest goes
   * with the objects, in this thread, where libsoup wants them released */
  g_clear_object (&worker->executor);
  g_clear_object (&worker->state);
  g_clear_pointer (&worker->remote, yp_sync_tree_unref);
  g_clear_object (&worker->client);
  /* a stop from the owner's thread may be cancelling it right now */
  g_mutex_lock (&worker->lock);
  g_clear_object (&worker->cancellable);
  g_mutex_unlock (&worker->lock);
  /* sources the objects left behind run no more */
  while (g_main_context_iteration (worker->context, FALSE))
    ;
  g_main_context_pop_thread_default (worker->context);
  return NULL;
}

void
_yp_sync_worker_free (YpSyncWorker *worker)
{
  g_free (worker->server);
  g_free (worker->token);
  g_free (worker->local_path);
  g_free (worker->remote_path);
  g_free (worker->host);
  g_free (worker->staging_dir);
  g_clear_pointer (&worker->reported_problems, g_hash_table_unref);
  g_clear_pointer (&worker->dirty, g_hash_table_unref);
  g_clear_pointer (&worker->loop, g_main_loop_unref);
  g_main_context_unref (worker->owner_context);
  g_main_context_unref (worker->context);
  g_mutex_clear (&worker->lock);
  g_free (worker);
}

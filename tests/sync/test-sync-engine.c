/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The engine against a real server: what wakes a pass (the folder's
 * monitor, the server's push stream), its status as a window sees it,
 * pause and resume, a second engine on the same pair, a session the
 * server ends, and a once run's conflicts.
 */
#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-sync-engine.h"
#include "yp-sync-error.h"
#include "yp-sync-state.h"
#include "yp-sync-test-fixture.h"

typedef struct
{
  Fixture      *f;
  char         *local;
  YpSyncEngine *engine;
  GArray       *statuses;   /* YpSyncStatus, as notified */
  guint         passes;
  gboolean      in_sync;
  gboolean      finished;
  GError       *finish_error;
  GPtrArray    *skipped;    /* paths of actions skipped */
} Run;

static void
action_finished_cb (YpSyncEngine *engine,
                    YpSyncAction *action,
                    int           outcome,
                    const GError *error,
                    Run          *run)
{
  if (outcome == YP_SYNC_OUTCOME_SKIPPED)
    g_ptr_array_add (run->skipped, g_strdup (action->path));
}

static void
status_cb (YpSyncEngine *engine,
           GParamSpec   *pspec,
           Run          *run)
{
  YpSyncStatus status = yp_sync_engine_get_status (engine);

  g_array_append_val (run->statuses, status);
}

static void
pass_finished_cb (YpSyncEngine *engine,
                  gboolean      in_sync,
                  Run          *run)
{
  run->passes++;
  run->in_sync = in_sync;
}

static void
finished_cb (YpSyncEngine *engine,
             gboolean      in_sync,
             const GError *error,
             Run          *run)
{
  run->finished = TRUE;
  run->in_sync = in_sync;
  g_clear_error (&run->finish_error);
  run->finish_error = error != NULL ? g_error_copy (error) : NULL;
}

static YpSyncEngine *
new_engine (Run        *run,
            const char *local)
{
  g_autofree char *token = yp_client_dup_token (run->f->client);
  YpSyncEngine *engine = yp_sync_engine_new (run->f->server->url, token, local, "/Sync");

  yp_sync_engine_set_host (engine, "laptop");
  g_signal_connect (engine, "notify::status", G_CALLBACK (status_cb), run);
  g_signal_connect (engine, "pass-finished", G_CALLBACK (pass_finished_cb), run);
  g_signal_connect (engine, "finished", G_CALLBACK (finished_cb), run);
  g_signal_connect (engine, "action-finished", G_CALLBACK (action_finished_cb), run);
  return engine;
}

static void
run_init (Run     *run,
          Fixture *f)
{
  run->f = f;
  run->local = g_build_filename (f->dir, "local", NULL);
  run->statuses = g_array_new (FALSE, FALSE, sizeof (YpSyncStatus));
  run->skipped = g_ptr_array_new_with_free_func (g_free);
  run->engine = new_engine (run, run->local);
}

static void
run_clear (Run *run)
{
  if (run->engine != NULL)
    {
      yp_sync_engine_stop (run->engine);
      flush_main_context ();
      g_signal_handlers_disconnect_by_data (run->engine, run);
      assert_released (G_OBJECT (g_steal_pointer (&run->engine)));
    }
  g_clear_pointer (&run->statuses, g_array_unref);
  g_clear_pointer (&run->skipped, g_ptr_array_unref);
  g_clear_pointer (&run->local, g_free);
  g_clear_error (&run->finish_error);
}

typedef gboolean (*Condition) (Run *run, gconstpointer data);

/* Iterates the main context until CONDITION holds; fails after TIMEOUT_MS.
 * Returns how long it took, in milliseconds. */
static gint64
wait_until (Run           *run,
            Condition      condition,
            gconstpointer  data,
            guint          timeout_ms,
            const char    *what)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) timeout_ms * 1000;

  while (!condition (run, data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: not after %u ms (status %s)", what, timeout_ms,
                 yp_sync_status_to_string (yp_sync_engine_get_status (run->engine)));
      iterate_for (20);
    }
  return (g_get_monotonic_time () - start) / 1000;
}

static gboolean
is_idle_in_sync (Run           *run,
                 gconstpointer  data)
{
  return yp_sync_engine_get_status (run->engine) == YP_SYNC_STATUS_IDLE && run->in_sync;
}

static gboolean
has_status (Run           *run,
            gconstpointer  data)
{
  return (int) yp_sync_engine_get_status (run->engine) == GPOINTER_TO_INT (data);
}

static gboolean
remote_exists (Run           *run,
               gconstpointer  data)
{
  g_autofree char *path = g_build_filename ("/Sync", data, NULL);
  g_autoptr(YpNode) node = yp_client_stat_sync (run->f->client, YP_TARGET_PATH (path), NULL,
                                                NULL);

  return node != NULL;
}

static gboolean
local_exists (Run           *run,
              gconstpointer  data)
{
  g_autofree char *path = g_build_filename (run->local, data, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
is_finished (Run           *run,
             gconstpointer  data)
{
  return run->finished;
}

static void
write_file (Run        *run,
             const char *name,
             const char *contents)
{
  g_autofree char *path = g_build_filename (run->local, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
put_remote (Run        *run,
            const char *name,
            const char *contents)
{
  g_autofree char *local = g_build_filename (run->f->dir, "upload", NULL);
  g_autofree char *remote = g_build_filename ("/Sync", name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(YpTransfer) transfer = NULL;

  g_file_set_contents (local, contents, -1, &error);
  g_assert_no_error (error);
  /* replacing whatever version is there, as another client would */
  transfer = yp_transfer_new_upload (local, remote, YP_VERSION_ANY);
  yp_client_upload_sync (run->f->client, transfer, &error);
  g_assert_no_error (error);
}

static gboolean
saw_status (Run          *run,
            YpSyncStatus  status)
{
  for (guint i = 0; i < run->statuses->len; i++)
    if (g_array_index (run->statuses, YpSyncStatus, i) == status)
      return TRUE;
  return FALSE;
}

static void
start_and_settle (Run *run)
{
  yp_sync_engine_start (run->engine);
  wait_until (run, is_idle_in_sync, NULL, 20000, "first pass in sync");
}

/* The first pass uploads what is there, going through its statuses, and
 * the status ends idle with a last-sync time. */
static void
test_first_pass (Fixture       *f,
                 gconstpointer  data)
{
  Run run = { 0 };

  run_init (&run, f);
  g_assert_cmpint (g_mkdir (run.local, 0700), ==, 0);
  write_file (&run, "a.txt", "alpha");
  write_file (&run, "b.txt", "beta");
  g_assert_cmpint (yp_sync_engine_get_status (run.engine), ==, YP_SYNC_STATUS_STOPPED);

  start_and_settle (&run);
  g_assert_true (remote_exists (&run, "a.txt"));
  g_assert_true (remote_exists (&run, "b.txt"));
  g_assert_true (saw_status (&run, YP_SYNC_STATUS_STARTING));
  g_assert_true (saw_status (&run, YP_SYNC_STATUS_SCANNING));
  g_assert_true (saw_status (&run, YP_SYNC_STATUS_SYNCING));
  g_assert_cmpint (yp_sync_engine_get_last_sync (run.engine), >, 0);
  g_assert_cmpuint (yp_sync_engine_get_items_left (run.engine), ==, 0);

  yp_sync_engine_stop (run.engine);
  g_assert_cmpint (yp_sync_engine_get_status (run.engine), ==, YP_SYNC_STATUS_STOPPED);
  run_clear (&run);
}

/* A saved file reaches the server without a full-scan timer: the
 * folder's monitor wakes a pass. */
static void
test_local_change_wakes (Fixture       *f,
                         gconstpointer  data)
{
  Run run = { 0 };
  gint64 ms;

  run_init (&run, f);
  start_and_settle (&run);
  write_file (&run, "saved.txt", "saved");
  ms = wait_until (&run, remote_exists, "saved.txt", 5000, "local save on the server");
  g_test_message ("local save on the server after %" G_GINT64_FORMAT " ms", ms);
  run_clear (&run);
}

/* A change made on the server by another client is written locally within
 * a couple of seconds: the push stream wakes a pass, nothing polls. */
static void
test_remote_change_wakes (Fixture       *f,
                          gconstpointer  data)
{
  Run run = { 0 };
  gint64 ms;

  run_init (&run, f);
  start_and_settle (&run);
  put_remote (&run, "pushed.txt", "from elsewhere");
  ms = wait_until (&run, local_exists, "pushed.txt", 2000, "remote change written locally");
  g_test_message ("remote change local after %" G_GINT64_FORMAT " ms", ms);
  run_clear (&run);
}

/* Paused, nothing is synced; resumed, what waited is synced. */
static void
test_pause_resume (Fixture       *f,
                   gconstpointer  data)
{
  Run run = { 0 };

  run_init (&run, f);
  start_and_settle (&run);
  yp_sync_engine_pause (run.engine);
  g_assert_true (yp_sync_engine_get_paused (run.engine));
  wait_until (&run, has_status, GINT_TO_POINTER (YP_SYNC_STATUS_PAUSED), 2000, "paused");

  write_file (&run, "while-paused.txt", "later");
  put_remote (&run, "remote-while-paused.txt", "later too");
  iterate_for (1500);
  g_assert_false (remote_exists (&run, "while-paused.txt"));
  g_assert_false (local_exists (&run, "remote-while-paused.txt"));
  g_assert_cmpint (yp_sync_engine_get_status (run.engine), ==, YP_SYNC_STATUS_PAUSED);

  run.in_sync = FALSE;
  g_object_set (run.engine, "paused", FALSE, NULL);
  wait_until (&run, is_idle_in_sync, NULL, 10000, "in sync after resume");
  g_assert_true (remote_exists (&run, "while-paused.txt"));
  g_assert_true (local_exists (&run, "remote-while-paused.txt"));
  run_clear (&run);
}

/* One engine per pair: a second one on the same folders ends at once
 * with a clear error, and the first goes on. */
static void
test_second_engine_refused (Fixture       *f,
                            gconstpointer  data)
{
  Run run = { 0 };
  Run second = { 0 };

  run_init (&run, f);
  start_and_settle (&run);

  run_init (&second, f);
  yp_sync_engine_start (second.engine);
  wait_until (&second, is_finished, NULL, 10000, "second engine refused");
  g_assert_error (second.finish_error, YP_SYNC_ERROR, YP_SYNC_ERROR_LOCKED);
  g_assert_cmpint (yp_sync_engine_get_status (second.engine), ==, YP_SYNC_STATUS_ERROR);
  g_assert_nonnull (yp_sync_engine_get_status_detail (second.engine));
  run_clear (&second);

  write_file (&run, "still-synced.txt", "yes");
  wait_until (&run, remote_exists, "still-synced.txt", 5000, "first engine goes on");
  run_clear (&run);
}

/* The server ends the session: "signed out", and nothing is deleted. */
static void
test_signed_out (Fixture       *f,
                 gconstpointer  data)
{
  Run run = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *kept = NULL;

  run_init (&run, f);
  g_assert_cmpint (g_mkdir (run.local, 0700), ==, 0);
  write_file (&run, "keep.txt", "mine");
  start_and_settle (&run);

  yp_client_logout_sync (f->client, NULL, &error);
  g_assert_no_error (error);
  write_file (&run, "after.txt", "also mine");
  wait_until (&run, has_status, GINT_TO_POINTER (YP_SYNC_STATUS_SIGNED_OUT), 5000,
              "signed out");
  kept = g_build_filename (run.local, "keep.txt", NULL);
  g_assert_true (g_file_test (kept, G_FILE_TEST_IS_REGULAR));
  g_assert_true (local_exists (&run, "after.txt"));
  run_clear (&run);
}

/* A once run stops by itself; a conflict it made is in the engine's list. */
static void
test_once_conflict (Fixture       *f,
                    gconstpointer  data)
{
  Run run = { 0 };
  Run again = { 0 };
  g_autoptr(GPtrArray) conflicts = NULL;
  YpSyncConflict *conflict;

  run_init (&run, f);
  yp_sync_engine_set_once (run.engine, TRUE);
  g_assert_cmpint (g_mkdir (run.local, 0700), ==, 0);
  write_file (&run, "report.txt", "first");
  yp_sync_engine_start (run.engine);
  wait_until (&run, is_finished, NULL, 20000, "once run finished");
  g_assert_no_error (run.finish_error);
  g_assert_true (run.in_sync);
  run_clear (&run);

  run_init (&again, f);
  write_file (&again, "report.txt", "edited here");
  put_remote (&again, "report.txt", "edited there");
  yp_sync_engine_set_once (again.engine, TRUE);
  yp_sync_engine_start (again.engine);
  wait_until (&again, is_finished, NULL, 20000, "second once run finished");
  g_assert_true (again.in_sync);

  conflicts = yp_sync_engine_dup_conflicts (again.engine);
  g_assert_cmpuint (conflicts->len, ==, 1);
  conflict = conflicts->pdata[0];
  g_assert_cmpstr (conflict->path, ==, "report.txt");
  g_assert_true (g_str_has_prefix (conflict->copy_path, "report (conflict "));
  g_assert_true (local_exists (&again, conflict->copy_path));
  g_assert_true (remote_exists (&again, conflict->copy_path));
  run_clear (&again);
}

/* A local name the server refuses is reported once and left alone; the
 * rest is synced, and a once run says the sides are not identical. */
static void
test_invalid_name_skipped (Fixture       *f,
                           gconstpointer  data)
{
  Run run = { 0 };

  run_init (&run, f);
  yp_sync_engine_set_once (run.engine, TRUE);
  g_assert_cmpint (g_mkdir (run.local, 0700), ==, 0);
  write_file (&run, "tab\tin name.txt", "control character");
  write_file (&run, "fine.txt", "fine");
  yp_sync_engine_start (run.engine);
  wait_until (&run, is_finished, NULL, 20000, "once run finished");
  g_assert_no_error (run.finish_error);
  g_assert_false (run.in_sync);
  g_assert_cmpuint (run.skipped->len, ==, 1);
  g_assert_cmpstr (run.skipped->pdata[0], ==, "tab\tin name.txt");
  g_assert_true (remote_exists (&run, "fine.txt"));
  g_assert_true (local_exists (&run, "tab\tin name.txt"));
  run_clear (&run);
}

/* Nothing answers: the engine says offline and keeps trying, and a once
 * run ends with the network error. */
/* Iterates CONTEXT alone for MS milliseconds, or until *PASSES exceeds
 * ABOVE. */
static void
iterate_context (GMainContext *context,
                 guint         ms,
                 const guint  *passes,
                 guint         above)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end && *passes <= above)
    if (!g_main_context_iteration (context, FALSE))
      g_usleep (1000);
}

/* The full pass for what no event reported runs in the engine's own
 * thread: an owner whose thread iterates only a context of its own, never
 * the process's default one, still gets it. */
static void
test_full_pass_interval (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  Run run = { 0 };
  guint passes;

  g_main_context_push_thread_default (context);
  run_init (&run, f);
  yp_sync_engine_set_full_pass_interval (run.engine, 1);
  yp_sync_engine_start (run.engine);
  iterate_context (context, 20000, &run.passes, 0);
  g_assert_cmpuint (run.passes, >, 0);
  /* the first pass's confirmation, if any, then quiet */
  iterate_context (context, 500, &run.passes, G_MAXUINT);
  passes = run.passes;

  iterate_context (context, 5000, &run.passes, passes);
  g_assert_cmpuint (run.passes, >, passes);

  yp_sync_engine_stop (run.engine);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  run_clear (&run);
}

static void
test_offline (Fixture       *f,
              gconstpointer  data)
{
  Run run = { 0 };
  Run once = { 0 };
  g_autofree char *local = g_build_filename (f->dir, "offline", NULL);

  run.f = f;
  run.local = g_strdup (local);
  run.statuses = g_array_new (FALSE, FALSE, sizeof (YpSyncStatus));
  run.skipped = g_ptr_array_new_with_free_func (g_free);
  run.engine = yp_sync_engine_new ("http://127.0.0.1:9", "no-token", local, "/Sync");
  g_signal_connect (run.engine, "notify::status", G_CALLBACK (status_cb), &run);
  g_signal_connect (run.engine, "finished", G_CALLBACK (finished_cb), &run);
  yp_sync_engine_start (run.engine);
  wait_until (&run, has_status, GINT_TO_POINTER (YP_SYNC_STATUS_OFFLINE), 10000, "offline");
  g_assert_nonnull (yp_sync_engine_get_status_detail (run.engine));
  iterate_for (1500);
  g_assert_false (run.finished);
  /* a stop ends the wait between tries at once */
  run_clear (&run);

  once.f = f;
  once.local = g_strdup (local);
  once.statuses = g_array_new (FALSE, FALSE, sizeof (YpSyncStatus));
  once.skipped = g_ptr_array_new_with_free_func (g_free);
  once.engine = yp_sync_engine_new ("http://127.0.0.1:9", "no-token", local, "/Sync");
  yp_sync_engine_set_once (once.engine, TRUE);
  g_signal_connect (once.engine, "notify::status", G_CALLBACK (status_cb), &once);
  g_signal_connect (once.engine, "finished", G_CALLBACK (finished_cb), &once);
  yp_sync_engine_start (once.engine);
  wait_until (&once, is_finished, NULL, 10000, "once run given up");
  g_assert_error (once.finish_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK);
  run_clear (&once);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = g_dir_make_tmp ("yp-sync-engine-XXXXXX", &error);
  int status;

  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/sync/engine/first-pass", test_first_pass);
  fixture_add ("/yunpan/sync/engine/local-change-wakes", test_local_change_wakes);
  fixture_add ("/yunpan/sync/engine/remote-change-wakes", test_remote_change_wakes);
  fixture_add ("/yunpan/sync/engine/pause-resume", test_pause_resume);
  fixture_add ("/yunpan/sync/engine/second-engine-refused", test_second_engine_refused);
  fixture_add ("/yunpan/sync/engine/signed-out", test_signed_out);
  fixture_add ("/yunpan/sync/engine/once-conflict", test_once_conflict);
  fixture_add ("/yunpan/sync/engine/invalid-name-skipped", test_invalid_name_skipped);
  fixture_add ("/yunpan/sync/engine/offline", test_offline);
  fixture_add ("/yunpan/sync/engine/full-pass-interval", test_full_pass_interval);

  status = g_test_run ();
  remove_tree (data_home);
  return status;
}

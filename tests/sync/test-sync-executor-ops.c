/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The executor against a real server, for what is not a transfer: folders
 * made, files and folders deleted and moved, conflicts, and whole runs (the
 * base committed in batches, a failing action, a run stopped midway).
 */
#include <sqlite3.h>
#include <string.h>

#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-sync-test-fixture.h"

/* ------------------------------------------------------------------------
 * Deletes
 * ------------------------------------------------------------------------ */

/* Files deleted on the server go locally, unless they changed since the
 * plan was made. */
static void
test_delete_local (Fixture       *f,
                   gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *gone = NULL, *kept = NULL;
  g_autoptr(YpSyncItem) item = NULL;

  pair_init (&p, f);
  write_local (&p, "gone.txt", "delete me");
  write_local (&p, "kept.txt", "keep me");
  sync_pass (&p);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *remote_file = remote_path (i == 0 ? "gone.txt" : "kept.txt");

      yp_client_delete_sync (f->client, YP_TARGET_PATH (remote_file), YP_VERSION_ANY, NULL,
                             NULL, &error);
      g_assert_no_error (error);
    }
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_DELETE_LOCAL, "gone.txt");
  find_action (plan, YP_SYNC_ACTION_DELETE_LOCAL, "kept.txt");
  edit_local (&p, "kept.txt", "edited after the plan");
  execute (&p, plan, remote);

  g_assert_cmpint (outcome_of (&p, "gone.txt"), ==, YP_SYNC_OUTCOME_DONE);
  gone = local_path (&p, "gone.txt");
  g_assert_false (g_file_test (gone, G_FILE_TEST_EXISTS));
  item = base_item (&p, "gone.txt");
  g_assert_null (item);

  g_assert_cmpint (outcome_of (&p, "kept.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_local (&p, "kept.txt", "edited after the plan");
  item = base_item (&p, "kept.txt");
  g_assert_nonnull (item);

  /* the next pass restores the edit on the server */
  sync_pass (&p);
  assert_remote (&p, "kept.txt", "edited after the plan");
  pair_clear (&p);
}

/* Files deleted here go on the server, only at the version the base has. */
static void
test_delete_remote (Fixture       *f,
                    gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpNode) gone = NULL, newer = NULL;
  g_autofree char *file = NULL;
  g_autoptr(YpSyncItem) item = NULL;

  pair_init (&p, f);
  write_local (&p, "gone.txt", "delete me");
  write_local (&p, "kept.txt", "keep me");
  sync_pass (&p);
  file = local_path (&p, "gone.txt");
  g_assert_cmpint (g_unlink (file), ==, 0);
  g_free (file);
  file = local_path (&p, "kept.txt");
  g_assert_cmpint (g_unlink (file), ==, 0);
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_DELETE_REMOTE, "gone.txt");
  find_action (plan, YP_SYNC_ACTION_DELETE_REMOTE, "kept.txt");
  newer = write_remote (&p, "kept.txt", "a newer version");
  execute (&p, plan, remote);

  g_assert_cmpint (outcome_of (&p, "gone.txt"), ==, YP_SYNC_OUTCOME_DONE);
  gone = stat_remote (&p, "gone.txt");
  g_assert_null (gone);
  item = base_item (&p, "gone.txt");
  g_assert_null (item);

  g_assert_cmpint (outcome_of (&p, "kept.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_remote (&p, "kept.txt", "a newer version");
  item = base_item (&p, "kept.txt");
  g_assert_nonnull (item);
  pair_clear (&p);
}

/* A folder deleted on the server goes here once its files went, unless a
 * file was put in it after the plan was made. */
static void
test_delete_local_folder (Fixture       *f,
                          gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old = NULL, *kept = NULL;
  g_autoptr(YpSyncItem) item = NULL;

  pair_init (&p, f);
  old = local_path (&p, "Old");
  kept = local_path (&p, "Kept");
  g_assert_cmpint (g_mkdir (old, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (kept, 0700), ==, 0);
  write_local (&p, "Old/a.txt", "a");
  write_local (&p, "Kept/b.txt", "b");
  sync_pass (&p);
  yp_client_delete_sync (f->client, YP_TARGET_PATH ("/Sync/Old"), YP_VERSION_ANY, NULL, NULL,
                         &error);
  g_assert_no_error (error);
  yp_client_delete_sync (f->client, YP_TARGET_PATH ("/Sync/Kept"), YP_VERSION_ANY, NULL, NULL,
                         &error);
  g_assert_no_error (error);
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_DELETE_LOCAL, "Old");
  find_action (plan, YP_SYNC_ACTION_DELETE_LOCAL, "Kept/b.txt");
  find_action (plan, YP_SYNC_ACTION_DELETE_LOCAL, "Kept");
  write_local (&p, "Kept/new.txt", "saved after the plan");
  execute (&p, plan, remote);

  g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
  g_assert_cmpint (outcome_of (&p, "Old"), ==, YP_SYNC_OUTCOME_DONE);
  item = base_item (&p, "Old/a.txt");
  g_assert_null (item);
  g_assert_cmpint (outcome_of (&p, "Kept"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_local (&p, "Kept/new.txt", "saved after the plan");
  item = base_item (&p, "Kept");
  g_assert_nonnull (item);
  pair_clear (&p);
}

/* ------------------------------------------------------------------------
 * Folders and moves
 * ------------------------------------------------------------------------ */

static void
test_mkdir (Fixture       *f,
            gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpNode) made = NULL, there = NULL;
  g_autofree char *here = NULL, *theirs = NULL;
  g_autoptr(GError) error = NULL;

  pair_init (&p, f);
  here = local_path (&p, "Here");
  g_assert_cmpint (g_mkdir (here, 0700), ==, 0);
  made = yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/Sync/There"), FALSE, NULL, &error);
  g_assert_no_error (error);
  sync_pass (&p);
  g_assert_cmpint (outcome_of (&p, "Here"), ==, YP_SYNC_OUTCOME_DONE);
  g_assert_cmpint (outcome_of (&p, "There"), ==, YP_SYNC_OUTCOME_DONE);
  there = stat_remote (&p, "Here");
  g_assert_nonnull (there);
  g_assert_true (yp_node_is_folder (there));
  theirs = local_path (&p, "There");
  g_assert_true (g_file_test (theirs, G_FILE_TEST_IS_DIR));
  assert_base_matches (&p, "Here");
  assert_base_matches (&p, "There");
  g_clear_object (&there);
  there = stat_remote (&p, "There");
  g_assert_cmpint (yp_node_get_id (there), ==, yp_node_get_id (made));

  /* a file in a folder made in the same pass goes in by the folder's id */
  write_local (&p, "Here/in.txt", "inside");
  sync_pass (&p);
  assert_remote (&p, "Here/in.txt", "inside");
  assert_in_sync (&p);
  pair_clear (&p);
}

/* A rename on one side is one move on the other: the server keeps the
 * node (no upload), the local file its inode (no download). */
static void
test_move (Fixture       *f,
           gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpNode) mine = NULL, theirs = NULL, moved = NULL, node = NULL;
  g_autofree char *from = NULL, *to = NULL;
  g_autoptr(GError) error = NULL;
  guint64 inode;
  guint uploads, downloads;

  pair_init (&p, f);
  write_local (&p, "mine.txt", "renamed here");
  write_local (&p, "theirs.txt", "renamed there");
  sync_pass (&p);
  mine = stat_remote (&p, "mine.txt");
  theirs = stat_remote (&p, "theirs.txt");
  inode = local_inode (&p, "theirs.txt");

  from = local_path (&p, "mine.txt");
  to = local_path (&p, "mine-renamed.txt");
  g_assert_cmpint (g_rename (from, to), ==, 0);
  moved = yp_client_move_sync (f->client, YP_TARGET_ID (yp_node_get_id (theirs)),
                               YP_TARGET_CHILD (p.root_id, "theirs-renamed.txt"),
                               YP_VERSION_ANY, NULL, &error);
  g_assert_no_error (error);

  uploads = logged_requests (f, "POST /api/v1/uploads");
  downloads = logged_requests (f, "GET /api/v1/files/download");
  sync_pass (&p);
  g_assert_cmpint (outcome_of (&p, "mine-renamed.txt"), ==, YP_SYNC_OUTCOME_DONE);
  g_assert_cmpint (outcome_of (&p, "theirs-renamed.txt"), ==, YP_SYNC_OUTCOME_DONE);
  g_assert_cmpuint (logged_requests (f, "POST /api/v1/uploads"), ==, uploads);
  g_assert_cmpuint (logged_requests (f, "GET /api/v1/files/download"), ==, downloads);

  node = stat_remote (&p, "mine-renamed.txt");
  g_assert_cmpint (yp_node_get_id (node), ==, yp_node_get_id (mine));
  g_clear_object (&node);
  node = stat_remote (&p, "mine.txt");
  g_assert_null (node);
  g_assert_cmpuint (local_inode (&p, "theirs-renamed.txt"), ==, inode);
  g_assert_false (g_file_test (from, G_FILE_TEST_EXISTS));
  assert_local (&p, "theirs-renamed.txt", "renamed there");
  assert_base_matches (&p, "mine-renamed.txt");
  assert_base_matches (&p, "theirs-renamed.txt");
  assert_in_sync (&p);
  pair_clear (&p);
}

/* A local move follows a rename on the server only while the file is the
 * one the plan saw and the new name is free. */
static void
test_move_local_refused (Fixture       *f,
                         gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *moved = NULL;

  pair_init (&p, f);
  write_local (&p, "edited.txt", "one");
  write_local (&p, "taken.txt", "two");
  sync_pass (&p);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(YpNode) node = stat_remote (&p, i == 0 ? "edited.txt" : "taken.txt");
      g_autoptr(YpNode) renamed = NULL;

      renamed = yp_client_move_sync (f->client, YP_TARGET_ID (yp_node_get_id (node)),
                                     YP_TARGET_CHILD (p.root_id, i == 0 ? "edited-moved.txt"
                                                                        : "taken-moved.txt"),
                                     YP_VERSION_ANY, NULL, &error);
      g_assert_no_error (error);
    }
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_MOVE_LOCAL, "edited-moved.txt");
  find_action (plan, YP_SYNC_ACTION_MOVE_LOCAL, "taken-moved.txt");
  edit_local (&p, "edited.txt", "edited after the plan");
  write_local (&p, "taken-moved.txt", "made here after the plan");
  execute (&p, plan, remote);

  g_assert_cmpint (outcome_of (&p, "edited-moved.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_local (&p, "edited.txt", "edited after the plan");
  moved = local_path (&p, "edited-moved.txt");
  g_assert_false (g_file_test (moved, G_FILE_TEST_EXISTS));
  g_assert_cmpint (outcome_of (&p, "taken-moved.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_local (&p, "taken.txt", "two");
  assert_local (&p, "taken-moved.txt", "made here after the plan");
  pair_clear (&p);
}

/* A folder renamed here is one move on the server, by id, with what is
 * inside it; what is put in it afterwards goes in by the folder's id. */
static void
test_move_folder (Fixture       *f,
                  gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpNode) folder = NULL, file = NULL, node = NULL;
  g_autofree char *from = NULL, *to = NULL;
  g_autoptr(YpSyncItem) item = NULL;
  guint uploads;

  pair_init (&p, f);
  from = local_path (&p, "Dir");
  to = local_path (&p, "Renamed");
  g_assert_cmpint (g_mkdir (from, 0700), ==, 0);
  write_local (&p, "Dir/f.txt", "inside");
  sync_pass (&p);
  folder = stat_remote (&p, "Dir");
  file = stat_remote (&p, "Dir/f.txt");

  g_assert_cmpint (g_rename (from, to), ==, 0);
  uploads = logged_requests (f, "POST /api/v1/uploads");
  sync_pass (&p);
  g_assert_cmpint (outcome_of (&p, "Renamed"), ==, YP_SYNC_OUTCOME_DONE);
  g_assert_cmpuint (logged_requests (f, "POST /api/v1/uploads"), ==, uploads);
  node = stat_remote (&p, "Renamed");
  g_assert_cmpint (yp_node_get_id (node), ==, yp_node_get_id (folder));
  g_clear_object (&node);
  node = stat_remote (&p, "Renamed/f.txt");
  g_assert_cmpint (yp_node_get_id (node), ==, yp_node_get_id (file));
  assert_base_matches (&p, "Renamed");
  assert_base_matches (&p, "Renamed/f.txt");
  item = base_item (&p, "Dir/f.txt");
  g_assert_null (item);
  assert_in_sync (&p);

  write_local (&p, "Renamed/g.txt", "added after the move");
  sync_pass (&p);
  g_clear_object (&node);
  node = stat_remote (&p, "Renamed/g.txt");
  g_assert_cmpint (yp_node_get_parent_id (node), ==, yp_node_get_id (folder));
  pair_clear (&p);
}

/* ------------------------------------------------------------------------
 * Conflicts
 * ------------------------------------------------------------------------ */

static void
test_conflict (Fixture       *f,
               gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpNode) node = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GError) error = NULL;
  YpSyncAction *action;
  YpSyncConflict *conflict;
  g_autofree char *copy = NULL;

  pair_init (&p, f);
  write_local (&p, "c.txt", "common");
  sync_pass (&p);
  edit_local (&p, "c.txt", "edited here");
  node = write_remote (&p, "c.txt", "edited there");
  plan = make_plan (&p, &remote);
  action = find_action (plan, YP_SYNC_ACTION_CONFLICT, "c.txt");
  copy = g_strdup (action->conflict_path);
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "c.txt"), ==, YP_SYNC_OUTCOME_DONE);

  assert_local (&p, "c.txt", "edited there");
  assert_local (&p, copy, "edited here");
  assert_remote (&p, "c.txt", "edited there");
  assert_remote (&p, copy, "edited here");
  assert_base_matches (&p, "c.txt");
  assert_base_matches (&p, copy);
  conflicts = yp_sync_state_dup_conflicts_sync (p.state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 1);
  conflict = g_ptr_array_index (conflicts, 0);
  g_assert_cmpstr (conflict->path, ==, "c.txt");
  g_assert_cmpstr (conflict->copy_path, ==, copy);
  assert_in_sync (&p);
  pair_clear (&p);
}

/* ------------------------------------------------------------------------
 * Runs: batches, failures, stops
 * ------------------------------------------------------------------------ */

/* How many base entries another connection sees: what was committed. */
static guint
committed_base_size (Pair *p)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint n;

  g_assert_cmpint (sqlite3_open_v2 (yp_sync_state_get_path (p->state), &db,
                                    SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM base", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = (guint) sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

typedef struct
{
  Pair   *p;
  GArray *seen;
} BatchWatch;

static void
batch_action_cb (YpSyncExecutor *executor,
                 YpSyncAction   *action,
                 int             outcome,
                 GError         *error,
                 BatchWatch     *watch)
{
  guint n = committed_base_size (watch->p);

  g_array_append_val (watch->seen, n);
}

/* The base is committed every N actions while a run goes on, and at its
 * end. */
static void
test_batches (Fixture       *f,
              gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (guint));
  BatchWatch watch = { &p, seen };
  const guint expected[] = { 0, 0, 2, 2, 4 };

  pair_init (&p, f);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *name = g_strdup_printf ("Folder %u", i);
      g_autofree char *folder = local_path (&p, name);

      g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
    }
  yp_sync_executor_set_batch_size (p.executor, 2);
  g_signal_connect (p.executor, "action-finished", G_CALLBACK (batch_action_cb), &watch);
  sync_pass (&p);
  g_assert_cmpuint (seen->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < seen->len; i++)
    g_assert_cmpuint (g_array_index (seen, guint, i), ==, expected[i]);
  g_assert_cmpuint (committed_base_size (&p), ==, G_N_ELEMENTS (expected));
  g_signal_handlers_disconnect_by_data (p.executor, &watch);
  assert_in_sync (&p);
  pair_clear (&p);
}

/* A name the server refuses fails that upload only; the run goes on. */
static void
test_action_fails (Fixture       *f,
                   gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncItem) item = NULL;
  /* a zero-width space: fine here, refused by the server */
  const char *bad = "bad\xe2\x80\x8bname.txt";

  pair_init (&p, f);
  write_local (&p, bad, "refused");
  write_local (&p, "good.txt", "accepted");
  sync_pass (&p);
  g_assert_cmpint (outcome_of (&p, bad), ==, YP_SYNC_OUTCOME_FAILED);
  g_assert_cmpint (outcome_of (&p, "good.txt"), ==, YP_SYNC_OUTCOME_DONE);
  assert_remote (&p, "good.txt", "accepted");
  item = base_item (&p, bad);
  g_assert_null (item);
  assert_local (&p, bad, "refused");
  pair_clear (&p);
}

static void
reject_token_cb (YpSyncExecutor *executor,
                 YpSyncAction   *action,
                 int             outcome,
                 GError         *error,
                 Pair           *p)
{
  yp_client_set_token (p->f->client, "no-such-token");
}

/* A token the server no longer accepts stops the run; what was done
 * before stays in the base. */
static void
test_stop_keeps_done (Fixture       *f,
                      gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncTree) base = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autoptr(YpNode) second = NULL;

  pair_init (&p, f);
  /* one request per upload, so that the token goes between them */
  yp_sync_executor_set_upload_batch_limit (p.executor, 1);
  write_local (&p, "1.txt", "first");
  write_local (&p, "2.txt", "second");
  plan = make_plan (&p, &remote);
  g_assert_cmpuint (yp_sync_plan_get_n_actions (plan), ==, 2);
  g_signal_connect (p.executor, "action-finished", G_CALLBACK (reject_token_cb), &p);
  g_assert_false (yp_sync_executor_run_sync (p.executor, plan, remote, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED);
  g_signal_handlers_disconnect_by_func (p.executor, reject_token_cb, &p);
  /* the stopping action is not reported as one that failed */
  g_assert_cmpuint (p.outcomes->len, ==, 1);
  yp_client_set_token (f->client, token);

  g_assert_cmpuint (committed_base_size (&p), ==, 1);
  base = base_tree (&p);
  g_assert_nonnull (yp_sync_tree_lookup (base, "1.txt"));
  assert_base_matches (&p, "1.txt");
  second = stat_remote (&p, "2.txt");
  g_assert_null (second);
  pair_clear (&p);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  /* the pairs' databases; not G_TEST_OPTION_ISOLATE_DIRS, which hides the
   * GSettings schemas the client's HTTP stack reads */
  g_autofree char *data_home = g_dir_make_tmp ("yp-sync-executor-XXXXXX", &error);
  int status;

  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/sync/executor/delete/local", test_delete_local);
  fixture_add ("/yunpan/sync/executor/delete/remote", test_delete_remote);
  fixture_add ("/yunpan/sync/executor/delete/local-folder", test_delete_local_folder);
  fixture_add ("/yunpan/sync/executor/mkdir", test_mkdir);
  fixture_add ("/yunpan/sync/executor/move/folder", test_move_folder);
  fixture_add ("/yunpan/sync/executor/move/file", test_move);
  fixture_add ("/yunpan/sync/executor/move/local-refused", test_move_local_refused);
  fixture_add ("/yunpan/sync/executor/conflict", test_conflict);
  fixture_add ("/yunpan/sync/executor/run/batches", test_batches);
  fixture_add ("/yunpan/sync/executor/run/action-fails", test_action_fails);
  fixture_add ("/yunpan/sync/executor/run/stop-keeps-done", test_stop_keeps_done);

  status = g_test_run ();
  remove_tree (data_home);
  return status;
}


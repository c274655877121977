/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The executor against a real server: plans made by the reconciler from a
 * scan of a real folder and a listing of the server, applied to both, and
 * what the base records afterwards. Plans whose expectations were
 * overtaken (a file saved after the plan was made, a newer version on the
 * server) change nothing; an interrupted upload resumes from the state.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "yp-client-error.h"
#include "yp-sync-executor.h"
#include "yp-sync-reconcile.h"
#include "yp-sync-scanner.h"
/* tests/client's fixture: a real server and a signed-in client per case */
#include "yp-test-fixture.h"

typedef struct
{
  char          *path;
  YpSyncOutcome  outcome;
} Outcome;

typedef struct
{
  Fixture        *f;
  char           *local;
  char           *staging;
  gint64          root_id;
  YpSyncState    *state;
  YpSyncExecutor *executor;
  GArray         *outcomes;
  /* the last progress reported */
  guint           items_done;
  guint           items_total;
  guint64         bytes_done;
  guint64         bytes_total;
  /* cancels once a run's bytes pass it; 0: never */
  guint64         cancel_at;
  GCancellable   *cancellable;
} Pair;

static void
outcome_clear (Outcome *outcome)
{
  g_free (outcome->path);
}

static void
action_finished_cb (YpSyncExecutor *executor,
                    YpSyncAction   *action,
                    int             outcome,
                    GError         *error,
                    Pair           *p)
{
  Outcome o = { g_strdup (action->path), outcome };

  if (outcome == YP_SYNC_OUTCOME_DONE || outcome == YP_SYNC_OUTCOME_SKIPPED)
    g_assert_null (error);
  else
    g_assert_nonnull (error);
  g_array_append_val (p->outcomes, o);
}

static void
progress_cb (YpSyncExecutor *executor,
             guint           items_done,
             guint           items_total,
             guint64         bytes_done,
             guint64         bytes_total,
             Pair           *p)
{
  g_assert_cmpuint (items_done, <=, items_total);
  g_assert_cmpuint (bytes_done, <=, bytes_total);
  /* never backwards within a run, which starts at nothing done */
  if (items_done > 0 || bytes_done > 0)
    {
      g_assert_cmpuint (items_done, >=, p->items_done);
      g_assert_cmpuint (bytes_done, >=, p->bytes_done);
    }
  p->items_done = items_done;
  p->items_total = items_total;
  p->bytes_done = bytes_done;
  p->bytes_total = bytes_total;
  if (p->cancel_at > 0 && bytes_done >= p->cancel_at)
    g_cancellable_cancel (p->cancellable);
}

static YpSyncExecutor *
new_executor (Pair *p)
{
  YpSyncExecutor *executor = yp_sync_executor_new (p->f->client, p->state, p->staging);

  g_signal_connect (executor, "action-finished", G_CALLBACK (action_finished_cb), p);
  g_signal_connect (executor, "progress", G_CALLBACK (progress_cb), p);
  return executor;
}

static void
pair_init (Pair    *p,
           Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) root = NULL;
  g_autoptr(YpSyncPair) pair = NULL;

  p->f = f;
  p->local = g_build_filename (f->dir, "local", NULL);
  p->staging = g_build_filename (f->dir, "staging", NULL);
  g_assert_cmpint (g_mkdir (p->local, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (p->staging, 0700), ==, 0);
  root = yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/Sync"), FALSE, NULL, &error);
  g_assert_no_error (error);
  p->root_id = yp_node_get_id (root);
  pair = yp_sync_pair_new (f->server->url, "alice", p->local, p->root_id, "/Sync");
  p->state = yp_sync_state_open_sync (pair, NULL, &error);
  g_assert_no_error (error);
  p->outcomes = g_array_new (FALSE, TRUE, sizeof (Outcome));
  g_array_set_clear_func (p->outcomes, (GDestroyNotify) outcome_clear);
  p->cancellable = g_cancellable_new ();
  p->executor = new_executor (p);
}

static void
pair_clear (Pair *p)
{
  assert_released (G_OBJECT (g_steal_pointer (&p->executor)));
  assert_released (G_OBJECT (g_steal_pointer (&p->state)));
  g_clear_object (&p->cancellable);
  g_clear_pointer (&p->outcomes, g_array_unref);
  g_clear_pointer (&p->local, g_free);
  g_clear_pointer (&p->staging, g_free);
}

/* ------------------------------------------------------------------------
 * The two sides
 * ------------------------------------------------------------------------ */

static char *
local_path (Pair       *p,
            const char *path)
{
  return g_build_filename (p->local, path, NULL);
}

static void
write_local (Pair       *p,
             const char *path,
             const char *contents)
{
  g_autofree char *file = local_path (p, path);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (file, contents, -1, &error);
  g_assert_no_error (error);
}

static void
assert_local (Pair       *p,
              const char *path,
              const char *expected)
{
  g_autofree char *file = local_path (p, path);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (file, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected);
}

static guint64
local_inode (Pair       *p,
             const char *path)
{
  g_autofree char *file = local_path (p, path);
  struct stat st;

  g_assert_cmpint (lstat (file, &st), ==, 0);
  return st.st_ino;
}

static char *
remote_path (const char *path)
{
  return g_strconcat ("/Sync/", path, NULL);
}

/* Writes CONTENTS to the server at PATH, over whatever is there, as
 * another device would. */
static YpNode *
write_remote (Pair       *p,
              const char *path,
              const char *contents)
{
  g_autofree char *remote = remote_path (path);
  g_autofree char *file = g_build_filename (p->f->dir, "elsewhere", NULL);
  g_autoptr(YpTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (file, contents, -1, &error);
  g_assert_no_error (error);
  transfer = yp_transfer_new_upload (file, remote, YP_VERSION_ANY);
  yp_client_upload_sync (p->f->client, transfer, &error);
  g_assert_no_error (error);
  flush_main_context ();
  return g_object_ref (yp_transfer_get_node (transfer));
}

static YpNode *
stat_remote (Pair       *p,
             const char *path)
{
  g_autofree char *remote = remote_path (path);
  g_autoptr(GError) error = NULL;
  YpNode *node = yp_client_stat_sync (p->f->client, YP_TARGET_PATH (remote), NULL, &error);

  if (g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND))
    return NULL;
  g_assert_no_error (error);
  return node;
}

static void
assert_remote (Pair       *p,
               const char *path,
               const char *expected)
{
  g_autofree char *remote = remote_path (path);
  g_autofree char *file = g_build_filename (p->f->dir, "fetched", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(YpTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;

  g_unlink (file);
  transfer = download (p->f->client, remote, file, &error);
  g_assert_no_error (error);
  g_file_get_contents (file, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected);
}

static void
list_into (Pair       *p,
           YpSyncTree *tree,
           gint64      folder_id,
           const char *prefix)
{
  YpListOptions options = { .limit = 1000 };
  g_autoptr(YpListing) listing = NULL;
  g_autoptr(GError) error = NULL;

  listing = yp_client_list_sync (p->f->client, YP_TARGET_ID (folder_id), &options, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < listing->entries->len; i++)
    {
      YpNode *node = g_ptr_array_index (listing->entries, i);
      g_autofree char *path = prefix[0] != '\0'
                              ? g_strconcat (prefix, "/", yp_node_get_name (node), NULL)
                              : g_strdup (yp_node_get_name (node));
      g_autoptr(YpSyncItem) item = yp_sync_item_new (path, yp_node_is_folder (node)
                                                           ? YP_SYNC_KIND_FOLDER
                                                           : YP_SYNC_KIND_FILE);

      item->remote_id = yp_node_get_id (node);
      item->remote_version = yp_node_get_version (node);
      if (!yp_node_is_folder (node))
        {
          item->size = yp_node_get_size (node);
          item->mtime_ns = yp_node_get_mtime (node) * G_GINT64_CONSTANT (1000000000);
          g_strlcpy (item->sha256, yp_node_get_sha256 (node), sizeof item->sha256);
        }
      yp_sync_tree_add (tree, item);
      if (yp_node_is_folder (node))
        list_into (p, tree, yp_node_get_id (node), path);
    }
}

static YpSyncTree *
remote_tree (Pair *p)
{
  YpSyncTree *tree = yp_sync_tree_new ();

  list_into (p, tree, p->root_id, "");
  return tree;
}

static YpSyncTree *
base_tree (Pair *p)
{
  g_autoptr(GError) error = NULL;
  YpSyncTree *base = yp_sync_state_load_base_sync (p->state, &error);

  g_assert_no_error (error);
  return base;
}

/* ------------------------------------------------------------------------
 * Plans and runs
 * ------------------------------------------------------------------------ */

/* The plan the reconciler makes from both sides as they are now; REMOTE
 * (nullable) gets the remote tree it was made from. */
static YpSyncPlan *
make_plan (Pair        *p,
           YpSyncTree **remote_out)
{
  g_autoptr(GDateTime) time = g_date_time_new_utc (2026, 12, 2, 6, 15, 0);
  YpSyncReconcileOptions options = { .host = "laptop", .time = time };
  g_autoptr(YpSyncTree) base = base_tree (p);
  g_autoptr(YpSyncTree) remote = remote_tree (p);
  g_autoptr(YpSyncTree) local = NULL;
  g_autoptr(GError) error = NULL;
  YpSyncPlan *plan;

  local = yp_sync_scan_sync (p->local, base, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  plan = yp_sync_reconcile (local, remote, base, &options);
  if (remote_out != NULL)
    *remote_out = g_steal_pointer (&remote);
  return plan;
}

static YpSyncAction *
find_action (YpSyncPlan       *plan,
             YpSyncActionKind  kind,
             const char       *path)
{
  for (guint i = 0; i < yp_sync_plan_get_n_actions (plan); i++)
    {
      YpSyncAction *action = yp_sync_plan_get_action (plan, i);

      if (action->kind == kind && g_str_equal (action->path, path))
        return action;
    }
  g_error ("no %s of %s in the plan", yp_sync_action_kind_to_string (kind), path);
}

static void
execute (Pair       *p,
         YpSyncPlan *plan,
         YpSyncTree *remote)
{
  g_autoptr(GError) error = NULL;

  g_array_set_size (p->outcomes, 0);
  g_assert_true (yp_sync_executor_run_sync (p->executor, plan, remote, NULL, &error));
  g_assert_no_error (error);
}

/* One whole pass: plan from both sides, then execute it. */
static void
sync_pass (Pair *p)
{
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncPlan) plan = make_plan (p, &remote);

  execute (p, plan, remote);
}

/* Fails unless a second pass would change nothing. */
static void
assert_in_sync (Pair *p)
{
  g_autoptr(YpSyncPlan) plan = make_plan (p, NULL);

  for (guint i = 0; i < yp_sync_plan_get_n_actions (plan); i++)
    {
      YpSyncAction *action = yp_sync_plan_get_action (plan, i);

      if (action->kind != YP_SYNC_ACTION_RECORD && action->kind != YP_SYNC_ACTION_FORGET)
        g_error ("still to do: %s %s", yp_sync_action_kind_to_string (action->kind),
                 action->path);
    }
}

static YpSyncOutcome
outcome_of (Pair       *p,
            const char *path)
{
  for (guint i = 0; i < p->outcomes->len; i++)
    {
      Outcome *o = &g_array_index (p->outcomes, Outcome, i);

      if (g_str_equal (o->path, path))
        return o->outcome;
    }
  g_error ("no outcome for %s", path);
}

static YpSyncItem *
base_item (Pair       *p,
           const char *path)
{
  g_autoptr(YpSyncTree) base = base_tree (p);
  YpSyncItem *item = yp_sync_tree_lookup (base, path);

  return item != NULL ? yp_sync_item_ref (item) : NULL;
}

/* The base's entry of PATH is the local file and the remote node as they
 * are now. */
static void
assert_base_matches (Pair       *p,
                     const char *path)
{
  g_autoptr(YpSyncItem) item = base_item (p, path);
  g_autoptr(YpNode) node = stat_remote (p, path);
  g_autofree char *file = local_path (p, path);
  struct stat st;

  g_assert_nonnull (item);
  g_assert_nonnull (node);
  g_assert_cmpint (lstat (file, &st), ==, 0);
  g_assert_cmpint (item->remote_id, ==, yp_node_get_id (node));
  g_assert_cmpint (item->remote_version, ==, yp_node_get_version (node));
  g_assert_cmpuint (item->inode, ==, st.st_ino);
  g_assert_cmpuint (item->device, ==, st.st_dev);
  if (item->kind == YP_SYNC_KIND_FILE)
    {
      g_assert_cmpstr (item->sha256, ==, yp_node_get_sha256 (node));
      g_assert_cmpuint (item->size, ==, st.st_size);
      g_assert_cmpint (item->mtime_ns, ==, (gint64) st.st_mtim.tv_sec * 1000000000
                                           + st.st_mtim.tv_nsec);
    }
}

/* Rewrites the local file so that its size and modification time change. */
static void
edit_local (Pair       *p,
            const char *path,
            const char *contents)
{
  g_autofree char *file = local_path (p, path);
  struct timespec times[2] = { { 0, UTIME_OMIT }, { 1700000000, 0 } };

  write_local (p, path, contents);
  /* a second apart from any earlier write, whatever the clock's grain */
  g_assert_cmpint (utimensat (AT_FDCWD, file, times, 0), ==, 0);
}

/* ------------------------------------------------------------------------
 * Uploads
 * ------------------------------------------------------------------------ */

static void
test_upload_new (Fixture       *f,
                 gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(GPtrArray) activity = NULL;
  g_autoptr(GError) error = NULL;
  YpSyncActivity *entry;

  pair_init (&p, f);
  write_local (&p, "a.txt", "hello");
  sync_pass (&p);
  g_assert_cmpint (outcome_of (&p, "a.txt"), ==, YP_SYNC_OUTCOME_DONE);
  g_assert_cmpuint (p.items_done, ==, 1);
  g_assert_cmpuint (p.items_total, ==, 1);
  g_assert_cmpuint (p.bytes_done, ==, strlen ("hello"));
  g_assert_cmpuint (p.bytes_total, ==, strlen ("hello"));
  assert_remote (&p, "a.txt", "hello");
  assert_base_matches (&p, "a.txt");
  assert_in_sync (&p);

  activity = yp_sync_state_dup_activity_sync (p.state, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (activity->len, ==, 1);
  entry = g_ptr_array_index (activity, 0);
  g_assert_cmpint (entry->kind, ==, YP_SYNC_ACTIVITY_UPLOAD);
  g_assert_cmpstr (entry->path, ==, "a.txt");
  pair_clear (&p);
}

/* An edit uploads over the version the base has; when the server moved
 * on after the plan was made, the upload is deferred and overwrites
 * nothing. */
static void
test_upload_over_version (Fixture       *f,
                          gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncItem) before = NULL, after = NULL;
  g_autoptr(YpNode) first = NULL, second = NULL, theirs = NULL;
  YpSyncAction *action;

  pair_init (&p, f);
  write_local (&p, "a.txt", "one");
  sync_pass (&p);
  first = stat_remote (&p, "a.txt");

  edit_local (&p, "a.txt", "two, longer");
  plan = make_plan (&p, &remote);
  action = find_action (plan, YP_SYNC_ACTION_UPLOAD, "a.txt");
  g_assert_cmpint (action->if_version, ==, yp_node_get_version (first));
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "a.txt"), ==, YP_SYNC_OUTCOME_DONE);
  second = stat_remote (&p, "a.txt");
  g_assert_cmpint (yp_node_get_id (second), ==, yp_node_get_id (first));
  g_assert_cmpint (yp_node_get_version (second), >, yp_node_get_version (first));
  assert_remote (&p, "a.txt", "two, longer");
  assert_base_matches (&p, "a.txt");

  /* the plan is made, then another device writes */
  g_clear_pointer (&plan, yp_sync_plan_unref);
  g_clear_pointer (&remote, yp_sync_tree_unref);
  write_local (&p, "a.txt", "three, mine");
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_UPLOAD, "a.txt");
  theirs = write_remote (&p, "a.txt", "theirs");
  before = base_item (&p, "a.txt");
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "a.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_remote (&p, "a.txt", "theirs");
  assert_local (&p, "a.txt", "three, mine");
  after = base_item (&p, "a.txt");
  g_assert_cmpint (after->remote_version, ==, before->remote_version);
  g_assert_cmpstr (after->sha256, ==, before->sha256);
  pair_clear (&p);
}

/* ------------------------------------------------------------------------
 * Downloads
 * ------------------------------------------------------------------------ */

static void
test_download_new (Fixture       *f,
                   gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpNode) node = NULL;
  g_autofree char *file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  struct stat st;

  pair_init (&p, f);
  node = write_remote (&p, "b.txt", "from the server");
  sync_pass (&p);
  g_assert_cmpint (outcome_of (&p, "b.txt"), ==, YP_SYNC_OUTCOME_DONE);
  assert_local (&p, "b.txt", "from the server");
  assert_base_matches (&p, "b.txt");
  file = local_path (&p, "b.txt");
  g_assert_cmpint (lstat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mtim.tv_sec, ==, yp_node_get_mtime (node));
  assert_in_sync (&p);

  /* the part file was made in the staging folder, and is gone */
  dir = g_dir_open (p.staging, 0, &error);
  g_assert_no_error (error);
  g_assert_null (g_dir_read_name (dir));
  pair_clear (&p);
}

static void
test_download_over_unchanged (Fixture       *f,
                              gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpNode) node = NULL;

  pair_init (&p, f);
  write_local (&p, "b.txt", "old");
  sync_pass (&p);
  node = write_remote (&p, "b.txt", "new from the server");
  sync_pass (&p);
  g_assert_cmpint (outcome_of (&p, "b.txt"), ==, YP_SYNC_OUTCOME_DONE);
  assert_local (&p, "b.txt", "new from the server");
  assert_base_matches (&p, "b.txt");
  assert_in_sync (&p);
  pair_clear (&p);
}

/* A local file saved after the plan was made is not overwritten. */
static void
test_download_local_edited (Fixture       *f,
                            gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncItem) before = NULL, after = NULL;
  g_autoptr(YpNode) node = NULL;

  pair_init (&p, f);
  write_local (&p, "b.txt", "old");
  sync_pass (&p);
  before = base_item (&p, "b.txt");
  node = write_remote (&p, "b.txt", "new from the server");
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_DOWNLOAD, "b.txt");
  edit_local (&p, "b.txt", "edited here meanwhile");
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "b.txt"), ==, YP_SYNC_OUTCOME_DEFERRED);
  assert_local (&p, "b.txt", "edited here meanwhile");
  after = base_item (&p, "b.txt");
  g_assert_cmpint (after->remote_version, ==, before->remote_version);
  g_assert_cmpint (after->mtime_ns, ==, before->mtime_ns);
  pair_clear (&p);
}

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
 * Resuming
 * ------------------------------------------------------------------------ */

/* Chunk PUTs the server logged for UPLOAD_ID. */
static GPtrArray *
logged_puts_of (Fixture    *f,
                const char *upload_id)
{
  g_autofree char *needle = g_strdup_printf ("\"PUT /api/v1/uploads/%s?offset=", upload_id);

  logged_requests (f, needle);
  return yp_test_server_log_lines (f->server, needle);
}

static guint64
line_offset (const char *line)
{
  return g_ascii_strtoull (strstr (line, "?offset=") + strlen ("?offset="), NULL, 10);
}

/* Cancelled midway, a run leaves the upload's id in the state; a new
 * executor (as after a restart) resumes it: no new upload, no chunk the
 * server had already acknowledged. */
static void
test_resume_upload (Fixture       *f,
                    gconstpointer  data)
{
  const gsize size = 24 * MIB;
  Pair p = { 0 };
  char sha[65];
  g_autofree char *file = NULL;
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (8 * MIB);
  g_autoptr(YpSyncUpload) upload = NULL;
  g_autoptr(GPtrArray) puts = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) node = NULL;
  g_autofree char *upload_id = NULL;
  guint before, starts;
  guint64 lowest = G_MAXUINT64, highest = 0;

  pair_init (&p, f);
  yp_client_set_chunk_size (f->client, MIB);
  g_free (make_file (p.local, "big.bin", size, 7, sha));
  plan = make_plan (&p, &remote);
  find_action (plan, YP_SYNC_ACTION_UPLOAD, "big.bin");

  yp_sync_executor_set_rate_limiter (p.executor, limiter);
  p.cancel_at = 8 * MIB;
  g_assert_false (yp_sync_executor_run_sync (p.executor, plan, remote, p.cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  upload = yp_sync_state_lookup_upload_sync (p.state, "big.bin", &error);
  g_assert_no_error (error);
  g_assert_nonnull (upload);
  g_assert_cmpstr (upload->sha256, ==, sha);
  upload_id = g_strdup (upload->upload_id);
  g_assert_null (stat_remote (&p, "big.bin"));
  starts = logged_requests (f, "POST /api/v1/uploads HTTP");
  g_assert_cmpuint (starts, ==, 1);
  puts = logged_puts_of (f, upload_id);
  before = puts->len;
  g_assert_cmpuint (before, >, 0);
  for (guint i = 0; i < before; i++)
    highest = MAX (highest, line_offset (g_ptr_array_index (puts, i)));
  g_assert_cmpuint (highest, >=, 4 * MIB);
  g_clear_pointer (&puts, g_ptr_array_unref);

  /* a new executor, as after a restart, without a limit */
  g_clear_object (&p.executor);
  p.executor = new_executor (&p);
  p.cancel_at = 0;
  execute (&p, plan, remote);
  g_assert_cmpint (outcome_of (&p, "big.bin"), ==, YP_SYNC_OUTCOME_DONE);
  node = stat_remote (&p, "big.bin");
  g_assert_nonnull (node);
  g_assert_cmpstr (yp_node_get_sha256 (node), ==, sha);
  assert_base_matches (&p, "big.bin");
  g_clear_pointer (&upload, yp_sync_upload_free);
  upload = yp_sync_state_lookup_upload_sync (p.state, "big.bin", &error);
  g_assert_no_error (error);
  g_assert_null (upload);

  g_assert_cmpuint (logged_requests (f, "POST /api/v1/uploads HTTP"), ==, starts);
  puts = logged_puts_of (f, upload_id);
  g_assert_cmpuint (puts->len, >, before);
  for (guint i = before; i < puts->len; i++)
    lowest = MIN (lowest, line_offset (g_ptr_array_index (puts, i)));
  /* at most the chunk cancelled midway is sent again */
  g_assert_cmpuint (lowest, >=, highest);
  g_assert_cmpuint (lowest, <, size);
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

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
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

  fixture_add ("/yunpan/sync/executor/upload/new", test_upload_new);
  fixture_add ("/yunpan/sync/executor/upload/over-version", test_upload_over_version);
  fixture_add ("/yunpan/sync/executor/download/new", test_download_new);
  fixture_add ("/yunpan/sync/executor/download/over-unchanged", test_download_over_unchanged);
  fixture_add ("/yunpan/sync/executor/download/local-edited", test_download_local_edited);
  fixture_add ("/yunpan/sync/executor/delete/local", test_delete_local);
  fixture_add ("/yunpan/sync/executor/delete/remote", test_delete_remote);
  fixture_add ("/yunpan/sync/executor/delete/local-folder", test_delete_local_folder);
  fixture_add ("/yunpan/sync/executor/mkdir", test_mkdir);
  fixture_add ("/yunpan/sync/executor/move/folder", test_move_folder);
  fixture_add ("/yunpan/sync/executor/move/file", test_move);
  fixture_add ("/yunpan/sync/executor/move/local-refused", test_move_local_refused);
  fixture_add ("/yunpan/sync/executor/conflict", test_conflict);
  fixture_add ("/yunpan/sync/executor/resume-upload", test_resume_upload);
  fixture_add ("/yunpan/sync/executor/run/batches", test_batches);
  fixture_add ("/yunpan/sync/executor/run/action-fails", test_action_fails);
  fixture_add ("/yunpan/sync/executor/run/stop-keeps-done", test_stop_keeps_done);

  status = g_test_run ();
  remove_tree (data_home);
  return status;
}

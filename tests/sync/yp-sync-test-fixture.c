/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A sync pair against a real server for the executor's tests: a local
 * folder, a folder on the server, their state and an executor that records
 * what it reports; small steps on either side; plans made and run.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-sync-reconcile.h"
#include "yp-sync-scanner.h"
#include "yp-sync-test-fixture.h"

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

YpSyncExecutor *
new_executor (Pair *p)
{
  YpSyncExecutor *executor = yp_sync_executor_new (p->f->client, p->state, p->staging);

  g_signal_connect (executor, "action-finished", G_CALLBACK (action_finished_cb), p);
  g_signal_connect (executor, "progress", G_CALLBACK (progress_cb), p);
  return executor;
}

void
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

void
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

char *
local_path (Pair       *p,
            const char *path)
{
  return g_build_filename (p->local, path, NULL);
}

void
write_local (Pair       *p,
             const char *path,
             const char *contents)
{
  g_autofree char *file = local_path (p, path);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (file, contents, -1, &error);
  g_assert_no_error (error);
}

void
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

guint64
local_inode (Pair       *p,
             const char *path)
{
  g_autofree char *file = local_path (p, path);
  struct stat st;

  g_assert_cmpint (lstat (file, &st), ==, 0);
  return st.st_ino;
}

char *
remote_path (const char *path)
{
  return g_strconcat ("/Sync/", path, NULL);
}

/* Writes CONTENTS to the server at PATH, over whatever is there, as
 * another device would. */
YpNode *
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

YpNode *
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

void
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

void
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

YpSyncTree *
remote_tree (Pair *p)
{
  YpSyncTree *tree = yp_sync_tree_new ();

  list_into (p, tree, p->root_id, "");
  return tree;
}

YpSyncTree *
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
YpSyncPlan *
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

YpSyncAction *
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

void
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
void
sync_pass (Pair *p)
{
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncPlan) plan = make_plan (p, &remote);

  execute (p, plan, remote);
}

/* Fails unless a second pass would change nothing. */
void
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

YpSyncOutcome
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

YpSyncItem *
base_item (Pair       *p,
           const char *path)
{
  g_autoptr(YpSyncTree) base = base_tree (p);
  YpSyncItem *item = yp_sync_tree_lookup (base, path);

  return item != NULL ? yp_sync_item_ref (item) : NULL;
}

/* The base's entry of PATH is the local file and the remote node as they
 * are now. */
void
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
void
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

void
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

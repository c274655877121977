/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "yp-change-pager.h"
#include "yp-client-error.h"
#include "yp-name.h"
#include "yp-sync-engine-private.h"
#include "yp-sync-error.h"
#include "yp-sync-reconcile.h"
#include "yp-sync-remote.h"
#include "yp-sync-scanner.h"

/*
 * One pass of the engine: bring the remote tree up to date from the change
 * feed, scan the local folder, reconcile the two with the base and execute
 * the plan. Everything blocks; it runs in the worker thread.
 */

/* ------------------------------------------------------------------------
 * The remote tree
 * ------------------------------------------------------------------------ */

/* What the server held at the base's cursor, as far as the pair knows: the
 * base is both sides as they were last synced, and its cursor is saved
 * only by a pass that left nothing of the server unsynced. Reading the
 * feed from that cursor replays the rest. */
static void
add_as_remote (YpSyncItem *item,
               gpointer    user_data)
{
  YpSyncTree *remote = user_data;
  g_autoptr(YpSyncItem) copy = yp_sync_item_copy (item);

  copy->device = 0;
  copy->inode = 0;
  yp_sync_tree_add (remote, copy);
}

static YpSyncTree *
remote_from_base (YpSyncTree *base)
{
  YpSyncTree *remote = yp_sync_tree_new ();

  yp_sync_tree_foreach (base, add_as_remote, remote);
  return remote;
}

static gboolean
list_remote (YpSyncWorker  *worker,
             YpSyncIgnore  *ignore,
             GCancellable  *cancellable,
             GError       **error)
{
  gint64 cursor = 0;
  YpSyncTree *tree;

  tree = yp_sync_remote_list_sync (worker->client, worker->root_id, ignore, cancellable, &cursor,
                                   error);
  if (tree == NULL)
    return FALSE;
  g_clear_pointer (&worker->remote, yp_sync_tree_unref);
  worker->remote = tree;
  worker->remote_cursor = cursor;
  worker->full_listing_needed = FALSE;
  return TRUE;
}

typedef struct
{
  const char *folder;
  GPtrArray  *paths;
} Under;

static void
collect_under (YpSyncItem *item,
               gpointer    user_data)
{
  Under *under = user_data;

  if (yp_sync_path_is_under (item->path, under->folder))
    g_ptr_array_add (under->paths, g_strdup (item->path));
}

static void
remove_subtree (YpSyncTree *tree,
                const char *path)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  Under under = { path, paths };

  yp_sync_tree_foreach (tree, collect_under, &under);
  for (guint i = 0; i < paths->len; i++)
    yp_sync_tree_remove (tree, paths->pdata[i]);
}

/* The feed names nodes wherever they go; those that went to a name the
 * pair ignores leave the remote tree, as the listing would leave them out. */
static void
drop_ignored (YpSyncTree   *tree,
              YpChanges    *changes,
              YpSyncIgnore *ignore)
{
  for (guint i = 0; i < changes->changes->len; i++)
    {
      YpChange *change = changes->changes->pdata[i];
      YpSyncItem *item = yp_sync_tree_lookup_remote (tree, yp_node_get_id (change->node));

      if (item != NULL
          && yp_sync_ignore_matches (ignore, item->path, item->kind == YP_SYNC_KIND_FOLDER))
        {
          g_autofree char *path = g_strdup (item->path);

          remove_subtree (tree, path);
        }
    }
}

static gboolean
follow_root (YpSyncWorker  *worker,
             char          *root_path,
             GError       **error)
{
  if (root_path == NULL)
    {
      /* never read as "everything was deleted": the local files stay */
      worker->full_listing_needed = TRUE;
      g_clear_pointer (&worker->remote, yp_sync_tree_unref);
      g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_FAILED,
                   _("The folder “%s” was deleted on the server; the local folder is left as it is"),
                   worker->remote_path);
      return FALSE;
    }
  if (!g_str_equal (root_path, worker->remote_path))
    {
      g_free (worker->remote_path);
      worker->remote_path = g_strdup (root_path);
      return yp_sync_state_set_remote_path_sync (worker->state, root_path, error);
    }
  return TRUE;
}

/* Reads the feed from the remote tree's cursor to the end. */
static gboolean
update_remote (YpSyncWorker  *worker,
               YpSyncTree    *base,
               YpSyncIgnore  *ignore,
               GCancellable  *cancellable,
               GError       **error)
{
  gint64 saved_cursor = yp_sync_state_get_cursor (worker->state);
  gboolean has_more = TRUE;

  if (worker->remote == NULL)
    {
      if (saved_cursor == 0 || worker->full_listing_needed)
        {
          if (!list_remote (worker, ignore, cancellable, error))
            return FALSE;
        }
      else
        {
          worker->remote = remote_from_base (base);
          worker->remote_cursor = saved_cursor;
        }
    }

  while (has_more)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(YpChanges) changes = NULL;
      g_autofree char *root_path = g_strdup (worker->remote_path);
      gboolean needs_listing = FALSE;

      changes = yp_client_changes_sync (worker->client, worker->remote_cursor,
                                        YP_CHANGE_PAGER_PAGE_SIZE_MAX, cancellable, &local_error);
      if (changes == NULL)
        {
          if (!g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CURSOR_EXPIRED))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          /* the feed no longer reaches back there: one listing instead */
          if (!list_remote (worker, ignore, cancellable, error))
            return FALSE;
          continue;
        }
      yp_sync_remote_apply_changes (worker->remote, worker->root_id, &root_path, changes,
                                    &needs_listing);
      if (!follow_root (worker, root_path, error))
        return FALSE;
      drop_ignored (worker->remote, changes, ignore);
      worker->remote_cursor = changes->cursor;
      has_more = changes->has_more;
      if (needs_listing)
        {
          if (!list_remote (worker, ignore, cancellable, error))
            return FALSE;
          has_more = TRUE;
        }
    }
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Problems of the scan
 * ------------------------------------------------------------------------ */

static gboolean
under_a_problem (const char *path,
                 GPtrArray  *problems)
{
  for (guint i = 0; i < problems->len; i++)
    {
      YpSyncProblem *problem = problems->pdata[i];

      if (yp_sync_path_is_under (path, problem->path))
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  YpSyncTree *tree;
  GPtrArray  *problems;
} Filter;

static void
add_unless_problem (YpSyncItem *item,
                    gpointer    user_data)
{
  Filter *filter = user_data;

  if (!under_a_problem (item->path, filter->problems))
    yp_sync_tree_add (filter->tree, item);
}

/* TREE without the paths the scan could not read: absent from the local
 * tree, they must not look deleted there, so the pass leaves them out of
 * every tree. */
static YpSyncTree *
tree_without_problems (YpSyncTree *tree,
                       GPtrArray  *problems)
{
  Filter filter = { NULL, problems };

  if (problems->len == 0)
    return yp_sync_tree_ref (tree);
  filter.tree = yp_sync_tree_new ();
  yp_sync_tree_foreach (tree, add_unless_problem, &filter);
  return filter.tree;
}

/* Reports each problem once a run, as a skip, not once a pass. */
static void
report_problems (YpSyncWorker *worker,
                 GPtrArray    *problems)
{
  for (guint i = 0; i < problems->len; i++)
    {
      YpSyncProblem *problem = problems->pdata[i];
      g_autoptr(YpSyncAction) skip = NULL;

      if (!g_hash_table_add (worker->reported_problems, g_strdup (problem->path)))
        continue;
      skip = yp_sync_action_new (YP_SYNC_ACTION_SKIP, problem->path);
      skip->skip_code = problem->error->domain == YP_SYNC_ERROR ? problem->error->code
                                                                : YP_SYNC_ERROR_UNREADABLE;
      skip->reason = g_strdup (problem->error->message);
      _yp_sync_engine_post_action (worker->engine, skip, YP_SYNC_OUTCOME_SKIPPED,
                                   problem->error);
    }
}

/* ------------------------------------------------------------------------
 * The local tree
 * ------------------------------------------------------------------------ */

static gboolean
under_a_dirty_path (const char *path,
                    GHashTable *dirty)
{
  g_autofree char *prefix = g_strdup (path);
  char *slash;

  if (g_hash_table_contains (dirty, prefix))
    return TRUE;
  while ((slash = strrchr (prefix, '/')) != NULL)
    {
      *slash = '\0';
      if (g_hash_table_contains (dirty, prefix))
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  YpSyncTree *tree;
  GHashTable *dirty;
} Untouched;

static void
add_untouched (YpSyncItem *item,
               gpointer    user_data)
{
  Untouched *untouched = user_data;

  if (!under_a_dirty_path (item->path, untouched->dirty))
    yp_sync_tree_add (untouched->tree, item);
}

/*
 * The local tree. After a pass that found both sides in sync, with the
 * monitor watching since, the folder is the base but for the paths the
 * monitor reported: only those are walked, which keeps a save in a big
 * tree from costing a walk of all of it (and a change on the server from
 * costing any walk). Otherwise, and when asked, the whole folder is.
 */
static YpSyncTree *
scan_local (YpSyncWorker  *worker,
            YpSyncTree    *base,
            YpSyncIgnore  *ignore,
            GCancellable  *cancellable,
            GPtrArray    **problems,
            GError       **error)
{
  g_autofree const char **paths = NULL;
  Untouched untouched = { NULL, worker->dirty };
  YpSyncTree *changed;

  if (worker->full_scan || !worker->local_trusted || worker->monitor == NULL)
    {
      worker->full_scan = FALSE;
      g_hash_table_remove_all (worker->dirty);
      return yp_sync_scan_sync (worker->local_path, base, ignore, NULL, cancellable, problems,
                                error);
    }

  /* borrowed from the set, which keeps them until the walk is done */
  paths = (const char **) g_hash_table_get_keys_as_array (worker->dirty, NULL);
  changed = yp_sync_scan_paths_sync (worker->local_path, paths, base, ignore, NULL, cancellable,
                                     problems, error);
  if (changed == NULL)
    return NULL;
  untouched.tree = changed;
  yp_sync_tree_foreach (base, add_untouched, &untouched);
  g_hash_table_remove_all (worker->dirty);
  return changed;
}

/* ------------------------------------------------------------------------
 * The pass
 * ------------------------------------------------------------------------ */

static YpSyncIgnore *
load_ignore (YpSyncWorker *worker)
{
  g_autofree char *path = g_build_filename (worker->local_path, YP_SYNC_ENGINE_IGNORE_FILE, NULL);
  g_autoptr(GError) error = NULL;
  YpSyncIgnore *ignore = yp_sync_ignore_new_from_file (path, &error);

  if (ignore == NULL)
    {
      g_warning ("%s", error->message);
      ignore = yp_sync_ignore_new ();
    }
  return ignore;
}

typedef struct
{
  gboolean idle;      /* only records and forgets */
  gboolean settled;   /* nothing a next pass could do: idle but for skips */
  guint    n_skips;
} PlanShape;

static PlanShape
plan_shape (YpSyncPlan *plan)
{
  PlanShape shape = { yp_sync_plan_is_idle (plan), TRUE, 0 };

  for (guint i = 0; i < yp_sync_plan_get_n_actions (plan); i++)
    {
      YpSyncAction *action = yp_sync_plan_get_action (plan, i);

      if (action->kind == YP_SYNC_ACTION_SKIP)
        shape.n_skips++;
      else if (action->kind != YP_SYNC_ACTION_RECORD && action->kind != YP_SYNC_ACTION_FORGET)
        shape.settled = FALSE;
    }
  return shape;
}

static gboolean
save_cursor (YpSyncWorker  *worker,
             GError       **error)
{
  if (yp_sync_state_get_cursor (worker->state) == worker->remote_cursor)
    return TRUE;
  if (!yp_sync_state_begin_sync (worker->state, error))
    return FALSE;
  yp_sync_state_set_cursor (worker->state, worker->remote_cursor);
  return yp_sync_state_commit_sync (worker->state, error);
}

/* The server's rules are the protocol's; a local name only has to fit
 * a POSIX file system (the server's names always do, but for length). */
static gboolean
name_valid (const char *name,
            YpSyncSide  side,
            gpointer    user_data)
{
  gsize len = strlen (name);

  if (side == YP_SYNC_SIDE_REMOTE)
    return yp_name_is_valid (name, len);
  return len > 0 && len <= 255 && strchr (name, '/') == NULL && !g_str_equal (name, ".")
         && !g_str_equal (name, "..");
}

static YpSyncPlan *
make_plan (YpSyncWorker *worker,
           YpSyncTree   *local,
           YpSyncTree   *remote,
           YpSyncTree   *base)
{
  YpSyncReconcileOptions options = {
    .host = worker->host,
    .case_insensitive_local = worker->case_insensitive,
    .name_valid = name_valid,
  };

  return yp_sync_reconcile (local, remote, base, &options);
}

gboolean
_yp_sync_pass_run (YpSyncWorker      *worker,
                   YpSyncPassResult  *result,
                   GError           **error)
{
  GCancellable *cancellable = worker->cancellable;
  g_autoptr(YpSyncIgnore) ignore = load_ignore (worker);
  g_autoptr(YpSyncTree) base = NULL;
  g_autoptr(YpSyncTree) local = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncTree) base_seen = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(YpSyncPlan) plan = NULL;
  PlanShape shape;

  _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_SCANNING, NULL);
  base = yp_sync_state_load_base_sync (worker->state, error);
  if (base == NULL || !update_remote (worker, base, ignore, cancellable, error))
    return FALSE;
  /* until this pass says otherwise */
  worker->local_trusted = FALSE;
  local = scan_local (worker, base, ignore, cancellable, &problems, error);
  if (local == NULL)
    return FALSE;
  report_problems (worker, problems);

  remote = tree_without_problems (worker->remote, problems);
  base_seen = tree_without_problems (base, problems);
  plan = make_plan (worker, local, remote, base_seen);
  shape = plan_shape (plan);

  worker->n_unfinished = 0;
  if (yp_sync_plan_get_n_actions (plan) > 0)
    {
      if (!shape.idle)
        _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_SYNCING, NULL);
      if (!yp_sync_executor_run_sync (worker->executor, plan, remote, cancellable, error))
        return FALSE;
    }
  _yp_sync_engine_post_progress (worker->engine, 0, 0);

  /* the base now holds all the server had up to the cursor, unless a
   * path was left out */
  if (worker->n_unfinished == 0 && problems->len == 0 && shape.n_skips == 0
      && !save_cursor (worker, error))
    return FALSE;

  result->did_work = !shape.idle;
  result->settled = shape.settled && worker->n_unfinished <= shape.n_skips;
  result->in_sync = result->settled && shape.n_skips == 0 && problems->len == 0;

  worker->local_trusted = result->in_sync;
  /* In sync, the base is the remote tree as of the cursor just saved: an
   * idle engine need not hold a second copy of every path. */
  if (result->in_sync && yp_sync_state_get_cursor (worker->state) == worker->remote_cursor)
    g_clear_pointer (&worker->remote, yp_sync_tree_unref);
  return TRUE;
}

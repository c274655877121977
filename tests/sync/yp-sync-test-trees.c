/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Trees built in a few lines for the sync tests, plans read as one line,
 * and the fixture of the reconciler's small cases: three trees and the
 * options.
 */
#include <string.h>

#include "yp-sync-test-trees.h"

/* A file's stat follows from its content, so that an edit changes it. */
YpSyncItem *
file_new (const char *path,
          const char *sha,
          guint64     inode,
          gint64      remote_id,
          gint64      version)
{
  YpSyncItem *item = yp_sync_item_new (path, YP_SYNC_KIND_FILE);

  g_strlcpy (item->sha256, sha, sizeof item->sha256);
  item->size = strlen (sha);
  item->mtime_ns = g_str_hash (sha);
  item->device = inode ? 1 : 0;
  item->inode = inode;
  item->remote_id = remote_id;
  item->remote_version = version;
  return item;
}

void
tree_add_file (YpSyncTree *tree,
               const char *path,
               const char *sha,
               guint64     inode,
               gint64      remote_id,
               gint64      version)
{
  g_autoptr(YpSyncItem) item = file_new (path, sha, inode, remote_id, version);

  yp_sync_tree_add (tree, item);
}

/* A local file the scanner did not hash: its stat says CONTENT. */
void
tree_add_unhashed (YpSyncTree *tree,
                   const char *path,
                   const char *content,
                   guint64     inode)
{
  g_autoptr(YpSyncItem) item = file_new (path, content, inode, 0, 0);

  item->sha256[0] = '\0';
  yp_sync_tree_add (tree, item);
}

void
tree_add_folder (YpSyncTree *tree,
                 const char *path,
                 guint64     inode,
                 gint64      remote_id)
{
  g_autoptr(YpSyncItem) item = yp_sync_item_new (path, YP_SYNC_KIND_FOLDER);

  item->device = inode ? 1 : 0;
  item->inode = inode;
  item->remote_id = remote_id;
  item->remote_version = remote_id ? 1 : 0;
  yp_sync_tree_add (tree, item);
}

void
trees_set_up (TreesFixture  *fx,
              gconstpointer  data)
{
  fx->local = yp_sync_tree_new ();
  fx->remote = yp_sync_tree_new ();
  fx->base = yp_sync_tree_new ();
  fx->time = g_date_time_new_utc (2026, 12, 2, 6, 15, 0);
  fx->options = (YpSyncReconcileOptions) { .host = "laptop", .time = fx->time };
}

void
trees_tear_down (TreesFixture  *fx,
                 gconstpointer  data)
{
  g_clear_pointer (&fx->plan, yp_sync_plan_unref);
  g_date_time_unref (fx->time);
  yp_sync_tree_unref (fx->base);
  yp_sync_tree_unref (fx->remote);
  yp_sync_tree_unref (fx->local);
}

/* A synced file: the same in the base and on both sides (id = inode + 1000,
 * version 1). */
void
synced_file (TreesFixture *fx,
             const char   *path,
             const char   *sha,
             guint64       inode)
{
  tree_add_file (fx->base, path, sha, inode, (gint64) inode + 1000, 1);
  tree_add_file (fx->local, path, sha, inode, 0, 0);
  tree_add_file (fx->remote, path, sha, 0, (gint64) inode + 1000, 1);
}

void
synced_folder (TreesFixture *fx,
               const char   *path,
               guint64       inode)
{
  tree_add_folder (fx->base, path, inode, (gint64) inode + 1000);
  tree_add_folder (fx->local, path, inode, 0);
  tree_add_folder (fx->remote, path, 0, (gint64) inode + 1000);
}

char *
describe_action (YpSyncAction *action)
{
  const char *kind = yp_sync_action_kind_to_string (action->kind);

  if (action->from_path != NULL)
    return g_strdup_printf ("%s %s->%s", kind, action->from_path, action->path);
  return g_strdup_printf ("%s %s", kind, action->path);
}

char *
describe_plan (YpSyncPlan *plan)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < yp_sync_plan_get_n_actions (plan); i++)
    {
      g_autofree char *line = describe_action (yp_sync_plan_get_action (plan, i));

      g_string_append_printf (text, "%s%s", i ? "; " : "", line);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Reconciles the fixture's trees and checks the plan reads EXPECTED. */
YpSyncPlan *
reconcile (TreesFixture *fx,
           const char   *expected)
{
  g_autofree char *text = NULL;

  g_clear_pointer (&fx->plan, yp_sync_plan_unref);
  fx->plan = yp_sync_reconcile (fx->local, fx->remote, fx->base, &fx->options);
  text = describe_plan (fx->plan);
  g_assert_cmpstr (text, ==, expected);
  return fx->plan;
}

YpSyncAction *
action_at (TreesFixture *fx,
           guint         index)
{
  return yp_sync_plan_get_action (fx->plan, index);
}

/* Fails unless GOT and WANT hold the same items, field by field. */
void
assert_same_tree (YpSyncTree *got,
                  YpSyncTree *want)
{
  g_autoptr(GPtrArray) a = yp_sync_tree_dup_items (got);
  g_autoptr(GPtrArray) b = yp_sync_tree_dup_items (want);

  for (guint i = 0; i < MIN (a->len, b->len); i++)
    {
      YpSyncItem *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (x->path, ==, y->path);
      g_assert_cmpint (x->kind, ==, y->kind);
      g_assert_cmpuint (x->size, ==, y->size);
      g_assert_cmpint (x->mtime_ns, ==, y->mtime_ns);
      g_assert_cmpstr (x->sha256, ==, y->sha256);
      g_assert_cmpint (x->remote_id, ==, y->remote_id);
      g_assert_cmpint (x->remote_version, ==, y->remote_version);
    }
  g_assert_cmpuint (a->len, ==, b->len);
}

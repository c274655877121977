/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-node.h"
#include "yp-sync-reconcile.h"

/* ------------------------------------------------------------------ */
/* Building trees in a few lines                                      */

/* A file's stat follows from its content, so that an edit changes it. */
static YpSyncItem *
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

static void
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
static void
tree_add_unhashed (YpSyncTree *tree,
                   const char *path,
                   const char *content,
                   guint64     inode)
{
  g_autoptr(YpSyncItem) item = file_new (path, content, inode, 0, 0);

  item->sha256[0] = '\0';
  yp_sync_tree_add (tree, item);
}

static void
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

typedef struct
{
  YpSyncTree             *local;
  YpSyncTree             *remote;
  YpSyncTree             *base;
  YpSyncReconcileOptions  options;
  GDateTime              *time;
  YpSyncPlan             *plan;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  fx->local = yp_sync_tree_new ();
  fx->remote = yp_sync_tree_new ();
  fx->base = yp_sync_tree_new ();
  fx->time = g_date_time_new_utc (2026, 12, 2, 6, 15, 0);
  fx->options = (YpSyncReconcileOptions) { .host = "laptop", .time = fx->time };
}

static void
fixture_tear_down (Fixture       *fx,
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
static void
synced_file (Fixture    *fx,
             const char *path,
             const char *sha,
             guint64     inode)
{
  tree_add_file (fx->base, path, sha, inode, (gint64) inode + 1000, 1);
  tree_add_file (fx->local, path, sha, inode, 0, 0);
  tree_add_file (fx->remote, path, sha, 0, (gint64) inode + 1000, 1);
}

static void
synced_folder (Fixture    *fx,
               const char *path,
               guint64     inode)
{
  tree_add_folder (fx->base, path, inode, (gint64) inode + 1000);
  tree_add_folder (fx->local, path, inode, 0);
  tree_add_folder (fx->remote, path, 0, (gint64) inode + 1000);
}

static char *
describe_action (YpSyncAction *action)
{
  const char *kind = yp_sync_action_kind_to_string (action->kind);

  if (action->from_path != NULL)
    return g_strdup_printf ("%s %s->%s", kind, action->from_path, action->path);
  return g_strdup_printf ("%s %s", kind, action->path);
}

static char *
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
static YpSyncPlan *
reconcile (Fixture    *fx,
           const char *expected)
{
  g_autofree char *text = NULL;

  g_clear_pointer (&fx->plan, yp_sync_plan_unref);
  fx->plan = yp_sync_reconcile (fx->local, fx->remote, fx->base, &fx->options);
  text = describe_plan (fx->plan);
  g_assert_cmpstr (text, ==, expected);
  return fx->plan;
}

static YpSyncAction *
action_at (Fixture *fx,
           guint    index)
{
  return yp_sync_plan_get_action (fx->plan, index);
}

/* ------------------------------------------------------------------ */
/* Content                                                            */

static void
test_unchanged (Fixture       *fx,
                gconstpointer  data)
{
  synced_folder (fx, "d", 1);
  synced_file (fx, "d/a.txt", "aaa", 2);
  synced_file (fx, "b.txt", "bbb", 3);
  reconcile (fx, "");
  g_assert_true (yp_sync_plan_is_idle (fx->plan));
}

static void
test_local_edit (Fixture       *fx,
                 gconstpointer  data)
{
  synced_file (fx, "a.txt", "old", 1);
  tree_add_file (fx->local, "a.txt", "new", 1, 0, 0);
  reconcile (fx, "upload a.txt");
  /* conditional on the version the base holds */
  g_assert_cmpint (action_at (fx, 0)->if_version, ==, 1);
  g_assert_cmpstr (action_at (fx, 0)->local->sha256, ==, "new");
}

static void
test_remote_edit (Fixture       *fx,
                  gconstpointer  data)
{
  synced_file (fx, "a.txt", "old", 1);
  tree_add_file (fx->remote, "a.txt", "new", 0, 1001, 2);
  reconcile (fx, "download a.txt");
  g_assert_cmpstr (action_at (fx, 0)->remote->sha256, ==, "new");
  g_assert_cmpint (action_at (fx, 0)->remote->remote_version, ==, 2);
  /* it replaces only the local file the plan saw */
  g_assert_nonnull (action_at (fx, 0)->local);
  g_assert_cmpuint (action_at (fx, 0)->local->inode, ==, 1);
}

static void
test_both_same (Fixture       *fx,
                gconstpointer  data)
{
  synced_file (fx, "a.txt", "old", 1);
  tree_add_file (fx->local, "a.txt", "new", 1, 0, 0);
  tree_add_file (fx->remote, "a.txt", "new", 0, 1001, 2);
  reconcile (fx, "record a.txt");
}

static void
test_both_different (Fixture       *fx,
                     gconstpointer  data)
{
  synced_file (fx, "docs/report.txt", "old", 1);
  tree_add_file (fx->local, "docs/report.txt", "mine", 1, 0, 0);
  tree_add_file (fx->remote, "docs/report.txt", "theirs", 0, 1001, 2);
  reconcile (fx, "conflict docs/report.txt");
  g_assert_cmpstr (action_at (fx, 0)->conflict_path, ==,
                   "docs/report (conflict 2026-12-02 061500 from laptop).txt");
  g_assert_cmpstr (action_at (fx, 0)->local->sha256, ==, "mine");
  g_assert_cmpstr (action_at (fx, 0)->remote->sha256, ==, "theirs");
}

static void
test_both_new (Fixture       *fx,
               gconstpointer  data)
{
  tree_add_file (fx->local, "same", "x", 1, 0, 0);
  tree_add_file (fx->remote, "same", "x", 0, 11, 1);
  tree_add_file (fx->local, "other", "mine", 2, 0, 0);
  tree_add_file (fx->remote, "other", "theirs", 0, 12, 1);
  tree_add_folder (fx->local, "dir", 3, 0);
  tree_add_folder (fx->remote, "dir", 0, 13);
  reconcile (fx, "record dir; conflict other; record same");
  g_assert_cmpstr (action_at (fx, 1)->conflict_path, ==,
                   "other (conflict 2026-12-02 061500 from laptop)");
}

static void
test_new_one_side (Fixture       *fx,
                   gconstpointer  data)
{
  tree_add_folder (fx->local, "up", 1, 0);
  tree_add_file (fx->local, "up/a", "a", 2, 0, 0);
  tree_add_folder (fx->remote, "down", 0, 11);
  tree_add_folder (fx->remote, "down/deeper", 0, 12);
  tree_add_file (fx->remote, "down/deeper/b", "b", 0, 13, 1);
  reconcile (fx, "mkdir-local down; mkdir-local down/deeper; download down/deeper/b; "
                 "mkdir-remote up; upload up/a");
  g_assert_null (action_at (fx, 2)->local);
  g_assert_cmpint (action_at (fx, 4)->if_version, ==, YP_VERSION_NONE);
}

static void
test_unhashed (Fixture       *fx,
               gconstpointer  data)
{
  tree_add_file (fx->base, "same", "s", 1, 1001, 1);
  tree_add_unhashed (fx->local, "same", "s", 1);
  tree_add_file (fx->remote, "same", "s", 0, 1001, 1);
  tree_add_file (fx->base, "touched", "t", 2, 1002, 1);
  tree_add_unhashed (fx->local, "touched", "t, edited", 2);
  tree_add_file (fx->remote, "touched", "t", 0, 1002, 1);
  reconcile (fx, "upload touched");
}

/* ------------------------------------------------------------------ */
/* Deletes                                                            */

static void
test_delete_one_side (Fixture       *fx,
                      gconstpointer  data)
{
  synced_file (fx, "gone-here", "a", 1);
  synced_file (fx, "gone-there", "b", 2);
  yp_sync_tree_remove (fx->local, "gone-here");
  yp_sync_tree_remove (fx->remote, "gone-there");
  reconcile (fx, "delete-remote gone-here; delete-local gone-there");
  g_assert_cmpint (action_at (fx, 0)->if_version, ==, 1);
  g_assert_cmpuint (action_at (fx, 1)->local->inode, ==, 2);
}

static void
test_delete_both (Fixture       *fx,
                  gconstpointer  data)
{
  synced_file (fx, "a", "a", 1);
  yp_sync_tree_remove (fx->local, "a");
  yp_sync_tree_remove (fx->remote, "a");
  reconcile (fx, "forget a");
  g_assert_true (yp_sync_plan_is_idle (fx->plan));
}

static void
test_edit_vs_delete (Fixture       *fx,
                     gconstpointer  data)
{
  synced_file (fx, "edited-here", "a", 1);
  synced_file (fx, "edited-there", "b", 2);
  tree_add_file (fx->local, "edited-here", "a2", 1, 0, 0);
  yp_sync_tree_remove (fx->remote, "edited-here");
  tree_add_file (fx->remote, "edited-there", "b2", 0, 1002, 2);
  yp_sync_tree_remove (fx->local, "edited-there");
  reconcile (fx, "upload edited-here; download edited-there");
  g_assert_cmpint (action_at (fx, 0)->if_version, ==, YP_VERSION_NONE);
  g_assert_null (action_at (fx, 1)->local);
}

/* A local file whose stat moved on is not deleted, even if its hash is
 * not known: it is uploaded again. */
static void
test_delete_spares_unknown (Fixture       *fx,
                            gconstpointer  data)
{
  synced_file (fx, "a", "a", 1);
  tree_add_unhashed (fx->local, "a", "a, edited", 1);
  yp_sync_tree_remove (fx->remote, "a");
  reconcile (fx, "upload a");
}

static void
test_rmdir_vs_new_file (Fixture       *fx,
                        gconstpointer  data)
{
  synced_folder (fx, "d", 1);
  synced_file (fx, "d/edited", "e", 2);
  synced_file (fx, "d/kept", "k", 3);
  synced_folder (fx, "d/sub", 4);
  synced_file (fx, "d/sub/old", "o", 5);
  /* remote: d deleted; local: a file edited, one added */
  yp_sync_tree_remove (fx->remote, "d");
  yp_sync_tree_remove (fx->remote, "d/edited");
  yp_sync_tree_remove (fx->remote, "d/kept");
  yp_sync_tree_remove (fx->remote, "d/sub");
  yp_sync_tree_remove (fx->remote, "d/sub/old");
  tree_add_file (fx->local, "d/edited", "e2", 2, 0, 0);
  tree_add_file (fx->local, "d/new", "n", 6, 0, 0);
  reconcile (fx, "delete-local d/kept; delete-local d/sub/old; "
                 "mkdir-remote d; upload d/edited; upload d/new; delete-local d/sub");
}

static void
test_rmdir_local_vs_remote_edit (Fixture       *fx,
                                 gconstpointer  data)
{
  synced_folder (fx, "d", 1);
  synced_file (fx, "d/edited", "e", 2);
  synced_file (fx, "d/kept", "k", 3);
  yp_sync_tree_remove (fx->local, "d");
  yp_sync_tree_remove (fx->local, "d/edited");
  yp_sync_tree_remove (fx->local, "d/kept");
  tree_add_file (fx->remote, "d/edited", "e2", 0, 1002, 2);
  tree_add_file (fx->remote, "d/new", "n", 0, 1010, 1);
  reconcile (fx, "delete-remote d/kept; mkdir-local d; download d/edited; download d/new");
}

/* Folders survive all the way down to the new file. */
static void
test_rmdir_nested (Fixture       *fx,
                   gconstpointer  data)
{
  synced_folder (fx, "d", 1);
  synced_folder (fx, "d/sub", 2);
  synced_folder (fx, "d/sub/deeper", 3);
  yp_sync_tree_remove (fx->remote, "d");
  yp_sync_tree_remove (fx->remote, "d/sub");
  yp_sync_tree_remove (fx->remote, "d/sub/deeper");
  tree_add_file (fx->local, "d/sub/deeper/new", "n", 4, 0, 0);
  reconcile (fx, "mkdir-remote d; mkdir-remote d/sub; mkdir-remote d/sub/deeper; "
                 "upload d/sub/deeper/new");
}

/* A remote file changed in any way since the base is not deleted, even
 * with its old content: it comes back. */
static void
test_delete_spares_touched (Fixture       *fx,
                            gconstpointer  data)
{
  synced_file (fx, "a", "a", 1);
  yp_sync_tree_remove (fx->local, "a");
  tree_add_file (fx->remote, "a", "a", 0, 1001, 2);
  reconcile (fx, "download a");
}

static void
test_file_becomes_folder (Fixture       *fx,
                          gconstpointer  data)
{
  synced_file (fx, "x", "x", 1);
  yp_sync_tree_remove (fx->local, "x");
  tree_add_folder (fx->local, "x", 2, 0);
  reconcile (fx, "delete-remote x; mkdir-remote x");
}

/* The server replaced a file by a folder while it was edited here: the
 * folder takes the name, the edit is kept under a conflict name. */
static void
test_folder_vs_edited_file (Fixture       *fx,
                            gconstpointer  data)
{
  synced_file (fx, "x", "x", 1);
  tree_add_file (fx->local, "x", "x2", 1, 0, 0);
  yp_sync_tree_remove (fx->remote, "x");
  tree_add_folder (fx->remote, "x", 0, 30);
  tree_add_file (fx->remote, "x/in", "in", 0, 31, 1);
  reconcile (fx, "move-local x->x (conflict 2026-12-02 061500 from laptop); "
                 "upload x (conflict 2026-12-02 061500 from laptop); mkdir-local x; download x/in");
  g_assert_cmpint (action_at (fx, 1)->if_version, ==, YP_VERSION_NONE);
}

static void
test_delete_order (Fixture       *fx,
                   gconstpointer  data)
{
  synced_folder (fx, "d", 1);
  synced_folder (fx, "d/e", 2);
  synced_file (fx, "d/e/f", "f", 3);
  synced_file (fx, "d/g", "g", 4);
  yp_sync_tree_remove (fx->remote, "d");
  yp_sync_tree_remove (fx->remote, "d/e");
  yp_sync_tree_remove (fx->remote, "d/e/f");
  yp_sync_tree_remove (fx->remote, "d/g");
  reconcile (fx, "delete-local d/e/f; delete-local d/g; delete-local d/e; delete-local d");
}

/* ------------------------------------------------------------------ */
/* Renames                                                            */

static void
test_local_rename (Fixture       *fx,
                   gconstpointer  data)
{
  synced_file (fx, "a.txt", "a", 1);
  yp_sync_tree_remove (fx->local, "a.txt");
  tree_add_file (fx->local, "b.txt", "a", 1, 0, 0);
  reconcile (fx, "move-remote a.txt->b.txt");
  g_assert_cmpint (action_at (fx, 0)->remote->remote_id, ==, 1001);
  g_assert_cmpint (action_at (fx, 0)->if_version, ==, 1);
}

static void
test_remote_rename (Fixture       *fx,
                    gconstpointer  data)
{
  synced_folder (fx, "d", 1);
  synced_file (fx, "d/a.txt", "a", 2);
  yp_sync_tree_remove (fx->remote, "d/a.txt");
  tree_add_file (fx->remote, "a.txt", "a", 0, 1002, 2);
  reconcile (fx, "move-local d/a.txt->a.txt");
}

/* An edited, moved file is not the same file: it is sent again. */
static void
test_rename_needs_same_stat (Fixture       *fx,
                             gconstpointer  data)
{
  synced_file (fx, "a", "a", 1);
  yp_sync_tree_remove (fx->local, "a");
  tree_add_file (fx->local, "b", "a, edited", 1, 0, 0);
  reconcile (fx, "delete-remote a; upload b");
}

static void
test_folder_rename (Fixture       *fx,
                    gconstpointer  data)
{
  const char *names[] = { "x", "y", "z" };

  synced_folder (fx, "old", 1);
  synced_folder (fx, "old/sub", 2);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *before = g_strdup_printf ("old/sub/%s", names[i]);
      g_autofree char *after = g_strdup_printf ("new/sub/%s", names[i]);

      synced_file (fx, before, names[i], 10 + i);
      yp_sync_tree_remove (fx->local, before);
      tree_add_file (fx->local, after, names[i], 10 + i, 0, 0);
    }
  yp_sync_tree_remove (fx->local, "old");
  yp_sync_tree_remove (fx->local, "old/sub");
  tree_add_folder (fx->local, "new", 1, 0);
  tree_add_folder (fx->local, "new/sub", 2, 0);
  reconcile (fx, "move-remote old->new");

  /* the same, the other way */
  yp_sync_tree_unref (fx->local);
  fx->local = g_steal_pointer (&fx->remote);
  fx->remote = yp_sync_tree_new ();
  tree_add_folder (fx->remote, "new", 0, 1001);
  tree_add_folder (fx->remote, "new/sub", 0, 1002);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *before = g_strdup_printf ("old/sub/%s", names[i]);
      g_autofree char *after = g_strdup_printf ("new/sub/%s", names[i]);

      tree_add_file (fx->remote, after, names[i], 0, 1010 + i, 1);
      yp_sync_tree_remove (fx->local, after);
      tree_add_file (fx->local, before, names[i], 10 + i, 0, 0);
    }
  yp_sync_tree_remove (fx->local, "new");
  yp_sync_tree_remove (fx->local, "new/sub");
  tree_add_folder (fx->local, "old", 1, 0);
  tree_add_folder (fx->local, "old/sub", 2, 0);
  reconcile (fx, "move-local old->new");
}

static void
test_rename_and_edit (Fixture       *fx,
                      gconstpointer  data)
{
  synced_file (fx, "renamed-here", "a", 1);
  synced_file (fx, "renamed-there", "b", 2);
  /* local rename, remote edit */
  yp_sync_tree_remove (fx->local, "renamed-here");
  tree_add_file (fx->local, "x-here", "a", 1, 0, 0);
  tree_add_file (fx->remote, "renamed-here", "a2", 0, 1001, 2);
  /* remote rename, local edit */
  yp_sync_tree_remove (fx->remote, "renamed-there");
  tree_add_file (fx->remote, "x-there", "b", 0, 1002, 1);
  tree_add_file (fx->local, "renamed-there", "b2", 2, 0, 0);
  reconcile (fx, "move-remote renamed-here->x-here; download x-here; "
                 "move-local renamed-there->x-there; upload x-there");
}

static void
test_rename_both (Fixture       *fx,
                  gconstpointer  data)
{
  synced_file (fx, "a", "a", 1);
  yp_sync_tree_remove (fx->local, "a");
  tree_add_file (fx->local, "mine", "a", 1, 0, 0);
  yp_sync_tree_remove (fx->remote, "a");
  tree_add_file (fx->remote, "theirs", "a", 0, 1001, 1);
  reconcile (fx, "move-local mine->theirs");
  g_assert_nonnull (action_at (fx, 0)->reason);

  /* to the same name: only the base changes */
  yp_sync_tree_remove (fx->local, "mine");
  tree_add_file (fx->local, "theirs", "a", 1, 0, 0);
  reconcile (fx, "record theirs");
}

static void
test_rename_vs_delete (Fixture       *fx,
                       gconstpointer  data)
{
  synced_file (fx, "renamed-here", "a", 1);
  synced_file (fx, "renamed-there", "b", 2);
  yp_sync_tree_remove (fx->local, "renamed-here");
  tree_add_file (fx->local, "x-here", "a", 1, 0, 0);
  yp_sync_tree_remove (fx->remote, "renamed-here");
  yp_sync_tree_remove (fx->remote, "renamed-there");
  tree_add_file (fx->remote, "x-there", "b", 0, 1002, 1);
  yp_sync_tree_remove (fx->local, "renamed-there");
  reconcile (fx, "upload x-here; download x-there");
}

/* A folder renamed on one side and deleted on the other comes back with
 * its content. */
static void
test_folder_rename_vs_delete (Fixture       *fx,
                              gconstpointer  data)
{
  synced_folder (fx, "d", 1);
  synced_file (fx, "d/f", "f", 2);
  yp_sync_tree_remove (fx->local, "d");
  yp_sync_tree_remove (fx->local, "d/f");
  yp_sync_tree_remove (fx->remote, "d");
  yp_sync_tree_remove (fx->remote, "d/f");
  tree_add_folder (fx->remote, "e", 0, 1001);
  tree_add_file (fx->remote, "e/f", "f", 0, 1002, 1);
  reconcile (fx, "mkdir-local e; download e/f");
}

/* A rename onto a name the base holds is not taken for a rename: the file
 * there changed, the old name went. */
static void
test_rename_onto_synced_name (Fixture       *fx,
                              gconstpointer  data)
{
  synced_file (fx, "a", "a", 1);
  synced_file (fx, "b", "b", 2);
  yp_sync_tree_remove (fx->local, "a");
  tree_add_file (fx->local, "b", "a", 1, 0, 0);
  reconcile (fx, "delete-remote a; upload b");
  g_assert_cmpint (action_at (fx, 1)->if_version, ==, 1);
}

/* Each side moved one folder into the other: the server's layout wins. */
static void
test_rename_cycle (Fixture       *fx,
                   gconstpointer  data)
{
  synced_folder (fx, "A", 1);
  synced_folder (fx, "B", 2);
  yp_sync_tree_remove (fx->remote, "A");
  tree_add_folder (fx->remote, "B/A", 0, 1001);
  yp_sync_tree_remove (fx->local, "B");
  tree_add_folder (fx->local, "A/B", 2, 0);
  reconcile (fx, "move-local A/B->B; move-local A->B/A");
}

/* A name another item leaves in the same plan is freed first. */
static void
test_rotation (Fixture       *fx,
               gconstpointer  data)
{
  synced_file (fx, "log", "now", 1);
  synced_file (fx, "log.1", "older", 2);
  yp_sync_tree_remove (fx->remote, "log");
  yp_sync_tree_remove (fx->remote, "log.1");
  tree_add_file (fx->remote, "log.2", "older", 0, 1002, 1);
  tree_add_file (fx->remote, "log.1", "now", 0, 1001, 1);
  tree_add_file (fx->remote, "log", "newest", 0, 1003, 1);
  reconcile (fx, "move-local log.1->log.2; move-local log->log.1; download log");
  g_assert_null (action_at (fx, 2)->local);
}

/* Two names swapped on the server: one moves aside first. */
static void
test_swap (Fixture       *fx,
           gconstpointer  data)
{
  synced_file (fx, "a", "a", 1);
  synced_file (fx, "b", "b", 2);
  yp_sync_tree_remove (fx->remote, "a");
  yp_sync_tree_remove (fx->remote, "b");
  tree_add_file (fx->remote, "b", "a", 0, 1001, 1);
  tree_add_file (fx->remote, "a", "b", 0, 1002, 1);
  reconcile (fx, "move-local b->b.~yp-moving; move-local a->b; move-local b.~yp-moving->a");
}

/* Moves come before what goes inside the folder they make. */
static void
test_move_into_deleted_folder (Fixture       *fx,
                               gconstpointer  data)
{
  synced_folder (fx, "d", 1);
  synced_file (fx, "f", "f", 2);
  yp_sync_tree_remove (fx->local, "d");
  yp_sync_tree_remove (fx->remote, "f");
  tree_add_file (fx->remote, "d/f", "f", 0, 1002, 1);
  reconcile (fx, "mkdir-local d; move-local f->d/f");
}

static void
test_move_out_then_rmdir (Fixture       *fx,
                          gconstpointer  data)
{
  synced_folder (fx, "d", 1);
  synced_file (fx, "d/f", "f", 2);
  yp_sync_tree_remove (fx->remote, "d");
  yp_sync_tree_remove (fx->remote, "d/f");
  tree_add_file (fx->remote, "f", "f", 0, 1002, 1);
  reconcile (fx, "move-local d/f->f; delete-local d");
}

/* ------------------------------------------------------------------ */
/* Skips                                                              */

static void
test_case_clash (Fixture       *fx,
                 gconstpointer  data)
{
  synced_file (fx, "Report.txt", "a", 1);
  tree_add_file (fx->remote, "report.txt", "b", 0, 12, 1);
  reconcile (fx, "download report.txt");

  fx->options.case_insensitive_local = TRUE;
  reconcile (fx, "skip report.txt");
  g_assert_cmpint (action_at (fx, 0)->skip_code, ==, YP_SYNC_ERROR_CASE_CLASH);
  g_assert_nonnull (action_at (fx, 0)->reason);

  /* a case-only rename on the server is a move, not a clash */
  yp_sync_tree_remove (fx->remote, "report.txt");
  yp_sync_tree_remove (fx->remote, "Report.txt");
  tree_add_file (fx->remote, "REPORT.txt", "a", 0, 1001, 1);
  reconcile (fx, "move-local Report.txt->REPORT.txt");
}

/* Two names new on the server that a case-folding local side cannot both
 * hold: the first in path order is kept, whatever order the trees are
 * walked in. */
static void
test_case_clash_both_new (Fixture       *fx,
                          gconstpointer  data)
{
  fx->options.case_insensitive_local = TRUE;
  tree_add_file (fx->remote, "report.txt", "b", 0, 12, 1);
  tree_add_file (fx->remote, "Report.txt", "a", 0, 11, 1);
  reconcile (fx, "skip report.txt; download Report.txt");
  g_assert_cmpint (action_at (fx, 0)->skip_code, ==, YP_SYNC_ERROR_CASE_CLASH);
}

/* A local rename onto a name new on the server: the server's file keeps
 * the name, the renamed one takes a conflict name on both sides. */
static void
test_name_taken (Fixture       *fx,
                 gconstpointer  data)
{
  synced_file (fx, "a", "a", 1);
  yp_sync_tree_remove (fx->local, "a");
  tree_add_file (fx->local, "c", "a", 1, 0, 0);
  tree_add_file (fx->remote, "c", "other", 0, 20, 1);
  reconcile (fx, "move-remote a->c (conflict 2026-12-02 061500 from laptop); "
                 "move-local c->c (conflict 2026-12-02 061500 from laptop); download c");
  g_assert_nonnull (action_at (fx, 0)->reason);
  g_assert_null (action_at (fx, 2)->local);
}

/* A conflict copy never lands on a name in use. */
static void
test_conflict_name_in_use (Fixture       *fx,
                           gconstpointer  data)
{
  synced_file (fx, "a.txt", "old", 1);
  synced_file (fx, "a (conflict 2026-12-02 061500 from laptop).txt", "copy", 2);
  tree_add_file (fx->local, "a.txt", "mine", 1, 0, 0);
  tree_add_file (fx->remote, "a.txt", "theirs", 0, 1001, 2);
  reconcile (fx, "conflict a.txt");
  g_assert_cmpstr (action_at (fx, 0)->conflict_path, ==,
                   "a (conflict 2026-12-02 061500 from laptop 2).txt");
}

static void
test_kind_clash (Fixture       *fx,
                 gconstpointer  data)
{
  tree_add_file (fx->local, "kind", "k", 3, 0, 0);
  tree_add_folder (fx->remote, "kind", 0, 21);
  tree_add_file (fx->remote, "kind/inside", "i", 0, 22, 1);
  reconcile (fx, "skip kind; skip kind");
}

static gboolean
no_colon_locally (const char *name,
                  YpSyncSide  side,
                  gpointer    user_data)
{
  guint *calls = user_data;

  (*calls)++;
  return side == YP_SYNC_SIDE_REMOTE || strchr (name, ':') == NULL;
}

static void
test_invalid_name (Fixture       *fx,
                   gconstpointer  data)
{
  guint calls = 0;

  fx->options.name_valid = no_colon_locally;
  fx->options.user_data = &calls;
  tree_add_file (fx->remote, "a:b", "x", 0, 11, 1);
  tree_add_folder (fx->remote, "c:d", 0, 12);
  tree_add_file (fx->remote, "c:d/e", "e", 0, 13, 1);
  tree_add_file (fx->local, "up:ok", "u", 1, 0, 0);
  reconcile (fx, "skip a:b; skip c:d; upload up:ok");
  g_assert_cmpint (action_at (fx, 0)->skip_code, ==, YP_SYNC_ERROR_INVALID_NAME);
  g_assert_cmpuint (calls, >, 0);
}

static void
test_conflict_name (void)
{
  g_autoptr(GDateTime) time = g_date_time_new_utc (2026, 12, 2, 6, 15, 0);
  struct { const char *path, *expected; } cases[] = {
    { "report.txt", "report (conflict 2026-12-02 061500 from laptop).txt" },
    { "Makefile", "Makefile (conflict 2026-12-02 061500 from laptop)" },
    { ".bashrc", ".bashrc (conflict 2026-12-02 061500 from laptop)" },
    { "a/b.tar.gz", "a/b.tar (conflict 2026-12-02 061500 from laptop).gz" },
    { "dir.d/file", "dir.d/file (conflict 2026-12-02 061500 from laptop)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = yp_sync_conflict_name (cases[i].path, "laptop", time);

      g_assert_cmpstr (name, ==, cases[i].expected);
    }
}

/* ------------------------------------------------------------------ */
/* Property test: random states, a simulated executor                 */

/* One side as the simulator sees it: path -> YpSyncItem (owned, ours to
 * change until it goes into a tree). */
typedef GHashTable Side;

static Side *
side_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                (GDestroyNotify) yp_sync_item_unref);
}

static void
side_put (Side       *side,
          YpSyncItem *item)
{
  g_hash_table_replace (side, g_strdup (item->path), item);
}

static Side *
side_copy (Side *side)
{
  Side *copy = side_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, side);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    side_put (copy, yp_sync_item_copy (value));
  return copy;
}

static YpSyncTree *
side_to_tree (Side *side)
{
  YpSyncTree *tree = yp_sync_tree_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, side);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      g_autoptr(YpSyncItem) item = yp_sync_item_copy (value);

      yp_sync_tree_add (tree, item);
    }
  return tree;
}

static gboolean
side_has_parent (Side       *side,
                 const char *path)
{
  g_autofree char *dir = yp_sync_path_dirname (path);
  YpSyncItem *parent = g_hash_table_lookup (side, dir);

  return dir[0] == '\0' || (parent != NULL && parent->kind == YP_SYNC_KIND_FOLDER);
}

static gboolean
side_has_children (Side       *side,
                   const char *path)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, side);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (yp_sync_path_is_under (key, path))
      return TRUE;
  return FALSE;
}

/* Moves FROM and what is under it to TO. */
static void
side_move (Side       *side,
           const char *from,
           const char *to)
{
  g_autoptr(GPtrArray) moving = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, side);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (strcmp (key, from) == 0 || yp_sync_path_is_under (key, from))
      g_ptr_array_add (moving, g_strdup (key));
  for (guint i = 0; i < moving->len; i++)
    {
      const char *old = g_ptr_array_index (moving, i);
      YpSyncItem *item = yp_sync_item_copy (g_hash_table_lookup (side, old));

      g_free (item->path);
      item->path = g_strconcat (to, old + strlen (from), NULL);
      g_hash_table_remove (side, old);
      side_put (side, item);
      g_free ((char *) old);
    }
}

static gboolean
is_at_or_under (gpointer key,
                gpointer value,
                gpointer path)
{
  return strcmp (key, path) == 0 || yp_sync_path_is_under (key, path);
}

static void
side_delete_tree (Side       *side,
                  const char *path)
{
  g_autofree char *copy = g_strdup (path);

  g_hash_table_foreach_remove (side, is_at_or_under, copy);
}

typedef struct
{
  guint32  seed;
  GRand   *rand;
  Side    *base;
  Side    *local;
  Side    *remote;
  guint    counter;
  GString *log;
} World;

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static char *
pick (World *world,
      Side  *side,
      int    kind)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, side);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (kind < 0 || ((YpSyncItem *) value)->kind == (YpSyncKind) kind)
      g_ptr_array_add (paths, key);
  if (paths->len == 0)
    return NULL;
  /* sorted: a seed always picks the same */
  g_ptr_array_sort (paths, compare_strings);
  return g_strdup (g_ptr_array_index (paths, g_rand_int_range (world->rand, 0, (gint32) paths->len)));
}

/* A folder of SIDE, or "" for the root. */
static char *
pick_folder (World *world,
             Side  *side)
{
  char *folder = g_rand_boolean (world->rand) ? pick (world, side, YP_SYNC_KIND_FOLDER) : NULL;

  return folder ? folder : g_strdup ("");
}

static char *
join (const char *dir,
      const char *name)
{
  return dir[0] ? g_strconcat (dir, "/", name, NULL) : g_strdup (name);
}

static void
world_set_content (World      *world,
                   YpSyncItem *item,
                   const char *sha,
                   gboolean    local)
{
  g_strlcpy (item->sha256, sha, sizeof item->sha256);
  item->size = strlen (sha);
  item->mtime_ns = ++world->counter;
  if (local && g_rand_boolean (world->rand))
    item->inode = 100000 + ++world->counter;  /* saved through a new file */
  if (!local)
    item->remote_version++;
}

/* One random change a user (or the server) makes on SIDE. */
static void
world_change (World    *world,
              Side     *side,
              gboolean  local)
{
  const char *who = local ? "L" : "R";
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *name = NULL;

  switch (g_rand_int_range (world->rand, 0, 9))
    {
    case 0: /* edit */
      if ((path = pick (world, side, YP_SYNC_KIND_FILE)) != NULL)
        {
          YpSyncItem *item = g_hash_table_lookup (side, path);
          g_autofree char *sha = g_strdup_printf ("%s-edit-%u", who, ++world->counter);

          world_set_content (world, item, sha, local);
          g_string_append_printf (world->log, " %s:edit %s", who, path);
        }
      break;
    case 1: /* delete */
      if ((path = pick (world, side, -1)) != NULL)
        {
          side_delete_tree (side, path);
          g_string_append_printf (world->log, " %s:delete %s", who, path);
        }
      break;
    case 2: /* rename in place, file or folder */
      if ((path = pick (world, side, -1)) != NULL)
        {
          g_autofree char *dir = yp_sync_path_dirname (path);

          name = g_strdup_printf ("%s-ren-%u", who, ++world->counter);
          dest = join (dir, name);
          side_move (side, path, dest);
          g_string_append_printf (world->log, " %s:rename %s->%s", who, path, dest);
        }
      break;
    case 3: /* move a file to another folder */
      if ((path = pick (world, side, YP_SYNC_KIND_FILE)) != NULL)
        {
          folder = pick_folder (world, side);
          name = g_path_get_basename (path);
          dest = join (folder, name);
          if (!g_hash_table_contains (side, dest))
            {
              side_move (side, path, dest);
              g_string_append_printf (world->log, " %s:move %s->%s", who, path, dest);
            }
        }
      break;
    case 4: /* new file: names and contents from small pools, so both sides
             * sometimes create the same */
    case 5:
      folder = pick_folder (world, side);
      name = g_strdup_printf ("new-%d", g_rand_int_range (world->rand, 0, 3));
      dest = join (folder, name);
      if (!g_hash_table_contains (side, dest))
        {
          g_autofree char *sha = g_strdup_printf ("new-content-%d-%u",
                                                  g_rand_int_range (world->rand, 0, 2),
                                                  g_rand_boolean (world->rand) ? 0 : ++world->counter);
          guint id = ++world->counter;
          YpSyncItem *item = file_new (dest, sha, local ? 200000 + id : 0,
                                       local ? 0 : 300000 + id, 1);

          item->mtime_ns = ++world->counter;
          side_put (side, item);
          g_string_append_printf (world->log, " %s:create %s", who, dest);
        }
      break;
    case 6: /* new folder */
      folder = pick_folder (world, side);
      name = g_strdup_printf ("dir-%d", g_rand_int_range (world->rand, 0, 2));
      dest = join (folder, name);
      if (!g_hash_table_contains (side, dest))
        {
          YpSyncItem *item = yp_sync_item_new (dest, YP_SYNC_KIND_FOLDER);

          if (local)
            {
              item->device = 1;
              item->inode = 200000 + ++world->counter;
            }
          else
            item->remote_id = 300000 + ++world->counter;
          side_put (side, item);
          g_string_append_printf (world->log, " %s:mkdir %s", who, dest);
        }
      break;
    case 7: /* two files swap names */
      path = pick (world, side, YP_SYNC_KIND_FILE);
      dest = pick (world, side, YP_SYNC_KIND_FILE);
      if (path != NULL && strcmp (path, dest) != 0)
        {
          side_move (side, path, "\x01swap");
          side_move (side, dest, path);
          side_move (side, "\x01swap", dest);
          g_string_append_printf (world->log, " %s:swap %s<->%s", who, path, dest);
        }
      break;
    case 8: /* rotation: a file moves aside, a new one takes its name */
      if ((path = pick (world, side, YP_SYNC_KIND_FILE)) != NULL)
        {
          g_autofree char *sha = g_strdup_printf ("%s-rotated-%u", who, ++world->counter);
          guint id = ++world->counter;
          YpSyncItem *item = file_new (path, sha, local ? 200000 + id : 0,
                                       local ? 0 : 300000 + id, 1);

          dest = g_strconcat (path, ".1", NULL);
          side_move (side, path, dest);
          item->mtime_ns = ++world->counter;
          side_put (side, item);
          g_string_append_printf (world->log, " %s:rotate %s", who, path);
        }
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
world_init (World   *world,
            guint32  seed)
{
  const char *folders[] = { "a", "b", "b/c", "d" };
  guint n_files = 4 + (seed % 12);

  world->seed = seed;
  world->rand = g_rand_new_with_seed (seed);
  world->base = side_new ();
  world->log = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      YpSyncItem *item = yp_sync_item_new (folders[i], YP_SYNC_KIND_FOLDER);

      item->device = 1;
      item->inode = 10 + i;
      item->remote_id = 1000 + i;
      item->remote_version = 1;
      side_put (world->base, item);
    }
  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *dir = pick_folder (world, world->base);
      g_autofree char *name = g_strdup_printf ("f%u", i);
      g_autofree char *path = join (dir, name);
      g_autofree char *sha = g_strdup_printf ("base-%u", i);

      side_put (world->base, file_new (path, sha, 100 + i, 2000 + i, 1));
    }
  world->local = side_copy (world->base);
  world->remote = side_copy (world->base);
  for (int n = g_rand_int_range (world->rand, 0, 7); n > 0; n--)
    world_change (world, world->local, TRUE);
  for (int n = g_rand_int_range (world->rand, 0, 7); n > 0; n--)
    world_change (world, world->remote, FALSE);
}

static void
world_clear (World *world)
{
  g_rand_free (world->rand);
  g_hash_table_unref (world->base);
  g_hash_table_unref (world->local);
  g_hash_table_unref (world->remote);
  g_string_free (world->log, TRUE);
}

/* The local tree as a scanner reports it: an unchanged file is not hashed
 * again. */
static YpSyncTree *
world_scan_local (World *world)
{
  YpSyncTree *tree = side_to_tree (world->local);
  g_autoptr(GPtrArray) items = yp_sync_tree_dup_items (tree);

  for (guint i = 0; i < items->len; i++)
    {
      YpSyncItem *item = g_ptr_array_index (items, i);
      YpSyncItem *base = g_hash_table_lookup (world->base, item->path);

      if (base != NULL && yp_sync_item_same_stat (item, base) && g_rand_boolean (world->rand))
        {
          g_autoptr(YpSyncItem) unhashed = yp_sync_item_copy (item);

          unhashed->sha256[0] = '\0';
          yp_sync_tree_add (tree, unhashed);
        }
    }
  return tree;
}

static gboolean
fail (World        *world,
      YpSyncPlan   *plan,
      YpSyncAction *action,
      const char   *what)
{
  g_autofree char *text = describe_plan (plan);
  g_autofree char *step = action ? describe_action (action) : g_strdup ("(end)");

  g_printerr ("seed %u: %s at %s\n  changes:%s\n  plan: %s\n",
              world->seed, what, step, world->log->str, text);
  return FALSE;
}

#define CHECK(cond) G_STMT_START { \
  if (!(cond)) return fail (world, plan, action, #cond); \
} G_STMT_END

/* Runs ACTION against the two sides, checking the executor's conditions
 * hold (a real executor would refuse the action otherwise). */
static gboolean
simulate (World        *world,
          YpSyncPlan   *plan,
          YpSyncAction *action)
{
  Side *local = world->local, *remote = world->remote;
  YpSyncItem *here = g_hash_table_lookup (local, action->path);
  YpSyncItem *there = g_hash_table_lookup (remote, action->path);
  YpSyncItem *item;

  switch (action->kind)
    {
    case YP_SYNC_ACTION_UPLOAD:
      CHECK (here != NULL && here->kind == YP_SYNC_KIND_FILE);
      if (action->if_version == YP_VERSION_NONE)
        CHECK (there == NULL);
      else
        CHECK (there != NULL && there->remote_version == action->if_version);
      CHECK (side_has_parent (remote, action->path));
      item = file_new (action->path, here->sha256, 0, there ? there->remote_id : ++world->counter,
                       there ? there->remote_version + 1 : 1);
      side_put (remote, item);
      break;
    case YP_SYNC_ACTION_DOWNLOAD:
      CHECK (there != NULL && strcmp (there->sha256, action->remote->sha256) == 0);
      if (action->local == NULL)
        CHECK (here == NULL);
      else
        CHECK (here != NULL && yp_sync_item_same_stat (here, action->local));
      CHECK (side_has_parent (local, action->path));
      side_put (local, file_new (action->path, there->sha256, 400000 + ++world->counter, 0, 0));
      break;
    case YP_SYNC_ACTION_MKDIR_LOCAL:
    case YP_SYNC_ACTION_MKDIR_REMOTE:
      {
        gboolean on_local = action->kind == YP_SYNC_ACTION_MKDIR_LOCAL;
        Side *side = on_local ? local : remote;

        CHECK ((on_local ? here : there) == NULL);
        CHECK (side_has_parent (side, action->path));
        item = yp_sync_item_new (action->path, YP_SYNC_KIND_FOLDER);
        if (on_local)
          item->inode = 400000 + ++world->counter;
        else
          item->remote_id = 400000 + ++world->counter;
        side_put (side, item);
      }
      break;
    case YP_SYNC_ACTION_DELETE_LOCAL:
      /* only what the base holds, untouched since */
      CHECK (here != NULL && action->local != NULL && action->base != NULL);
      CHECK (yp_sync_item_same_stat (here, action->local));
      CHECK (yp_sync_item_same_stat (here, action->base));
      CHECK (!side_has_children (local, action->path));
      g_hash_table_remove (local, action->path);
      break;
    case YP_SYNC_ACTION_DELETE_REMOTE:
      CHECK (there != NULL && action->base != NULL);
      CHECK (action->if_version == action->base->remote_version);
      CHECK (there->remote_version == action->if_version);
      CHECK (!side_has_children (remote, action->path));
      g_hash_table_remove (remote, action->path);
      break;
    case YP_SYNC_ACTION_MOVE_LOCAL:
    case YP_SYNC_ACTION_MOVE_REMOTE:
      {
        Side *side = action->kind == YP_SYNC_ACTION_MOVE_LOCAL ? local : remote;

        CHECK (g_hash_table_contains (side, action->from_path));
        CHECK (!g_hash_table_contains (side, action->path));
        CHECK (side_has_parent (side, action->path));
        if (side == remote)
          CHECK (((YpSyncItem *) g_hash_table_lookup (side, action->from_path))->remote_id
                 == action->remote->remote_id);
        side_move (side, action->from_path, action->path);
      }
      break;
    case YP_SYNC_ACTION_CONFLICT:
      CHECK (here != NULL && there != NULL && action->conflict_path != NULL);
      CHECK (yp_sync_item_same_stat (here, action->local));
      CHECK (strcmp (there->sha256, action->remote->sha256) == 0);
      CHECK (!g_hash_table_contains (local, action->conflict_path));
      CHECK (!g_hash_table_contains (remote, action->conflict_path));
      {
        g_autofree char *sha = g_strdup (here->sha256);
        g_autofree char *remote_sha = g_strdup (there->sha256);

        side_move (local, action->path, action->conflict_path);
        side_put (remote, file_new (action->conflict_path, sha, 0, ++world->counter, 1));
        side_put (local, file_new (action->path, remote_sha, 400000 + ++world->counter, 0, 0));
      }
      break;
    case YP_SYNC_ACTION_RECORD:
      CHECK (here != NULL && there != NULL && here->kind == there->kind);
      CHECK (here->kind == YP_SYNC_KIND_FOLDER || strcmp (here->sha256, there->sha256) == 0);
      break;
    case YP_SYNC_ACTION_FORGET:
      /* only the base changes; another item may hold the name by now */
      break;
    case YP_SYNC_ACTION_SKIP:
      CHECK (!"no skip expected: the generator makes no clashes");
      break;
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

static void
collect_contents (Side       *side,
                  GHashTable *contents)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, side);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      YpSyncItem *item = value;

      if (item->kind == YP_SYNC_KIND_FILE && !g_str_has_prefix (item->sha256, "base-"))
        g_hash_table_add (contents, g_strdup (item->sha256));
    }
}

static gboolean
check_seed (guint32  seed,
            guint   *kinds)
{
  World world_ = { 0, };
  World *world = &world_;
  g_autoptr(YpSyncTree) local = NULL;
  g_autoptr(YpSyncTree) remote = NULL;
  g_autoptr(YpSyncTree) base = NULL;
  g_autoptr(YpSyncPlan) plan = NULL;
  g_autoptr(GHashTable) written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) kept = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDateTime) time = g_date_time_new_utc (2026, 12, 2, 6, 15, 0);
  YpSyncReconcileOptions options = { .host = "laptop", .time = time };
  GHashTableIter iter;
  gpointer key, value;
  gboolean ok = TRUE;

  world_init (world, seed);
  collect_contents (world->local, written);
  collect_contents (world->remote, written);
  local = world_scan_local (world);
  remote = side_to_tree (world->remote);
  base = side_to_tree (world->base);
  plan = yp_sync_reconcile (local, remote, base, &options);

  for (guint i = 0; ok && i < yp_sync_plan_get_n_actions (plan); i++)
    {
      kinds[yp_sync_plan_get_action (plan, i)->kind]++;
      ok = simulate (world, plan, yp_sync_plan_get_action (plan, i));
    }

  /* the two sides are the same tree */
  g_hash_table_iter_init (&iter, world->local);
  while (ok && g_hash_table_iter_next (&iter, &key, &value))
    {
      YpSyncItem *here = value;
      YpSyncItem *there = g_hash_table_lookup (world->remote, key);

      if (there == NULL || there->kind != here->kind
          || (here->kind == YP_SYNC_KIND_FILE && strcmp (here->sha256, there->sha256) != 0))
        ok = fail (world, plan, NULL, key);
    }
  if (ok && g_hash_table_size (world->local) != g_hash_table_size (world->remote))
    ok = fail (world, plan, NULL, "the remote side holds more");

  /* nothing a user wrote is lost */
  collect_contents (world->local, kept);
  g_hash_table_iter_init (&iter, written);
  while (ok && g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (kept, key))
      ok = fail (world, plan, NULL, key);

  world_clear (world);
  return ok;
}

static void
test_random (void)
{
  /* YP_RECONCILE_SEED=N replays one seed, YP_RECONCILE_SEEDS=N runs more */
  const char *one = g_getenv ("YP_RECONCILE_SEED");
  const char *many = g_getenv ("YP_RECONCILE_SEEDS");
  guint32 first = one ? (guint32) g_ascii_strtoull (one, NULL, 10) : 1;
  guint n = one ? 1 : many ? (guint) g_ascii_strtoull (many, NULL, 10) : 1000;
  guint failed = 0;
  guint kinds[YP_SYNC_ACTION_SKIP + 1] = { 0, };

  for (guint32 seed = first; seed < first + n; seed++)
    if (!check_seed (seed, kinds))
      failed++;
  if (failed > 0)
    g_test_message ("%u seeds failed; replay one with YP_RECONCILE_SEED=N", failed);
  g_assert_cmpuint (failed, ==, 0);
  for (guint kind = 0; kind < G_N_ELEMENTS (kinds); kind++)
    {
      g_test_message ("%s: %u", yp_sync_action_kind_to_string (kind), kinds[kind]);
      /* the generator reaches every kind of action but skips */
      if (n > 1 && kind != YP_SYNC_ACTION_SKIP)
        g_assert_cmpuint (kinds[kind], >, 0);
    }
}

/* ------------------------------------------------------------------ */
/* Speed                                                              */

static void
test_many_unchanged (void)
{
  g_autoptr(YpSyncTree) local = yp_sync_tree_new ();
  g_autoptr(YpSyncTree) remote = yp_sync_tree_new ();
  g_autoptr(YpSyncTree) base = yp_sync_tree_new ();
  g_autoptr(YpSyncPlan) plan = NULL;
  YpSyncReconcileOptions options = { .host = "laptop" };
  gint64 start;
  double seconds;

  for (guint d = 0; d < 100; d++)
    {
      g_autofree char *dir = g_strdup_printf ("folder-%u", d);

      tree_add_folder (base, dir, d + 1, d + 1);
      tree_add_folder (local, dir, d + 1, 0);
      tree_add_folder (remote, dir, 0, d + 1);
      for (guint f = 0; f < 1000; f++)
        {
          guint64 id = 1000 + d * 1000 + f;
          g_autofree char *path = g_strdup_printf ("%s/file-%u.txt", dir, f);
          g_autofree char *sha = g_strdup_printf ("%064" G_GINT64_MODIFIER "x", id);

          tree_add_file (base, path, sha, id, (gint64) id, 1);
          tree_add_unhashed (local, path, sha, id);
          tree_add_file (remote, path, sha, 0, (gint64) id, 1);
        }
    }
  start = g_get_monotonic_time ();
  plan = yp_sync_reconcile (local, remote, base, &options);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("100,100 unchanged paths reconciled in %.3f s", seconds);
  g_assert_cmpuint (yp_sync_plan_get_n_actions (plan), ==, 0);
  g_assert_cmpfloat (seconds, <, 2.0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/yunpan/sync/reconcile/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("unchanged", test_unchanged);
  ADD ("local-edit", test_local_edit);
  ADD ("remote-edit", test_remote_edit);
  ADD ("both-same", test_both_same);
  ADD ("conflict/both-edited", test_both_different);
  ADD ("conflict/both-new", test_both_new);
  ADD ("new-one-side", test_new_one_side);
  ADD ("unhashed", test_unhashed);
  ADD ("delete/one-side", test_delete_one_side);
  ADD ("delete/both", test_delete_both);
  ADD ("delete/edit-wins", test_edit_vs_delete);
  ADD ("delete/spares-unknown", test_delete_spares_unknown);
  ADD ("delete/rmdir-vs-new-file", test_rmdir_vs_new_file);
  ADD ("delete/rmdir-local-vs-remote-edit", test_rmdir_local_vs_remote_edit);
  ADD ("delete/order", test_delete_order);
  ADD ("delete/rmdir-nested", test_rmdir_nested);
  ADD ("delete/spares-touched", test_delete_spares_touched);
  ADD ("delete/file-becomes-folder", test_file_becomes_folder);
  ADD ("delete/folder-vs-edited-file", test_folder_vs_edited_file);
  ADD ("rename/local", test_local_rename);
  ADD ("rename/remote", test_remote_rename);
  ADD ("rename/needs-same-stat", test_rename_needs_same_stat);
  ADD ("rename/folder", test_folder_rename);
  ADD ("rename/and-edit", test_rename_and_edit);
  ADD ("rename/both", test_rename_both);
  ADD ("rename/vs-delete", test_rename_vs_delete);
  ADD ("rename/folder-vs-delete", test_folder_rename_vs_delete);
  ADD ("rename/onto-synced-name", test_rename_onto_synced_name);
  ADD ("rename/cycle", test_rename_cycle);
  ADD ("order/move-into-deleted-folder", test_move_into_deleted_folder);
  ADD ("order/rotation", test_rotation);
  ADD ("order/swap", test_swap);
  ADD ("order/move-out-then-rmdir", test_move_out_then_rmdir);
  ADD ("skip/case-clash", test_case_clash);
  ADD ("skip/case-clash-both-new", test_case_clash_both_new);
  ADD ("skip/invalid-name", test_invalid_name);
  ADD ("conflict/name-taken", test_name_taken);
  ADD ("conflict/name-in-use", test_conflict_name_in_use);
  ADD ("skip/kind-clash", test_kind_clash);
#undef ADD
  g_test_add_func ("/yunpan/sync/reconcile/conflict-name", test_conflict_name);
  g_test_add_func ("/yunpan/sync/reconcile/random", test_random);
  g_test_add_func ("/yunpan/sync/reconcile/many-unchanged", test_many_unchanged);

  return g_test_run ();
}

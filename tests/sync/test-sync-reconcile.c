/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The reconciler's small cases: a few items on each side and in the base,
 * and the plan read as one line.
 */
#include "yp-node.h"
#include "yp-sync-reconcile.h"
#include "yp-sync-test-trees.h"

typedef TreesFixture Fixture;

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

/* A file and a folder new under one name: the folder keeps it, the file
 * moves aside to a conflict name, whichever side each is on. */
static void
test_kind_clash (Fixture       *fx,
                 gconstpointer  data)
{
  tree_add_file (fx->local, "kind", "k", 3, 0, 0);
  tree_add_folder (fx->remote, "kind", 0, 21);
  tree_add_file (fx->remote, "kind/inside", "i", 0, 22, 1);
  reconcile (fx, "move-local kind->kind (conflict 2026-12-02 061500 from laptop); "
                 "upload kind (conflict 2026-12-02 061500 from laptop); "
                 "mkdir-local kind; download kind/inside");
  g_assert_nonnull (action_at (fx, 0)->reason);
}

static void
test_kind_clash_remote_file (Fixture       *fx,
                             gconstpointer  data)
{
  tree_add_folder (fx->local, "kind", 3, 0);
  tree_add_file (fx->local, "kind/inside", "i", 4, 0, 0);
  tree_add_file (fx->remote, "kind", "k", 0, 21, 1);
  reconcile (fx, "move-remote kind->kind (conflict 2026-12-02 061500 from laptop); "
                 "download kind (conflict 2026-12-02 061500 from laptop); "
                 "mkdir-remote kind; upload kind/inside");
  g_assert_cmpint (action_at (fx, 0)->remote->remote_id, ==, 21);
}

/* A folder renamed here onto a name a new folder took on the server: one
 * folder, the server's, holding both; the renamed one's is emptied and
 * deleted there, not re-uploaded. */
static void
test_folder_clash_rename_and_new (Fixture       *fx,
                                  gconstpointer  data)
{
  synced_folder (fx, "z", 1);
  synced_file (fx, "z/in", "in", 2);
  yp_sync_tree_remove (fx->local, "z/in");
  yp_sync_tree_remove (fx->local, "z");
  tree_add_folder (fx->local, "sub", 1, 0);
  tree_add_file (fx->local, "sub/in", "in", 2, 0, 0);
  tree_add_folder (fx->remote, "sub", 0, 30);
  tree_add_file (fx->remote, "sub/new", "new", 0, 31, 1);
  reconcile (fx, "record sub; move-remote z/in->sub/in; download sub/new; delete-remote z");
  g_assert_cmpint (action_at (fx, 0)->remote->remote_id, ==, 30);
  g_assert_cmpint (action_at (fx, 3)->remote->remote_id, ==, 1001);
}

/* Folders renamed onto one name, one here and one on the server: the
 * server's folder and the local one at the name stay, what each held
 * moves into them, the emptied others go. */
static void
test_folder_clash_both_renamed (Fixture       *fx,
                                gconstpointer  data)
{
  synced_folder (fx, "a", 1);
  synced_file (fx, "a/x", "x", 2);
  synced_folder (fx, "b", 3);
  synced_file (fx, "b/y", "y", 4);
  yp_sync_tree_remove (fx->remote, "a/x");
  yp_sync_tree_remove (fx->remote, "a");
  tree_add_folder (fx->remote, "t", 0, 1001);
  tree_add_file (fx->remote, "t/x", "x", 0, 1002, 1);
  yp_sync_tree_remove (fx->local, "b/y");
  yp_sync_tree_remove (fx->local, "b");
  tree_add_folder (fx->local, "t", 3, 0);
  tree_add_file (fx->local, "t/y", "y", 4, 0, 0);
  reconcile (fx, "record t; move-local a/x->t/x; move-remote b/y->t/y; "
                 "delete-remote b; delete-local a");
}

static gboolean no_colon_locally (const char *name,
                                  YpSyncSide  side,
                                  gpointer    user_data);

/* A folder moved here into a new folder of the name the server moved it
 * to: the new local folder becomes the server's, what the moved one held
 * moves up into it, and the emptied one goes. */
static void
test_folder_clash_moved_into_new (Fixture       *fx,
                                  gconstpointer  data)
{
  synced_folder (fx, "x", 1);
  synced_file (fx, "x/f", "f", 2);
  yp_sync_tree_remove (fx->local, "x/f");
  yp_sync_tree_remove (fx->local, "x");
  tree_add_folder (fx->local, "sub", 5, 0);
  tree_add_folder (fx->local, "sub/sub", 1, 0);
  tree_add_file (fx->local, "sub/sub/f", "f", 2, 0, 0);
  tree_add_file (fx->local, "sub/d", "d", 6, 0, 0);
  yp_sync_tree_remove (fx->remote, "x/f");
  yp_sync_tree_remove (fx->remote, "x");
  tree_add_folder (fx->remote, "sub", 0, 1001);
  tree_add_file (fx->remote, "sub/f", "f", 0, 1002, 1);
  reconcile (fx, "record sub; upload sub/d; move-local sub/sub/f->sub/f; delete-local sub/sub");
  g_assert_cmpint (action_at (fx, 0)->local->inode, ==, 5);
  g_assert_cmpint (action_at (fx, 3)->local->inode, ==, 1);
}

/* What is left of a folder made one with another is not deleted while it
 * holds something that cannot be synced. */
static void
test_folder_clash_keeps_skipped (Fixture       *fx,
                                 gconstpointer  data)
{
  guint calls = 0;

  fx->options.name_valid = no_colon_locally;
  fx->options.user_data = &calls;
  synced_folder (fx, "z", 1);
  yp_sync_tree_remove (fx->local, "z");
  tree_add_folder (fx->local, "sub", 1, 0);
  tree_add_folder (fx->remote, "sub", 0, 30);
  tree_add_file (fx->remote, "z/a:b", "x", 0, 32, 1);
  reconcile (fx, "skip sub/a:b; record sub");
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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/yunpan/sync/reconcile/" name, Fixture, NULL, trees_set_up, func, trees_tear_down)
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
  ADD ("clash/file-and-folder", test_kind_clash);
  ADD ("clash/file-and-folder-remote-file", test_kind_clash_remote_file);
  ADD ("clash/folder-renamed-and-new", test_folder_clash_rename_and_new);
  ADD ("clash/folders-both-renamed", test_folder_clash_both_renamed);
  ADD ("clash/folder-moved-into-new", test_folder_clash_moved_into_new);
  ADD ("clash/folder-keeps-skipped", test_folder_clash_keeps_skipped);
#undef ADD
  g_test_add_func ("/yunpan/sync/reconcile/conflict-name", test_conflict_name);

  return g_test_run ();
}


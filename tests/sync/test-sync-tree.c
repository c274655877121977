/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "yp-sync-tree.h"

static YpSyncItem *
file_item (const char *path,
           guint64     inode,
           gint64      remote_id)
{
  YpSyncItem *item = yp_sync_item_new (path, YP_SYNC_KIND_FILE);

  item->device = 7;
  item->inode = inode;
  item->remote_id = remote_id;
  return item;
}

static void
test_indexes (void)
{
  g_autoptr(YpSyncTree) tree = yp_sync_tree_new ();
  g_autoptr(YpSyncItem) a = file_item ("a.txt", 11, 101);
  g_autoptr(YpSyncItem) moved = file_item ("a.txt", 12, 102);

  yp_sync_tree_add (tree, a);
  g_assert_true (yp_sync_tree_lookup (tree, "a.txt") == a);
  g_assert_true (yp_sync_tree_lookup_inode (tree, 7, 11) == a);
  g_assert_null (yp_sync_tree_lookup_inode (tree, 8, 11));
  g_assert_true (yp_sync_tree_lookup_remote (tree, 101) == a);

  /* replacing a path drops the old item's inode and id */
  yp_sync_tree_add (tree, moved);
  g_assert_cmpuint (yp_sync_tree_size (tree), ==, 1);
  g_assert_null (yp_sync_tree_lookup_inode (tree, 7, 11));
  g_assert_null (yp_sync_tree_lookup_remote (tree, 101));
  g_assert_true (yp_sync_tree_lookup_remote (tree, 102) == moved);

  g_assert_true (yp_sync_tree_remove (tree, "a.txt"));
  g_assert_false (yp_sync_tree_remove (tree, "a.txt"));
  g_assert_null (yp_sync_tree_lookup_remote (tree, 102));
  g_assert_null (yp_sync_tree_lookup_inode (tree, 7, 12));
  g_assert_cmpuint (yp_sync_tree_size (tree), ==, 0);
}

static void
test_sorted_items (void)
{
  g_autoptr(YpSyncTree) tree = yp_sync_tree_new ();
  const char *paths[] = { "b", "a/b", "a b", "a", "a/b/c" };
  const char *sorted[] = { "a", "a b", "a/b", "a/b/c", "b" };
  g_autoptr(GPtrArray) items = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(YpSyncItem) item = yp_sync_item_new (paths[i], YP_SYNC_KIND_FOLDER);

      yp_sync_tree_add (tree, item);
    }
  items = yp_sync_tree_dup_items (tree);
  g_assert_cmpuint (items->len, ==, G_N_ELEMENTS (sorted));
  for (guint i = 0; i < items->len; i++)
    g_assert_cmpstr (((YpSyncItem *) g_ptr_array_index (items, i))->path, ==, sorted[i]);
}

static void
count_visit (YpSyncItem *item,
             gpointer    user_data)
{
  GHashTable *seen = user_data;

  g_assert_false (g_hash_table_contains (seen, item->path));
  g_hash_table_add (seen, item->path);
}

static void
test_foreach (void)
{
  g_autoptr(YpSyncTree) tree = yp_sync_tree_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *paths[] = { "a", "b", "c" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(YpSyncItem) item = file_item (paths[i], i + 1, 0);

      yp_sync_tree_add (tree, item);
    }
  yp_sync_tree_remove (tree, "b");
  yp_sync_tree_foreach (tree, count_visit, seen);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 2);
  g_assert_true (g_hash_table_contains (seen, "a"));
  g_assert_true (g_hash_table_contains (seen, "c"));
}

static void
test_paths (void)
{
  g_autofree char *top = yp_sync_path_dirname ("c");
  g_autofree char *deep = yp_sync_path_dirname ("a/b/c");

  g_assert_cmpstr (top, ==, "");
  g_assert_cmpstr (deep, ==, "a/b");
  g_assert_true (yp_sync_path_is_under ("a/b", "a"));
  g_assert_false (yp_sync_path_is_under ("ab", "a"));
  g_assert_false (yp_sync_path_is_under ("a", "a"));
}

static void
test_same (void)
{
  g_autoptr(YpSyncItem) a = file_item ("x", 5, 0);
  g_autoptr(YpSyncItem) b = NULL;

  a->size = 3;
  a->mtime_ns = 1000;
  b = yp_sync_item_copy (a);
  g_assert_true (yp_sync_item_same_stat (a, b));
  /* an unknown hash is never the same content */
  g_assert_false (yp_sync_item_same_content (a, b));
  g_strlcpy (a->sha256, "ab", sizeof a->sha256);
  g_strlcpy (b->sha256, "ab", sizeof b->sha256);
  g_assert_true (yp_sync_item_same_content (a, b));
  b->mtime_ns++;
  g_assert_false (yp_sync_item_same_stat (a, b));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/yunpan/sync/tree/indexes", test_indexes);
  g_test_add_func ("/yunpan/sync/tree/sorted-items", test_sorted_items);
  g_test_add_func ("/yunpan/sync/tree/foreach", test_foreach);
  g_test_add_func ("/yunpan/sync/tree/paths", test_paths);
  g_test_add_func ("/yunpan/sync/tree/same", test_same);

  return g_test_run ();
}

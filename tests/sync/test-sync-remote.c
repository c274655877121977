/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-client-private.h"
#include "yp-sync-remote.h"
#include "yp-sync-test-trees.h"

/* The pair's root is /Pair (id 2) in the user's root (id 1); /Outside
 * (id 3) is elsewhere on the server. */
#define USER_ROOT 1
#define ROOT 2
#define OUTSIDE 3

static YpNode *
node_new (gint64      id,
          gint64      parent_id,
          const char *path,
          gboolean    folder,
          gint64      version,
          const char *sha256)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *name = g_path_get_basename (path);

  json_object_set_int_member (object, "id", id);
  json_object_set_int_member (object, "parent_id", parent_id);
  json_object_set_string_member (object, "name", name);
  json_object_set_string_member (object, "path", path);
  json_object_set_string_member (object, "type", folder ? "folder" : "file");
  json_object_set_int_member (object, "version", version);
  if (!folder)
    {
      json_object_set_int_member (object, "size", strlen (sha256));
      json_object_set_string_member (object, "sha256", sha256);
      json_object_set_int_member (object, "mtime", 1700000000 + version);
    }
  return yp_node_new_from_json (object);
}

/* Appends to CHANGES the change OP of the node described, its version the
 * change's cursor. */
static void
add_change (YpChanges  *changes,
            YpChangeOp  op,
            gint64      id,
            gint64      parent_id,
            const char *path,
            gboolean    folder,
            const char *sha256,
            const char *old_path)
{
  gint64 cursor = ++changes->cursor;
  g_autoptr(YpNode) node = node_new (id, parent_id, path, folder, cursor, sha256);

  g_ptr_array_add (changes->changes, _yp_change_new (cursor, op, node, old_path));
  changes->latest = cursor;
}

static YpChanges *
changes_new (gint64 cursor)
{
  return _yp_changes_new (cursor, cursor, FALSE);
}

static void
add_item (YpSyncTree *tree,
          const char *path,
          gint64      id,
          gboolean    folder,
          gint64      version,
          const char *sha256)
{
  g_autofree char *absolute = g_strconcat ("/Pair/", path, NULL);
  g_autoptr(YpNode) node = node_new (id, 0, absolute, folder, version, sha256);
  g_autoptr(YpSyncItem) item = yp_sync_remote_item_new (node, path);

  yp_sync_tree_add (tree, item);
}

static YpSyncTree *
tree_copy (YpSyncTree *tree)
{
  g_autoptr(GPtrArray) items = yp_sync_tree_dup_items (tree);
  YpSyncTree *copy = yp_sync_tree_new ();

  for (guint i = 0; i < items->len; i++)
    {
      g_autoptr(YpSyncItem) item = yp_sync_item_copy (g_ptr_array_index (items, i));

      yp_sync_tree_add (copy, item);
    }
  return copy;
}

/* Applies CHANGES to TREE with the root at /Pair; returns needs_listing. */
static gboolean
apply (YpSyncTree *tree,
       YpChanges  *changes)
{
  g_autofree char *root_path = g_strdup ("/Pair");
  gboolean needs_listing = FALSE;

  yp_sync_remote_apply_changes (tree, ROOT, &root_path, changes, &needs_listing);
  g_assert_cmpstr (root_path, ==, "/Pair");
  return needs_listing;
}

static void
test_item (void)
{
  g_autoptr(YpNode) node = node_new (9, ROOT, "/Pair/a.txt", FALSE, 4, "ab12");
  g_autoptr(YpSyncItem) item = yp_sync_remote_item_new (node, "a.txt");

  g_assert_cmpint (item->kind, ==, YP_SYNC_KIND_FILE);
  g_assert_cmpuint (item->size, ==, 4);
  g_assert_cmpint (item->mtime_ns, ==, G_GINT64_CONSTANT (1700000004000000000));
  g_assert_cmpstr (item->sha256, ==, "ab12");
  g_assert_cmpint (item->remote_id, ==, 9);
  g_assert_cmpint (item->remote_version, ==, 4);
}

static void
test_create_modify (void)
{
  g_autoptr(YpSyncTree) tree = yp_sync_tree_new ();
  g_autoptr(YpSyncTree) want = yp_sync_tree_new ();
  g_autoptr(YpChanges) changes = changes_new (10);

  add_change (changes, YP_CHANGE_CREATE, 20, ROOT, "/Pair/a.txt", FALSE, "aa", NULL);
  add_change (changes, YP_CHANGE_CREATE, 21, ROOT, "/Pair/D", TRUE, NULL, NULL);
  add_change (changes, YP_CHANGE_CREATE, 22, 21, "/Pair/D/b.txt", FALSE, "bb", NULL);
  add_change (changes, YP_CHANGE_MODIFY, 22, 21, "/Pair/D/b.txt", FALSE, "b2", NULL);
  /* outside the root: not in the pair */
  add_change (changes, YP_CHANGE_CREATE, 23, OUTSIDE, "/Outside/c.txt", FALSE, "cc", NULL);
  add_change (changes, YP_CHANGE_CREATE, 24, USER_ROOT, "/top.txt", FALSE, "dd", NULL);
  g_assert_false (apply (tree, changes));

  add_item (want, "a.txt", 20, FALSE, 11, "aa");
  add_item (want, "D", 21, TRUE, 12, NULL);
  add_item (want, "D/b.txt", 22, FALSE, 14, "b2");
  assert_same_tree (tree, want);
}

/* /Pair/A holding b/c.txt and d.txt, and e.txt at the top */
static YpSyncTree *
sample_tree (void)
{
  YpSyncTree *tree = yp_sync_tree_new ();

  add_item (tree, "A", 30, TRUE, 1, NULL);
  add_item (tree, "A/b", 31, TRUE, 2, NULL);
  add_item (tree, "A/b/c.txt", 32, FALSE, 3, "cc");
  add_item (tree, "A/d.txt", 33, FALSE, 4, "dd");
  add_item (tree, "e.txt", 34, FALSE, 5, "ee");
  return tree;
}

static void
test_move_subtree (void)
{
  g_autoptr(YpSyncTree) tree = sample_tree ();
  g_autoptr(YpSyncTree) want = yp_sync_tree_new ();
  g_autoptr(YpChanges) changes = changes_new (10);

  /* rename A, then move b to the top, then a file into b */
  add_change (changes, YP_CHANGE_MOVE, 30, ROOT, "/Pair/Z", TRUE, NULL, "/Pair/A");
  add_change (changes, YP_CHANGE_MOVE, 31, ROOT, "/Pair/b", TRUE, NULL, "/Pair/Z/b");
  add_change (changes, YP_CHANGE_MOVE, 34, 31, "/Pair/b/e.txt", FALSE, "ee", "/Pair/e.txt");
  g_assert_false (apply (tree, changes));

  add_item (want, "Z", 30, TRUE, 11, NULL);
  add_item (want, "b", 31, TRUE, 12, NULL);
  add_item (want, "b/c.txt", 32, FALSE, 3, "cc");
  add_item (want, "Z/d.txt", 33, FALSE, 4, "dd");
  add_item (want, "b/e.txt", 34, FALSE, 13, "ee");
  assert_same_tree (tree, want);
  g_assert_true (yp_sync_tree_lookup_remote (tree, 32) == yp_sync_tree_lookup (tree, "b/c.txt"));
}

static void
test_move_out_and_in (void)
{
  g_autoptr(YpSyncTree) tree = sample_tree ();
  g_autoptr(YpSyncTree) want = yp_sync_tree_new ();
  g_autoptr(YpChanges) out = changes_new (10);
  g_autoptr(YpChanges) in_file = changes_new (20);
  g_autoptr(YpChanges) in_folder = changes_new (30);

  add_change (out, YP_CHANGE_MOVE, 30, OUTSIDE, "/Outside/A", TRUE, NULL, "/Pair/A");
  g_assert_false (apply (tree, out));
  add_item (want, "e.txt", 34, FALSE, 5, "ee");
  assert_same_tree (tree, want);

  /* a file brings all there is to know of it */
  add_change (in_file, YP_CHANGE_MOVE, 33, ROOT, "/Pair/d.txt", FALSE, "dd", "/Outside/A/d.txt");
  g_assert_false (apply (tree, in_file));
  add_item (want, "d.txt", 33, FALSE, 21, "dd");
  assert_same_tree (tree, want);

  /* a folder does not: its content is not in the feed */
  add_change (in_folder, YP_CHANGE_MOVE, 30, ROOT, "/Pair/A", TRUE, NULL, "/Outside/A");
  g_assert_true (apply (tree, in_folder));
  add_item (want, "A", 30, TRUE, 31, NULL);
  assert_same_tree (tree, want);
}

static void
test_delete (void)
{
  g_autoptr(YpSyncTree) tree = sample_tree ();
  g_autoptr(YpSyncTree) want = yp_sync_tree_new ();
  g_autoptr(YpChanges) changes = changes_new (10);

  add_change (changes, YP_CHANGE_DELETE, 31, 30, "/Pair/A/b", TRUE, NULL, NULL);
  add_change (changes, YP_CHANGE_DELETE, 34, ROOT, "/Pair/e.txt", FALSE, "ee", NULL);
  /* not in the pair */
  add_change (changes, YP_CHANGE_DELETE, 99, OUTSIDE, "/Outside/x", FALSE, "xx", NULL);
  g_assert_false (apply (tree, changes));

  add_item (want, "A", 30, TRUE, 1, NULL);
  add_item (want, "A/d.txt", 33, FALSE, 4, "dd");
  assert_same_tree (tree, want);
}

/* A page applied twice, and the feed replayed over a tree that already
 * reflects it, leave the tree as it is. */
static void
test_idempotent (void)
{
  g_autoptr(YpSyncTree) tree = sample_tree ();
  g_autoptr(YpSyncTree) once = NULL;
  g_autoptr(YpSyncTree) newer = yp_sync_tree_new ();
  g_autoptr(YpChanges) changes = changes_new (10);

  add_change (changes, YP_CHANGE_CREATE, 40, 30, "/Pair/A/new.txt", FALSE, "nn", NULL);
  add_change (changes, YP_CHANGE_MODIFY, 33, 30, "/Pair/A/d.txt", FALSE, "d2", NULL);
  add_change (changes, YP_CHANGE_MOVE, 30, ROOT, "/Pair/Z", TRUE, NULL, "/Pair/A");
  add_change (changes, YP_CHANGE_MOVE, 33, ROOT, "/Pair/d.txt", FALSE, "d2", "/Pair/Z/d.txt");
  add_change (changes, YP_CHANGE_DELETE, 32, 31, "/Pair/Z/b/c.txt", FALSE, "cc", NULL);
  apply (tree, changes);
  once = tree_copy (tree);
  apply (tree, changes);
  assert_same_tree (tree, once);

  /* what a listing made after the changes holds */
  add_item (newer, "Z", 30, TRUE, 13, NULL);
  add_item (newer, "Z/b", 31, TRUE, 2, NULL);
  add_item (newer, "Z/new.txt", 40, FALSE, 11, "nn");
  add_item (newer, "d.txt", 33, FALSE, 14, "d2");
  add_item (newer, "e.txt", 34, FALSE, 5, "ee");
  assert_same_tree (tree, newer);

  /* even a page that stops halfway, once the tree is newer than it */
  g_ptr_array_set_size (changes->changes, 2);
  apply (newer, changes);
  assert_same_tree (newer, once);
}

static void
test_root_changes (void)
{
  g_autoptr(YpSyncTree) tree = sample_tree ();
  g_autoptr(YpSyncTree) want = sample_tree ();
  g_autoptr(YpChanges) renames = changes_new (10);
  g_autoptr(YpChanges) deletion = changes_new (20);
  g_autofree char *root_path = g_strdup ("/Pair");
  gboolean needs_listing = FALSE;

  add_change (renames, YP_CHANGE_MOVE, ROOT, USER_ROOT, "/Pear", TRUE, NULL, "/Pair");
  add_change (renames, YP_CHANGE_MOVE, ROOT, OUTSIDE, "/Outside/Pear", TRUE, NULL, "/Pear");
  /* a folder above the root */
  add_change (renames, YP_CHANGE_MOVE, OUTSIDE, USER_ROOT, "/Away", TRUE, NULL, "/Outside");
  /* a folder whose name only starts like it */
  add_change (renames, YP_CHANGE_MOVE, 50, USER_ROOT, "/Aw", TRUE, NULL, "/Away/Pea");
  yp_sync_remote_apply_changes (tree, ROOT, &root_path, renames, &needs_listing);
  g_assert_cmpstr (root_path, ==, "/Away/Pear");
  g_assert_false (needs_listing);
  assert_same_tree (tree, want);

  add_change (deletion, YP_CHANGE_DELETE, ROOT, OUTSIDE, "/Away/Pear", TRUE, NULL, NULL);
  yp_sync_remote_apply_changes (tree, ROOT, &root_path, deletion, &needs_listing);
  g_assert_null (root_path);
  g_assert_cmpuint (yp_sync_tree_size (tree), ==, 0);
}

/* ------------------------------------------------------------------ */
/* A model of the server's tree, changed at random                      */
/* ------------------------------------------------------------------ */

typedef struct
{
  gint64    id;
  gint64    parent_id;
  char     *name;
  gboolean  folder;
  gint64    version;
  char      sha256[65];
} ModelNode;

typedef struct
{
  GRand      *rand;
  GHashTable *nodes;      /* id -> ModelNode */
  GArray     *ids;        /* every id, for picking one */
  gint64      next_id;
  YpChanges  *changes;
  gboolean    folder_moved_in;
} Model;

static void
model_node_free (ModelNode *node)
{
  g_free (node->name);
  g_free (node);
}

static ModelNode *
model_get (Model  *m,
           gint64  id)
{
  return g_hash_table_lookup (m->nodes, &id);
}

static char *
model_path (Model  *m,
            gint64  id)
{
  ModelNode *node = model_get (m, id);
  g_autofree char *parent = NULL;

  if (node->parent_id == 0)
    return g_strdup ("");
  parent = model_path (m, node->parent_id);
  return g_strconcat (parent, "/", node->name, NULL);
}

/* Whether ID is FOLDER or under it. */
static gboolean
model_within (Model  *m,
              gint64  id,
              gint64  folder)
{
  for (; id != 0; id = model_get (m, id)->parent_id)
    if (id == folder)
      return TRUE;
  return FALSE;
}

static gboolean
model_in_pair (Model  *m,
               gint64  id)
{
  return id != ROOT && model_within (m, id, ROOT);
}

static gboolean
model_is_empty (Model  *m,
                gint64  folder)
{
  for (guint i = 0; i < m->ids->len; i++)
    if (model_get (m, g_array_index (m->ids, gint64, i))->parent_id == folder)
      return FALSE;
  return TRUE;
}

static void
model_record (Model      *m,
              YpChangeOp  op,
              ModelNode  *node,
              const char *old_path)
{
  gint64 cursor = ++m->changes->cursor;
  g_autofree char *path = model_path (m, node->id);
  g_autoptr(YpNode) snapshot = NULL;

  if (op != YP_CHANGE_DELETE)
    node->version = cursor;
  snapshot = node_new (node->id, node->parent_id, *path ? path : "/", node->folder,
                       node->version, node->sha256);
  g_ptr_array_add (m->changes->changes, _yp_change_new (cursor, op, snapshot, old_path));
}

static gint64
model_pick (Model    *m,
            gboolean  folder)
{
  for (guint try = 0; try < 1000; try++)
    {
      gint64 id = g_array_index (m->ids, gint64, g_rand_int_range (m->rand, 0, m->ids->len));

      if (model_get (m, id)->folder == folder)
        return id;
    }
  /* no file left; folders there always are */
  return 0;
}

static void
model_add (Model      *m,
           gint64      parent_id,
           const char *name,
           gboolean    folder)
{
  ModelNode *node = g_new0 (ModelNode, 1);

  node->id = m->next_id++;
  node->parent_id = parent_id;
  node->name = name ? g_strdup (name) : g_strdup_printf ("n%" G_GINT64_FORMAT, node->id);
  node->folder = folder;
  if (!folder)
    g_snprintf (node->sha256, sizeof node->sha256, "%08x", g_rand_int (m->rand));
  g_hash_table_insert (m->nodes, &node->id, node);
  g_array_append_val (m->ids, node->id);
  if (parent_id != 0)
    model_record (m, YP_CHANGE_CREATE, node, NULL);
}

static void
model_delete (Model  *m,
              gint64  id)
{
  ModelNode *node = model_get (m, id);

  g_autoptr(GArray) doomed = g_array_new (FALSE, FALSE, sizeof (gint64));

  model_record (m, YP_CHANGE_DELETE, node, NULL);
  for (guint i = m->ids->len; i-- > 0;)
    {
      gint64 other = g_array_index (m->ids, gint64, i);

      if (model_within (m, other, id))
        {
          g_array_append_val (doomed, other);
          g_array_remove_index_fast (m->ids, i);
        }
    }
  for (guint i = 0; i < doomed->len; i++)
    g_hash_table_remove (m->nodes, &g_array_index (doomed, gint64, i));
}

/* Moves ID into the folder TO under a new name, unless the move is not
 * one to make: a cycle, or a folder with content brought into the pair
 * (the engine lists such a folder; this model does not). */
static void
model_move (Model  *m,
            gint64  id,
            gint64  to)
{
  ModelNode *node = model_get (m, id);
  g_autofree char *old_path = NULL;
  gboolean was_in = model_in_pair (m, id);

  if (model_within (m, to, id))
    return;
  if (node->folder && !was_in && model_within (m, to, ROOT))
    {
      if (!model_is_empty (m, id))
        return;
      m->folder_moved_in = TRUE;
    }
  old_path = model_path (m, id);
  node->parent_id = to;
  g_free (node->name);
  node->name = g_strdup_printf ("m%" G_GINT64_FORMAT, m->next_id++);
  model_record (m, YP_CHANGE_MOVE, node, old_path);
}

static void
model_step (Model *m)
{
  gint64 id;

  switch (g_rand_int_range (m->rand, 0, 10))
    {
    case 0: case 1: case 2:
      model_add (m, model_pick (m, TRUE), NULL, g_rand_boolean (m->rand));
      break;
    case 3: case 4:
      id = model_pick (m, FALSE);
      if (id == 0)
        break;
      g_snprintf (model_get (m, id)->sha256, 65, "%08x", g_rand_int (m->rand));
      model_record (m, YP_CHANGE_MODIFY, model_get (m, id), NULL);
      break;
    case 5: case 6: case 7:
      id = g_array_index (m->ids, gint64, g_rand_int_range (m->rand, 0, m->ids->len));
      if (id != USER_ROOT && (id != ROOT || g_rand_int_range (m->rand, 0, 4) == 0))
        model_move (m, id, model_pick (m, TRUE));
      break;
    default:
      id = g_array_index (m->ids, gint64, g_rand_int_range (m->rand, 0, m->ids->len));
      /* the pair's root stays, and so does a folder to move things out to */
      if (!model_within (m, ROOT, id) && !model_within (m, OUTSIDE, id))
        model_delete (m, id);
      break;
    }
}

/* The pair's remote tree as the model has it now. */
static YpSyncTree *
model_tree (Model *m)
{
  YpSyncTree *tree = yp_sync_tree_new ();
  g_autofree char *root = model_path (m, ROOT);

  for (guint i = 0; i < m->ids->len; i++)
    {
      ModelNode *node = model_get (m, g_array_index (m->ids, gint64, i));
      g_autofree char *path = NULL;
      g_autoptr(YpNode) snapshot = NULL;
      g_autoptr(YpSyncItem) item = NULL;

      if (!model_in_pair (m, node->id))
        continue;
      path = model_path (m, node->id);
      snapshot = node_new (node->id, node->parent_id, path, node->folder, node->version,
                           node->sha256);
      item = yp_sync_remote_item_new (snapshot, path + strlen (root) + 1);
      yp_sync_tree_add (tree, item);
    }
  return tree;
}

static void
model_init (Model   *m,
            guint32  seed)
{
  m->rand = g_rand_new_with_seed (seed);
  m->nodes = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                    (GDestroyNotify) model_node_free);
  m->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  m->next_id = USER_ROOT;
  m->changes = changes_new (0);
  model_add (m, 0, "", TRUE);
  model_add (m, USER_ROOT, "Pair", TRUE);
  model_add (m, USER_ROOT, "Outside", TRUE);
  for (guint i = 0; i < 60; i++)
    model_add (m, model_pick (m, TRUE), NULL, g_rand_boolean (m->rand));
}

static void
model_clear (Model *m)
{
  g_rand_free (m->rand);
  g_hash_table_unref (m->nodes);
  g_array_unref (m->ids);
  yp_changes_unref (m->changes);
}

/* CHANGES from the one after FROM on, in pages of random sizes, applied to
 * TREE; returns whether any page asked for a listing. */
static gboolean
apply_in_pages (Model       *m,
                YpSyncTree  *tree,
                gint64       from,
                char       **root_path)
{
  GPtrArray *all = m->changes->changes;
  gboolean needs_listing = FALSE;
  guint i = 0;

  while (i < all->len && ((YpChange *) g_ptr_array_index (all, i))->cursor <= from)
    i++;
  while (i < all->len)
    {
      guint size = g_rand_int_range (m->rand, 1, 40);
      guint n = MIN (size, all->len - i);
      g_autoptr(YpChanges) page = changes_new (0);

      for (guint j = 0; j < n; j++)
        g_ptr_array_add (page->changes, yp_change_ref (g_ptr_array_index (all, i + j)));
      i += n;
      page->cursor = ((YpChange *) g_ptr_array_index (all, i - 1))->cursor;
      yp_sync_remote_apply_changes (tree, ROOT, root_path, page, &needs_listing);
    }
  return needs_listing;
}

/*
 * Random changes of a model server, read from the feed, give the tree the
 * model has; so do they replayed over a tree taken halfway, as when the
 * feed replays what a listing already saw; and applying them again changes
 * nothing.
 */
static void
test_random (void)
{
  guint moved_in = 0;

  for (guint32 seed = 1; seed <= 200; seed++)
    {
      Model m = { 0 };
      g_autoptr(YpSyncTree) start = NULL;
      g_autoptr(YpSyncTree) halfway = NULL;
      g_autoptr(YpSyncTree) want = NULL;
      g_autoptr(YpSyncTree) done = NULL;
      g_autofree char *root_path = NULL;
      g_autofree char *want_root = NULL;
      g_autofree char *halfway_root = NULL;
      gint64 from;
      gboolean needs_listing;

      g_test_message ("seed %u", seed);
      model_init (&m, seed);
      from = m.changes->cursor;
      start = model_tree (&m);
      root_path = model_path (&m, ROOT);
      m.folder_moved_in = FALSE;
      for (guint i = 0; i < 300; i++)
        {
          if (i == 150)
            {
              halfway = model_tree (&m);
              halfway_root = model_path (&m, ROOT);
            }
          model_step (&m);
        }
      want = model_tree (&m);
      want_root = model_path (&m, ROOT);

      needs_listing = apply_in_pages (&m, start, from, &root_path);
      assert_same_tree (start, want);
      g_assert_cmpstr (root_path, ==, want_root);
      g_assert_cmpint (needs_listing, ==, m.folder_moved_in);
      moved_in += needs_listing;

      done = tree_copy (start);
      apply_in_pages (&m, start, from, &root_path);
      assert_same_tree (start, done);

      apply_in_pages (&m, halfway, from, &halfway_root);
      assert_same_tree (halfway, want);
      model_clear (&m);
    }
  /* the seeds bring folders in from outside, and not always */
  g_test_message ("%u of 200 runs brought a folder in", moved_in);
  g_assert_cmpuint (moved_in, >, 0);
  g_assert_cmpuint (moved_in, <, 200);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/yunpan/sync/remote/item", test_item);
  g_test_add_func ("/yunpan/sync/remote/create-modify", test_create_modify);
  g_test_add_func ("/yunpan/sync/remote/move-subtree", test_move_subtree);
  g_test_add_func ("/yunpan/sync/remote/move-out-and-in", test_move_out_and_in);
  g_test_add_func ("/yunpan/sync/remote/delete", test_delete);
  g_test_add_func ("/yunpan/sync/remote/idempotent", test_idempotent);
  g_test_add_func ("/yunpan/sync/remote/root-changes", test_root_changes);
  g_test_add_func ("/yunpan/sync/remote/random", test_random);

  return g_test_run ();
}

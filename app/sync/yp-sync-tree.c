/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-sync-tree.h"

struct _YpSyncTree
{
  GHashTable *by_path;     /* path -> YpSyncItem (owned) */
  GHashTable *by_inode;    /* YpSyncItem (device, inode) -> the same item */
  GHashTable *by_remote;   /* &item->remote_id -> item */
};

G_DEFINE_BOXED_TYPE (YpSyncTree, yp_sync_tree, yp_sync_tree_ref, yp_sync_tree_unref)

/* The inode index is keyed by the items themselves, hashed on their device
 * and inode, and the remote index by a pointer to the item's own id: no
 * allocation per item, which counts with 100,000 of them. */
static guint
inode_hash (gconstpointer key)
{
  const YpSyncItem *item = key;

  return g_int64_hash (&item->inode) ^ g_int64_hash (&item->device);
}

static gboolean
inode_equal (gconstpointer a,
             gconstpointer b)
{
  const YpSyncItem *x = a, *y = b;

  return x->inode == y->inode && x->device == y->device;
}

static void
tree_clear (YpSyncTree *tree)
{
  g_hash_table_unref (tree->by_remote);
  g_hash_table_unref (tree->by_inode);
  g_hash_table_unref (tree->by_path);
}

YpSyncTree *
yp_sync_tree_new (void)
{
  YpSyncTree *tree = g_atomic_rc_box_new0 (YpSyncTree);

  tree->by_path = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) yp_sync_item_unref);
  tree->by_inode = g_hash_table_new (inode_hash, inode_equal);
  tree->by_remote = g_hash_table_new (g_int64_hash, g_int64_equal);
  return tree;
}

YpSyncTree *
yp_sync_tree_ref (YpSyncTree *tree)
{
  return g_atomic_rc_box_acquire (tree);
}

void
yp_sync_tree_unref (YpSyncTree *tree)
{
  g_atomic_rc_box_release_full (tree, (GDestroyNotify) tree_clear);
}

static void
unindex (YpSyncTree *tree,
         YpSyncItem *item)
{
  if (item->inode != 0 && g_hash_table_lookup (tree->by_inode, item) == item)
    g_hash_table_remove (tree->by_inode, item);
  if (item->remote_id != 0 && g_hash_table_lookup (tree->by_remote, &item->remote_id) == item)
    g_hash_table_remove (tree->by_remote, &item->remote_id);
}

void
yp_sync_tree_add (YpSyncTree *tree,
                  YpSyncItem *item)
{
  YpSyncItem *old = g_hash_table_lookup (tree->by_path, item->path);

  if (old != NULL)
    unindex (tree, old);
  /* the key is the item's own path, which lives as long as the item */
  g_hash_table_replace (tree->by_path, item->path, yp_sync_item_ref (item));
  if (item->inode != 0)
    g_hash_table_replace (tree->by_inode, item, item);
  if (item->remote_id != 0)
    g_hash_table_replace (tree->by_remote, &item->remote_id, item);
}

gboolean
yp_sync_tree_remove (YpSyncTree *tree,
                     const char *path)
{
  YpSyncItem *item = g_hash_table_lookup (tree->by_path, path);

  if (item == NULL)
    return FALSE;
  unindex (tree, item);
  return g_hash_table_remove (tree->by_path, path);
}

guint
yp_sync_tree_size (YpSyncTree *tree)
{
  return g_hash_table_size (tree->by_path);
}

YpSyncItem *
yp_sync_tree_lookup (YpSyncTree *tree,
                     const char *path)
{
  return g_hash_table_lookup (tree->by_path, path);
}

YpSyncItem *
yp_sync_tree_lookup_inode (YpSyncTree *tree,
                           guint64     device,
                           guint64     inode)
{
  YpSyncItem key = { .device = device, .inode = inode };

  return inode != 0 ? g_hash_table_lookup (tree->by_inode, &key) : NULL;
}

YpSyncItem *
yp_sync_tree_lookup_remote (YpSyncTree *tree,
                            gint64      remote_id)
{
  return remote_id != 0 ? g_hash_table_lookup (tree->by_remote, &remote_id) : NULL;
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  const YpSyncItem *x = *(YpSyncItem **) a, *y = *(YpSyncItem **) b;

  return strcmp (x->path, y->path);
}

GPtrArray *
yp_sync_tree_dup_items (YpSyncTree *tree)
{
  GPtrArray *items = g_ptr_array_new_full (g_hash_table_size (tree->by_path),
                                           (GDestroyNotify) yp_sync_item_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, tree->by_path);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (items, yp_sync_item_ref (value));
  /* a prefix sorts first: "a" before "a/b" */
  g_ptr_array_sort (items, compare_paths);
  return items;
}

void
yp_sync_tree_foreach (YpSyncTree     *tree,
                      YpSyncTreeFunc  func,
                      gpointer        user_data)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, tree->by_path);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    func (value, user_data);
}

char *
yp_sync_path_dirname (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash ? g_strndup (path, (gsize) (slash - path)) : g_strdup ("");
}

gboolean
yp_sync_path_is_under (const char *path,
                       const char *folder)
{
  gsize len = strlen (folder);

  return strncmp (path, folder, len) == 0 && path[len] == '/';
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <string.h>

#include "yp-client-error.h"
#include "yp-sync-remote.h"

#define LIST_PAGE 1000
/* Listings of one folder retried when it changed between its pages. */
#define LIST_TRIES 3
#define NS_PER_SECOND G_GINT64_CONSTANT (1000000000)

YpSyncItem *
yp_sync_remote_item_new (YpNode     *node,
                         const char *path)
{
  gboolean folder = yp_node_is_folder (node);
  YpSyncItem *item = yp_sync_item_new (path, folder ? YP_SYNC_KIND_FOLDER : YP_SYNC_KIND_FILE);
  const char *sha256 = yp_node_get_sha256 (node);

  item->remote_id = yp_node_get_id (node);
  item->remote_version = yp_node_get_version (node);
  if (!folder)
    {
      item->size = yp_node_get_size (node);
      /* the protocol keeps the uploader's mtime in seconds */
      item->mtime_ns = yp_node_get_mtime (node) * NS_PER_SECOND;
      g_strlcpy (item->sha256, sha256 ? sha256 : "", sizeof item->sha256);
    }
  return item;
}

/* ------------------------------------------------------------------ */
/* The listing                                                          */
/* ------------------------------------------------------------------ */

typedef struct
{
  gint64  id;
  char   *path;   /* pair path; "" for the root */
} Folder;

static void
folder_free (Folder *folder)
{
  g_free (folder->path);
  g_free (folder);
}

static char *
child_path (const char *folder,
            const char *name)
{
  return *folder ? g_strconcat (folder, "/", name, NULL) : g_strdup (name);
}

/* The entries of FOLDER, page after page; PAGES is set to how many pages
 * it took. A folder gone meanwhile has none: the feed says where it went. */
static GPtrArray *
read_pages (YpClient      *client,
            gint64         folder_id,
            guint         *pages,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 total = 1;

  *pages = 0;
  while ((gint64) entries->len < total)
    {
      YpListOptions options = { .offset = entries->len, .limit = LIST_PAGE };
      g_autoptr(YpListing) page = NULL;
      g_autoptr(GError) local_error = NULL;

      page = yp_client_list_sync (client, YP_TARGET_ID (folder_id), &options,
                                  cancellable, &local_error);
      if (page == NULL
          && g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND))
        break;
      if (page == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      (*pages)++;
      total = page->total;
      if (page->entries->len == 0)
        break;
      for (guint i = 0; i < page->entries->len; i++)
        g_ptr_array_add (entries, g_object_ref (g_ptr_array_index (page->entries, i)));
    }
  return g_steal_pointer (&entries);
}

/* Every entry of FOLDER. Between two pages the folder can change so that
 * an entry shifts across a page boundary unseen, with no change of its own
 * in the feed: a folder of several pages is read again until the cursor
 * stays put while it is read (or the tries run out; duplicates that a
 * shift makes are dropped by the caller). */
static GPtrArray *
list_folder (YpClient      *client,
             gint64         folder_id,
             GCancellable  *cancellable,
             GError       **error)
{
  gint64 before = -1;

  for (guint try = 1;; try++)
    {
      g_autoptr(GPtrArray) entries = NULL;
      gint64 after = 0;
      guint pages = 0;

      entries = read_pages (client, folder_id, &pages, cancellable, error);
      if (entries == NULL)
        return NULL;
      if (pages <= 1 || try > LIST_TRIES)
        return g_steal_pointer (&entries);
      if (!yp_client_whoami_sync (client, &after, cancellable, error))
        return NULL;
      if (after == before)
        return g_steal_pointer (&entries);
      before = after;
    }
}

YpSyncTree *
yp_sync_remote_list_sync (YpClient      *client,
                          gint64         root_id,
                          YpSyncIgnore  *ignore,
                          GCancellable  *cancellable,
                          gint64        *cursor,
                          GError       **error)
{
  g_autoptr(YpSyncTree) tree = yp_sync_tree_new ();
  g_autoptr(GQueue) pending = g_queue_new ();
  Folder *root;
  gint64 start = 0;

  g_return_val_if_fail (YP_IS_CLIENT (client), NULL);
  g_return_val_if_fail (root_id > 0, NULL);

  /* before the first page: whatever changes while we list is after it */
  if (!yp_client_whoami_sync (client, &start, cancellable, error))
    return NULL;

  root = g_new0 (Folder, 1);
  root->id = root_id;
  root->path = g_strdup ("");
  g_queue_push_tail (pending, root);
  while (!g_queue_is_empty (pending))
    {
      g_autoptr(GPtrArray) entries = NULL;
      Folder *folder = g_queue_pop_head (pending);

      entries = list_folder (client, folder->id, cancellable, error);
      if (entries == NULL)
        {
          folder_free (folder);
          g_queue_free_full (g_steal_pointer (&pending), (GDestroyNotify) folder_free);
          return NULL;
        }
      for (guint i = 0; i < entries->len; i++)
        {
          YpNode *node = g_ptr_array_index (entries, i);
          g_autofree char *path = child_path (folder->path, yp_node_get_name (node));
          g_autoptr(YpSyncItem) item = NULL;

          /* a node moved while we list can be met twice; the feed moves
           * the copy kept */
          if (yp_sync_tree_lookup_remote (tree, yp_node_get_id (node)) != NULL)
            continue;
          if (ignore && yp_sync_ignore_matches_entry (ignore, path, yp_node_is_folder (node)))
            continue;
          item = yp_sync_remote_item_new (node, path);
          yp_sync_tree_add (tree, item);
          if (yp_node_is_folder (node))
            {
              Folder *child = g_new0 (Folder, 1);

              child->id = yp_node_get_id (node);
              child->path = g_steal_pointer (&path);
              g_queue_push_tail (pending, child);
            }
        }
      folder_free (folder);
    }
  if (cursor)
    *cursor = start;
  return g_steal_pointer (&tree);
}

/* ------------------------------------------------------------------ */
/* The change feed                                                      */
/* ------------------------------------------------------------------ */

/* (transfer full) the items strictly under PATH, each with a reference */
static GPtrArray *
dup_descendants (YpSyncTree *tree,
                 const char *path)
{
  g_autoptr(GPtrArray) all = yp_sync_tree_dup_items (tree);
  GPtrArray *under = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_item_unref);

  for (guint i = 0; i < all->len; i++)
    {
      YpSyncItem *item = g_ptr_array_index (all, i);

      if (yp_sync_path_is_under (item->path, path))
        g_ptr_array_add (under, yp_sync_item_ref (item));
    }
  return under;
}

/* Removes the item at PATH and, for a folder, everything under it; returns
 * what was under it (NULL for a file). */
static GPtrArray *
take_subtree (YpSyncTree *tree,
              const char *path)
{
  YpSyncItem *item = yp_sync_tree_lookup (tree, path);
  GPtrArray *under = NULL;

  if (item == NULL)
    return NULL;
  if (item->kind == YP_SYNC_KIND_FOLDER)
    {
      under = dup_descendants (tree, path);
      for (guint i = 0; i < under->len; i++)
        yp_sync_tree_remove (tree, ((YpSyncItem *) g_ptr_array_index (under, i))->path);
    }
  yp_sync_tree_remove (tree, path);
  return under;
}

static void
remove_subtree (YpSyncTree *tree,
                const char *path)
{
  g_autoptr(GPtrArray) under = take_subtree (tree, path);
}

/* Where NODE is in the pair, from its parent's id: NULL when its parent is
 * neither the root nor a folder of TREE. The server's path is not used:
 * when the feed is replayed over a newer listing it can name a folder by a
 * path the listing no longer has. */
static char *
pair_path (YpSyncTree *tree,
           gint64      root_id,
           YpNode     *node)
{
  gint64 parent_id = yp_node_get_parent_id (node);
  YpSyncItem *parent;

  if (parent_id == root_id)
    return g_strdup (yp_node_get_name (node));
  parent = yp_sync_tree_lookup_remote (tree, parent_id);
  if (parent == NULL || parent->kind != YP_SYNC_KIND_FOLDER)
    return NULL;
  return child_path (parent->path, yp_node_get_name (node));
}

/* Puts NODE at PATH, bringing along what it holds when it was elsewhere. */
static void
place_node (YpSyncTree *tree,
            YpNode     *node,
            const char *path,
            gboolean    moved,
            gboolean   *needs_listing)
{
  YpSyncItem *current = yp_sync_tree_lookup_remote (tree, yp_node_get_id (node));
  g_autoptr(YpSyncItem) item = NULL;
  g_autoptr(GPtrArray) under = NULL;
  g_autofree char *old_path = NULL;

  if (current != NULL && current->remote_version >= yp_node_get_version (node))
    return;
  /* only a tree newer than the change puts a node's new parent inside it;
   * a later change of the feed puts it right */
  if (current != NULL && yp_sync_path_is_under (path, current->path))
    return;

  item = yp_sync_remote_item_new (node, path);
  if (current != NULL && strcmp (current->path, path) == 0)
    {
      yp_sync_tree_add (tree, item);
      return;
    }
  if (current != NULL)
    {
      old_path = g_strdup (current->path);
      under = take_subtree (tree, old_path);
    }
  else if (moved && item->kind == YP_SYNC_KIND_FOLDER && needs_listing)
    *needs_listing = TRUE;

  /* what holds PATH in the tree came there after this change: its own
   * later change puts it back */
  remove_subtree (tree, path);
  yp_sync_tree_add (tree, item);
  for (guint i = 0; under && i < under->len; i++)
    {
      YpSyncItem *old = g_ptr_array_index (under, i);
      g_autoptr(YpSyncItem) copy = yp_sync_item_copy (old);

      g_free (copy->path);
      copy->path = g_strconcat (path, old->path + strlen (old_path), NULL);
      yp_sync_tree_add (tree, copy);
    }
}

/* The root's path after a move of NODE from OLD_PATH, when the root is at
 * ROOT_PATH: the same unless NODE is the root or a folder above it. */
static char *
moved_root_path (const char *root_path,
                 YpNode     *node,
                 const char *old_path)
{
  gsize len;

  if (old_path == NULL || yp_node_get_path (node) == NULL)
    return NULL;
  len = strlen (old_path);
  if (strncmp (root_path, old_path, len) != 0
      || (root_path[len] != '\0' && root_path[len] != '/'))
    return NULL;
  return g_strconcat (yp_node_get_path (node), root_path + len, NULL);
}

static void
clear_tree (YpSyncTree *tree)
{
  g_autoptr(GPtrArray) items = yp_sync_tree_dup_items (tree);
  g_autoptr(GStrvBuilder) paths = g_strv_builder_new ();
  g_auto(GStrv) strv = NULL;

  for (guint i = 0; i < items->len; i++)
    g_strv_builder_add (paths, ((YpSyncItem *) g_ptr_array_index (items, i))->path);
  strv = g_strv_builder_end (paths);
  for (guint i = 0; strv[i]; i++)
    yp_sync_tree_remove (tree, strv[i]);
}

static void
apply_change (YpSyncTree  *tree,
              gint64       root_id,
              char       **root_path,
              YpChange    *change,
              gboolean    *needs_listing)
{
  YpNode *node = change->node;
  YpSyncItem *current;
  g_autofree char *path = NULL;

  if (change->op == YP_CHANGE_MOVE && yp_node_get_id (node) == root_id)
    {
      g_free (*root_path);
      *root_path = g_strdup (yp_node_get_path (node));
    }
  else if (*root_path != NULL && change->op == YP_CHANGE_MOVE)
    {
      char *moved = moved_root_path (*root_path, node, change->old_path);

      if (moved != NULL)
        {
          g_free (*root_path);
          *root_path = moved;
        }
    }
  if (change->op == YP_CHANGE_DELETE && yp_node_get_id (node) == root_id)
    {
      g_clear_pointer (root_path, g_free);
      clear_tree (tree);
      return;
    }
  if (yp_node_get_id (node) == root_id)
    return;

  current = yp_sync_tree_lookup_remote (tree, yp_node_get_id (node));
  if (change->op == YP_CHANGE_DELETE)
    {
      if (current != NULL)
        remove_subtree (tree, current->path);
      return;
    }

  path = pair_path (tree, root_id, node);
  if (path != NULL)
    place_node (tree, node, path, change->op == YP_CHANGE_MOVE, needs_listing);
  else if (change->op == YP_CHANGE_MOVE && current != NULL
           && current->remote_version < yp_node_get_version (node))
    remove_subtree (tree, current->path);
}

void
yp_sync_remote_apply_changes (YpSyncTree  *tree,
                              gint64       root_id,
                              char       **root_path,
                              YpChanges   *changes,
                              gboolean    *needs_listing)
{
  g_return_if_fail (tree != NULL);
  g_return_if_fail (root_path != NULL);
  g_return_if_fail (changes != NULL);

  for (guint i = 0; i < changes->changes->len; i++)
    apply_change (tree, root_id, root_path, g_ptr_array_index (changes->changes, i),
                  needs_listing);
}

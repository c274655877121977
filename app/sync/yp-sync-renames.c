/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-sync-reconcile-private.h"

/*
 * Renames and moves on both sides: a base entry found again at another
 * path, and where each node ends up (a rename on the server winning over a
 * local one, a move of a folder carrying what it holds).
 */

/* The node holding the folder PATH is in, in MAP; NULL for the root or a
 * folder MAP does not hold. */
Node *
_yp_reconcile_parent_in (GHashTable *map,
                         const char *path)
{
  const char *slash = strrchr (path, '/');
  gsize len = slash ? (gsize) (slash - path) : 0;
  char stack[256];
  g_autofree char *heap = NULL;
  char *dir = stack;

  if (slash == NULL)
    return NULL;
  /* called several times for every path: no allocation for most */
  if (len >= sizeof stack)
    dir = heap = g_malloc (len + 1);
  memcpy (dir, path, len);
  dir[len] = '\0';
  return g_hash_table_lookup (map, dir);
}

/* ------------------------------------------------------------------ */
/* Identity: what each side holds of a base entry                     */

YpSyncItem *
_yp_reconcile_find_local (Reconcile  *rc,
                          YpSyncItem *base)
{
  YpSyncItem *item = yp_sync_tree_lookup_inode (rc->local_tree, base->device, base->inode);

  if (item != NULL && strcmp (item->path, base->path) != 0 && item->kind == base->kind
      && (item->kind == YP_SYNC_KIND_FOLDER
          || (item->size == base->size && item->mtime_ns == base->mtime_ns))
      && yp_sync_tree_lookup (rc->base_tree, item->path) == NULL)
    return item;
  item = yp_sync_tree_lookup (rc->local_tree, base->path);
  return item != NULL && item->kind == base->kind ? item : NULL;
}

YpSyncItem *
_yp_reconcile_find_remote (Reconcile  *rc,
                           YpSyncItem *base)
{
  YpSyncItem *item = yp_sync_tree_lookup_remote (rc->remote_tree, base->remote_id);

  if (item != NULL && item->kind == base->kind)
    return item;
  item = yp_sync_tree_lookup (rc->remote_tree, base->path);
  /* a node the base knows under another path is that entry's, not ours */
  if (item != NULL && item->kind == base->kind
      && yp_sync_tree_lookup_remote (rc->base_tree, item->remote_id) == NULL)
    return item;
  return NULL;
}

/* Whether NODE was renamed or moved on a side, where it is at SIDE_PATH in
 * MAP: another name, or another parent than in the base. A move of its
 * folder does not count: the node moves along. */
gboolean
_yp_reconcile_moved_on (Reconcile  *rc,
                        Node       *node,
                        GHashTable *map,
                        const char *side_path)
{
  if (strcmp (basename_of (side_path), basename_of (node->base->path)) != 0)
    return TRUE;
  return _yp_reconcile_parent_in (map, side_path)
         != _yp_reconcile_parent_in (rc->by_base, node->base->path);
}

/* ------------------------------------------------------------------ */
/* Placement: where each node ends up                                 */

/* Where the folder holding PATH in MAP ends up, "" for the root; NULL in
 * a cycle. A folder MAP does not know stays where it is (into DIR). */
static const char *
parent_target (Reconcile   *rc,
               GHashTable  *map,
               const char  *path,
               char       **dir)
{
  Node *parent = _yp_reconcile_parent_in (map, path);

  if (parent != NULL)
    return _yp_reconcile_place (rc, parent);
  if (strrchr (path, '/') == NULL)
    return "";
  *dir = yp_sync_path_dirname (path);
  return *dir;
}

/* Where the item at PATH in MAP ends up if only its folder moves. */
static char *
place_in_parent (Reconcile  *rc,
                 GHashTable *map,
                 const char *path)
{
  g_autofree char *dir = NULL;
  const char *folder = parent_target (rc, map, path, &dir);
  const char *name = basename_of (path);

  if (folder == NULL)
    return NULL;
  return folder[0] != '\0' ? g_strconcat (folder, "/", name, NULL) : g_strdup (name);
}

/* Whether place_in_parent() would give TARGET, without building it. */
gboolean
_yp_reconcile_in_place (Reconcile  *rc,
                        GHashTable *map,
                        const char *path,
                        const char *target)
{
  g_autofree char *dir = NULL;
  const char *folder = parent_target (rc, map, path, &dir);
  const char *name = basename_of (path);
  gsize len;

  if (folder == NULL || target == NULL)
    return folder == NULL && target == NULL;
  len = strlen (folder);
  if (len == 0)
    return strcmp (target, name) == 0;
  return strncmp (target, folder, len) == 0 && target[len] == '/'
         && strcmp (target + len + 1, name) == 0;
}

/* The server's rename wins over a local one, a rename over staying put; a
 * candidate that would put a folder inside itself (a cycle through other
 * moves) gives way to the next. */
const char *
_yp_reconcile_place (Reconcile *rc,
                     Node      *node)
{
  char *target = NULL;

  if (node->placed)
    return node->target;
  if (node->placing)
    return NULL;
  node->placing = TRUE;
  if (node->base == NULL)
    {
      target = node->local != NULL ? place_in_parent (rc, rc->by_local, node->local->path)
                                   : place_in_parent (rc, rc->by_remote, node->remote->path);
    }
  else
    {
      if (node->remote != NULL
          && _yp_reconcile_moved_on (rc, node, rc->by_remote, node->remote->path))
        target = place_in_parent (rc, rc->by_remote, node->remote->path);
      if (target == NULL && node->local != NULL
          && _yp_reconcile_moved_on (rc, node, rc->by_local, node->local->path))
        target = place_in_parent (rc, rc->by_local, node->local->path);
      if (target == NULL)
        target = place_in_parent (rc, rc->by_base, node->base->path);
    }
  node->placing = FALSE;
  node->placed = TRUE;
  node->target = target;
  return target;
}

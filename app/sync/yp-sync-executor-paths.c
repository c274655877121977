/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <string.h>

#include "yp-sync-executor-private.h"

/*
 * Where the executor's actions act: a pair path on each side, and the node
 * ids of what the server holds, so that a new name goes in by its folder's
 * id. The ids come from the base and the remote tree at the start of a
 * run, and follow the run's own mkdirs, moves and deletes.
 */

char *
_yp_sync_executor_local_path (YpSyncExecutor *self,
                              const char     *path)
{
  return g_build_filename (self->local_root, path, NULL);
}

char *
_yp_sync_executor_remote_path (YpSyncExecutor *self,
                               const char     *path)
{
  if (g_str_equal (self->remote_root, "/"))
    return g_strconcat ("/", path, NULL);
  return g_strconcat (self->remote_root, "/", path, NULL);
}

gint64
_yp_sync_executor_parent_id (YpSyncExecutor *self,
                             const char     *path)
{
  g_autofree char *parent = yp_sync_path_dirname (path);
  const gint64 *id;

  if (parent[0] == '\0')
    return self->remote_root_id;
  id = g_hash_table_lookup (self->remote_ids, parent);
  return id != NULL ? *id : 0;
}

void
_yp_sync_executor_remember_id (YpSyncExecutor *self,
                               const char     *path,
                               gint64          id)
{
  if (id > 0)
    g_hash_table_insert (self->remote_ids, g_strdup (path), g_memdup2 (&id, sizeof id));
}

static void
remember_folder (YpSyncItem *item,
                 gpointer    user_data)
{
  /* only folders are parents */
  if (item->kind == YP_SYNC_KIND_FOLDER)
    _yp_sync_executor_remember_id (user_data, item->path, item->remote_id);
}

void
_yp_sync_executor_remember_tree (YpSyncExecutor *self,
                                 YpSyncTree     *tree)
{
  yp_sync_tree_foreach (tree, remember_folder, self);
}

void
_yp_sync_executor_forget_ids (YpSyncExecutor *self,
                              const char     *path)
{
  GHashTableIter iter;
  const char *key;

  g_hash_table_iter_init (&iter, self->remote_ids);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (yp_sync_path_is_under (key, path))
      g_hash_table_iter_remove (&iter);
}

void
_yp_sync_executor_move_ids (YpSyncExecutor *self,
                            const char     *from,
                            const char     *to)
{
  g_autoptr(GPtrArray) moved = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const char *key;
  gint64 *id;

  g_hash_table_iter_init (&iter, self->remote_ids);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &id))
    if (yp_sync_path_is_under (key, from))
      {
        g_ptr_array_add (moved, g_strconcat (to, key + strlen (from), NULL));
        g_ptr_array_add (moved, g_memdup2 (id, sizeof *id));
        g_hash_table_iter_remove (&iter);
      }
  for (guint i = 0; i < moved->len; i += 2)
    g_hash_table_insert (self->remote_ids, g_strdup (g_ptr_array_index (moved, i)),
                         g_memdup2 (g_ptr_array_index (moved, i + 1), sizeof (gint64)));
}

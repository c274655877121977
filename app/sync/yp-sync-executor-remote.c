/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-sync-executor-private.h"

/*
 * The executor's actions on the server: mkdir, delete and move. Existing
 * nodes are named by id, so that a rename elsewhere in the tree does not
 * send a change to the wrong node, and changed only at the version the
 * plan saw; new names by their folder's id when it is known.
 */

/* The node the action acts on, by the plan's remote item, else the base's. */
static gint64
action_node_id (YpSyncAction *action)
{
  if (action->remote != NULL && action->remote->remote_id > 0)
    return action->remote->remote_id;
  if (action->base != NULL)
    return action->base->remote_id;
  return 0;
}

gboolean
_yp_sync_apply_mkdir_remote (YpSyncExecutor  *self,
                             YpSyncAction    *action,
                             GError         **error)
{
  g_autofree char *remote = _yp_sync_executor_remote_path (self, action->path);
  g_autofree char *name = g_path_get_basename (action->path);
  gint64 parent_id = _yp_sync_executor_parent_id (self, action->path);
  g_autoptr(YpNode) node = NULL;
  g_autoptr(YpSyncItem) item = NULL;
  g_autoptr(GError) local_error = NULL;

  if (parent_id > 0)
    node = yp_client_mkdir_sync (self->client, YP_TARGET_CHILD (parent_id, name), FALSE,
                                 self->cancellable, error);
  else
    node = yp_client_mkdir_sync (self->client, YP_TARGET_PATH (remote), FALSE,
                                 self->cancellable, error);
  if (node == NULL)
    return FALSE;
  _yp_sync_executor_remember_id (self, action->path, yp_node_get_id (node));

  item = _yp_sync_executor_stat_local (self, action->path, &local_error);
  /* the local folder went meanwhile: the base tells the server side only,
   * and the next pass sees the local delete */
  if (item == NULL || item->kind != YP_SYNC_KIND_FOLDER)
    {
      g_clear_pointer (&item, yp_sync_item_unref);
      item = yp_sync_item_new (action->path, YP_SYNC_KIND_FOLDER);
      if (action->local != NULL)
        {
          item->device = action->local->device;
          item->inode = action->local->inode;
        }
    }
  item->remote_id = yp_node_get_id (node);
  item->remote_version = yp_node_get_version (node);
  return _yp_sync_executor_put (self, item, error);
}

gboolean
_yp_sync_apply_delete_remote (YpSyncExecutor  *self,
                              YpSyncAction    *action,
                              GError         **error)
{
  g_autofree char *remote = _yp_sync_executor_remote_path (self, action->path);
  gint64 id = action_node_id (action);
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  if (id > 0)
    ok = yp_client_delete_sync (self->client, YP_TARGET_ID (id), action->if_version, NULL,
                                self->cancellable, &local_error);
  else
    ok = yp_client_delete_sync (self->client, YP_TARGET_PATH (remote), action->if_version,
                                NULL, self->cancellable, &local_error);
  /* gone already: what the plan wanted */
  if (!ok && !g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  _yp_sync_executor_forget_ids (self, action->path);
  return _yp_sync_executor_remove (self, action->path, error);
}

gboolean
_yp_sync_apply_move_remote (YpSyncExecutor  *self,
                            YpSyncAction    *action,
                            GError         **error)
{
  g_autofree char *remote = _yp_sync_executor_remote_path (self, action->path);
  g_autofree char *name = g_path_get_basename (action->path);
  gint64 parent_id = _yp_sync_executor_parent_id (self, action->path);
  gint64 id = action_node_id (action);
  g_autoptr(YpNode) node = NULL;
  g_autoptr(YpSyncItem) item = NULL;

  g_assert (action->from_path != NULL);
  if (id <= 0)
    {
      g_autofree char *from = _yp_sync_executor_remote_path (self, action->from_path);

      node = yp_client_stat_sync (self->client, YP_TARGET_PATH (from), self->cancellable,
                                  error);
      if (node == NULL)
        return FALSE;
      id = yp_node_get_id (node);
      g_clear_object (&node);
    }
  if (parent_id > 0)
    node = yp_client_move_sync (self->client, YP_TARGET_ID (id),
                                YP_TARGET_CHILD (parent_id, name), action->if_version,
                                self->cancellable, error);
  else
    node = yp_client_move_sync (self->client, YP_TARGET_ID (id), YP_TARGET_PATH (remote),
                                action->if_version, self->cancellable, error);
  if (node == NULL)
    return FALSE;
  _yp_sync_executor_move_ids (self, action->from_path, action->path);
  _yp_sync_executor_remember_id (self, action->path, id);
  if (action->base == NULL)
    return TRUE;

  /* the move gave the node a new version: the base keeps it, so that the
   * next change made here is not taken for a conflict */
  if (!_yp_sync_executor_move_base (self, action, error))
    return FALSE;
  item = yp_sync_item_copy (action->base);
  g_free (item->path);
  item->path = g_strdup (action->path);
  item->remote_id = id;
  item->remote_version = yp_node_get_version (node);
  return _yp_sync_executor_put (self, item, error);
}

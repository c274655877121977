/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-client-error.h"
#include "yp-sync-executor-private.h"

/*
 * The executor's actions on the local folder: mkdir, delete and move, each
 * checking right before it acts that the item is still the one the plan
 * saw, so that a file saved meanwhile is never deleted or moved away.
 */

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

YpSyncItem *
_yp_sync_item_new_from_stat (const char        *path,
                             const struct stat *st)
{
  YpSyncItem *item = yp_sync_item_new (path, S_ISDIR (st->st_mode) ? YP_SYNC_KIND_FOLDER
                                                                   : YP_SYNC_KIND_FILE);

  item->device = st->st_dev;
  item->inode = st->st_ino;
  if (item->kind == YP_SYNC_KIND_FILE)
    {
      item->size = st->st_size;
      item->mtime_ns = (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                       + st->st_mtim.tv_nsec;
    }
  return item;
}

YpSyncItem *
_yp_sync_executor_stat_local (YpSyncExecutor  *self,
                              const char      *path,
                              GError         **error)
{
  g_autofree char *local = _yp_sync_executor_local_path (self, path);
  struct stat st;

  if (lstat (local, &st) != 0)
    {
      set_errno_error (error, errno, _("Cannot read"), path);
      return NULL;
    }
  if (!S_ISDIR (st.st_mode) && !S_ISREG (st.st_mode))
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
                   _("%s is no longer a file or folder"), path);
      return NULL;
    }
  return _yp_sync_item_new_from_stat (path, &st);
}

gboolean
_yp_sync_executor_check_local (YpSyncExecutor   *self,
                               const char       *path,
                               const YpSyncItem *expected,
                               GError          **error)
{
  g_autoptr(YpSyncItem) now = _yp_sync_executor_stat_local (self, path, error);

  if (now == NULL)
    return FALSE;
  /* a folder is the same folder while its inode is: what is inside it is
   * checked item by item */
  if (expected->kind == YP_SYNC_KIND_FOLDER && now->kind == YP_SYNC_KIND_FOLDER
      && (expected->inode == 0 || (now->inode == expected->inode
                                   && now->device == expected->device)))
    return TRUE;
  if (expected->kind == YP_SYNC_KIND_FILE && yp_sync_item_same_stat (now, expected))
    return TRUE;
  g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CHANGED,
               _("%s changed since the plan was made"), path);
  return FALSE;
}

gboolean
_yp_sync_executor_rename_local (YpSyncExecutor  *self,
                                const char      *from,
                                const char      *to,
                                GError         **error)
{
  g_autofree char *local_from = _yp_sync_executor_local_path (self, from);
  g_autofree char *local_to = _yp_sync_executor_local_path (self, to);

  if (renameat2 (AT_FDCWD, local_from, AT_FDCWD, local_to, RENAME_NOREPLACE) != 0)
    return set_errno_error (error, errno, _("Cannot rename"), from);
  return TRUE;
}

gboolean
_yp_sync_apply_mkdir_local (YpSyncExecutor  *self,
                            YpSyncAction    *action,
                            GError         **error)
{
  g_autofree char *local = _yp_sync_executor_local_path (self, action->path);
  g_autoptr(YpSyncItem) item = NULL;
  int saved_errno;

  /* a folder made there meanwhile does just as well */
  if (g_mkdir (local, 0777) != 0 && (saved_errno = errno) != EEXIST)
    return set_errno_error (error, saved_errno, _("Cannot create"), action->path);
  item = _yp_sync_executor_stat_local (self, action->path, error);
  if (item == NULL)
    return FALSE;
  if (item->kind != YP_SYNC_KIND_FOLDER)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("A file is already called %s"), action->path);
      return FALSE;
    }
  if (action->remote != NULL)
    {
      item->remote_id = action->remote->remote_id;
      item->remote_version = action->remote->remote_version;
      _yp_sync_executor_remember_id (self, action->path, item->remote_id);
    }
  return _yp_sync_executor_put (self, item, error);
}

gboolean
_yp_sync_apply_delete_local (YpSyncExecutor  *self,
                             YpSyncAction    *action,
                             GError         **error)
{
  g_autofree char *local = _yp_sync_executor_local_path (self, action->path);
  g_autoptr(GError) local_error = NULL;
  int rc;

  g_assert (action->local != NULL);
  if (!_yp_sync_executor_check_local (self, action->path, action->local, &local_error))
    {
      /* already gone: what the plan wanted */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return _yp_sync_executor_remove (self, action->path, error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* rmdir() refuses a folder something was put in since its children
   * were handled */
  rc = action->local->kind == YP_SYNC_KIND_FOLDER ? g_rmdir (local) : g_unlink (local);
  if (rc != 0)
    return set_errno_error (error, errno, _("Cannot delete"), action->path);
  _yp_sync_executor_forget_ids (self, action->path);
  return _yp_sync_executor_remove (self, action->path, error);
}

gboolean
_yp_sync_apply_move_local (YpSyncExecutor  *self,
                           YpSyncAction    *action,
                           GError         **error)
{
  g_autoptr(YpSyncItem) item = NULL;

  g_assert (action->from_path != NULL && action->local != NULL);
  if (!_yp_sync_executor_check_local (self, action->from_path, action->local, error)
      || !_yp_sync_executor_rename_local (self, action->from_path, action->path, error))
    return FALSE;
  _yp_sync_executor_move_ids (self, action->from_path, action->path);
  if (action->remote != NULL)
    _yp_sync_executor_remember_id (self, action->path, action->remote->remote_id);
  /* the base follows the local side: the item is at FROM_PATH there too,
   * even when a folder above it moved earlier in the run */
  if (action->base == NULL)
    return TRUE;
  if (!_yp_sync_executor_move_base (self, action, error))
    return FALSE;
  if (action->remote == NULL)
    return TRUE;

  /* the rename gave the node a new version; its content stays the base's
   * until a download brings the new one */
  item = yp_sync_item_copy (action->base);
  g_free (item->path);
  item->path = g_strdup (action->path);
  item->remote_id = action->remote->remote_id;
  item->remote_version = action->remote->remote_version;
  return _yp_sync_executor_put (self, item, error);
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "yp-sync-error.h"
#include "yp-sync-state-private.h"

/*
 * The base, every path as it was when last synced, and the batches that
 * change it together with the cursor it is up to date with.
 */

static YpSyncItem *
item_from_row (sqlite3_stmt *stmt)
{
  YpSyncItem *item = yp_sync_item_new ((const char *) sqlite3_column_text (stmt, 0),
                                       sqlite3_column_int (stmt, 1) == YP_SYNC_KIND_FOLDER
                                       ? YP_SYNC_KIND_FOLDER : YP_SYNC_KIND_FILE);
  const char *sha256 = (const char *) sqlite3_column_text (stmt, 6);

  /* Unsigned fields are stored as the int64 of the same bits. */
  item->size = (guint64) sqlite3_column_int64 (stmt, 2);
  item->mtime_ns = sqlite3_column_int64 (stmt, 3);
  item->device = (guint64) sqlite3_column_int64 (stmt, 4);
  item->inode = (guint64) sqlite3_column_int64 (stmt, 5);
  g_strlcpy (item->sha256, sha256 != NULL ? sha256 : "", sizeof item->sha256);
  item->remote_id = sqlite3_column_int64 (stmt, 7);
  item->remote_version = sqlite3_column_int64 (stmt, 8);
  return item;
}

YpSyncTree *
yp_sync_state_load_base_sync (YpSyncState  *self,
                              GError      **error)
{
  g_autoptr(YpSyncTree) tree = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), NULL);

  stmt = _yp_sync_state_get_stmt (self,
                                  "SELECT path, kind, size, mtime_ns, device, inode, sha256,"
                                  " remote_id, remote_version FROM base",
                                  error);
  if (stmt == NULL)
    return NULL;
  tree = yp_sync_tree_new ();
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(YpSyncItem) item = item_from_row (stmt);

      yp_sync_tree_add (tree, item);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _yp_sync_state_set_db_error (self, error);
      return NULL;
    }
  return g_steal_pointer (&tree);
}

/* ------------------------------------------------------------------------
 * Batches
 * ------------------------------------------------------------------------ */

gboolean
yp_sync_state_in_batch (YpSyncState *self)
{
  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);

  return self->in_batch;
}

gboolean
yp_sync_state_begin_sync (YpSyncState  *self,
                          GError      **error)
{
  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (!self->in_batch, FALSE);

  if (!_yp_sync_state_run (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  self->in_batch = TRUE;
  self->has_pending_cursor = FALSE;
  return TRUE;
}

gboolean
yp_sync_state_put_item_sync (YpSyncState       *self,
                             const YpSyncItem  *item,
                             GError           **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (item != NULL && item->path != NULL, FALSE);

  stmt = _yp_sync_state_get_stmt (self,
                                  "INSERT OR REPLACE INTO base (path, kind, size, mtime_ns, device,"
                                  " inode, sha256, remote_id, remote_version)"
                                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  _yp_sync_state_bind_text (stmt, 1, item->path);
  sqlite3_bind_int (stmt, 2, item->kind);
  sqlite3_bind_int64 (stmt, 3, (gint64) item->size);
  sqlite3_bind_int64 (stmt, 4, item->mtime_ns);
  sqlite3_bind_int64 (stmt, 5, (gint64) item->device);
  sqlite3_bind_int64 (stmt, 6, (gint64) item->inode);
  _yp_sync_state_bind_text (stmt, 7, item->sha256);
  sqlite3_bind_int64 (stmt, 8, item->remote_id);
  sqlite3_bind_int64 (stmt, 9, item->remote_version);
  return _yp_sync_state_step_done (self, stmt, error);
}

char *
yp_sync_state_dup_path_of_node_sync (YpSyncState  *self,
                                     gint64        remote_id,
                                     GError      **error)
{
  sqlite3_stmt *stmt;
  char *path = NULL;
  int rc;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), NULL);

  stmt = _yp_sync_state_get_stmt (self,
                                  "SELECT path FROM base WHERE remote_id = ? AND remote_id != 0"
                                  " LIMIT 1",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, remote_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    path = _yp_sync_state_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    _yp_sync_state_set_db_error (self, error);
  return path;
}

gboolean
yp_sync_state_has_path_sync (YpSyncState  *self,
                             const char   *path,
                             gboolean     *has,
                             GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);

  stmt = _yp_sync_state_get_stmt (self, "SELECT 1 FROM base WHERE path = ?", error);
  if (stmt == NULL)
    return FALSE;
  _yp_sync_state_bind_text (stmt, 1, path);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _yp_sync_state_set_db_error (self, error);
      return FALSE;
    }
  *has = rc == SQLITE_ROW;
  return TRUE;
}

/* Paths under FOLDER sort between "FOLDER/" and "FOLDER0" ('0' follows '/'),
 * byte for byte as SQLite compares text. */
static void
bind_subtree (sqlite3_stmt *stmt,
              int           index,
              const char   *folder)
{
  sqlite3_bind_text (stmt, index, g_strconcat (folder, "/", NULL), -1, g_free);
  sqlite3_bind_text (stmt, index + 1, g_strconcat (folder, "0", NULL), -1, g_free);
}

gboolean
yp_sync_state_remove_item_sync (YpSyncState  *self,
                                const char   *path,
                                GError      **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  stmt = _yp_sync_state_get_stmt (self,
                                  "DELETE FROM base WHERE path = ? OR (path > ? AND path < ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  _yp_sync_state_bind_text (stmt, 1, path);
  bind_subtree (stmt, 2, path);
  return _yp_sync_state_step_done (self, stmt, error);
}

/* (element-type utf8): FOLDER and the paths under it. */
static GPtrArray *
dup_subtree_paths (YpSyncState  *self,
                   const char   *folder,
                   GError      **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = _yp_sync_state_get_stmt (self,
                                  "SELECT path FROM base WHERE path = ? OR (path > ? AND path < ?)",
                                  error);
  if (stmt == NULL)
    return NULL;
  _yp_sync_state_bind_text (stmt, 1, folder);
  bind_subtree (stmt, 2, folder);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (paths, _yp_sync_state_column_dup (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _yp_sync_state_set_db_error (self, error);
      return NULL;
    }
  return g_steal_pointer (&paths);
}

static gboolean
rename_paths (YpSyncState  *self,
              GPtrArray    *paths,
              const char   *from,
              const char   *to,
              GError      **error)
{
  gsize from_len = strlen (from);

  for (guint i = 0; i < paths->len; i++)
    {
      const char *old_path = g_ptr_array_index (paths, i);
      sqlite3_stmt *stmt = _yp_sync_state_get_stmt (self, "UPDATE base SET path = ? WHERE path = ?",
                                                    error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, g_strconcat (to, old_path + from_len, NULL), -1, g_free);
      _yp_sync_state_bind_text (stmt, 2, old_path);
      if (!_yp_sync_state_step_done (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

/* A folder move is one UPDATE per path below it rather than a prefix
 * rewrite in SQL, whose substr() counts characters, not bytes, and a
 * local name need not be UTF-8. */
gboolean
yp_sync_state_move_item_sync (YpSyncState  *self,
                              const char   *from,
                              const char   *to,
                              GError      **error)
{
  g_autoptr(GPtrArray) taken = NULL;
  g_autoptr(GPtrArray) paths = NULL;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (from != NULL && to != NULL, FALSE);
  g_return_val_if_fail (strcmp (from, to) != 0 && !yp_sync_path_is_under (to, from), FALSE);

  if (!_yp_sync_state_savepoint (self, error))
    return FALSE;
  taken = dup_subtree_paths (self, to, error);
  if (taken != NULL && taken->len > 0)
    {
      g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_FAILED,
                   _("Cannot move “%s” to “%s” in the sync state: “%s” is taken"), from, to,
                   (const char *) g_ptr_array_index (taken, 0));
      return _yp_sync_state_release (self, FALSE, NULL);
    }
  if (taken != NULL)
    paths = dup_subtree_paths (self, from, error);
  return _yp_sync_state_release (self,
                                 paths != NULL && rename_paths (self, paths, from, to, error),
                                 error);
}

void
yp_sync_state_set_cursor (YpSyncState *self,
                          gint64       cursor)
{
  g_return_if_fail (YP_IS_SYNC_STATE (self));
  g_return_if_fail (self->in_batch);

  self->pending_cursor = cursor;
  self->has_pending_cursor = TRUE;
}

static gboolean
write_cursor (YpSyncState  *self,
              GError      **error)
{
  sqlite3_stmt *stmt;

  if (!self->has_pending_cursor)
    return TRUE;
  stmt = _yp_sync_state_get_stmt (self, "UPDATE pair SET cursor = ? WHERE id = 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, self->pending_cursor);
  return _yp_sync_state_step_done (self, stmt, error);
}

/* On failure the whole batch is rolled back: a base half written would
 * not match the cursor. */
gboolean
yp_sync_state_commit_sync (YpSyncState  *self,
                           GError      **error)
{
  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (self->in_batch, FALSE);

  if (!write_cursor (self, error) || !_yp_sync_state_run (self, "COMMIT", error))
    {
      yp_sync_state_rollback_sync (self);
      return FALSE;
    }
  self->in_batch = FALSE;
  if (self->has_pending_cursor)
    self->cursor = self->pending_cursor;
  self->has_pending_cursor = FALSE;
  return TRUE;
}

void
yp_sync_state_rollback_sync (YpSyncState *self)
{
  g_return_if_fail (YP_IS_SYNC_STATE (self));

  if (!self->in_batch)
    return;
  /* Fails only when SQLite already rolled back by itself (disk full). */
  _yp_sync_state_run (self, "ROLLBACK", NULL);
  self->in_batch = FALSE;
  self->has_pending_cursor = FALSE;
}

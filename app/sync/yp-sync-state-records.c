/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include "yp-sync-state-private.h"

/*
 * What the state keeps beside the base: the uploads in progress, recent
 * activity and the conflicts found. Each write joins the open batch when
 * there is one and is its own transaction otherwise.
 */

/* Stored by name, so that the database does not depend on the enum's order. */
static const char *const activity_names[] = {
  [YP_SYNC_ACTIVITY_UPLOAD] = "upload",
  [YP_SYNC_ACTIVITY_DOWNLOAD] = "download",
  [YP_SYNC_ACTIVITY_MKDIR_LOCAL] = "mkdir-local",
  [YP_SYNC_ACTIVITY_MKDIR_REMOTE] = "mkdir-remote",
  [YP_SYNC_ACTIVITY_DELETE_LOCAL] = "delete-local",
  [YP_SYNC_ACTIVITY_DELETE_REMOTE] = "delete-remote",
  [YP_SYNC_ACTIVITY_MOVE_LOCAL] = "move-local",
  [YP_SYNC_ACTIVITY_MOVE_REMOTE] = "move-remote",
  [YP_SYNC_ACTIVITY_CONFLICT] = "conflict",
  [YP_SYNC_ACTIVITY_SKIPPED] = "skipped",
};

/* ------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------ */

YpSyncUpload *
yp_sync_upload_new (const char           *path,
                    const char           *upload_id,
                    const YpFileIdentity *identity,
                    const char           *sha256)
{
  YpSyncUpload *upload = g_new0 (YpSyncUpload, 1);

  upload->path = g_strdup (path);
  upload->upload_id = g_strdup (upload_id);
  upload->identity = *identity;
  g_strlcpy (upload->sha256, sha256 != NULL ? sha256 : "", sizeof upload->sha256);
  return upload;
}

void
yp_sync_upload_free (YpSyncUpload *upload)
{
  g_free (upload->path);
  g_free (upload->upload_id);
  g_free (upload);
}

void
yp_sync_activity_free (YpSyncActivity *activity)
{
  g_free (activity->path);
  g_free (activity->detail);
  g_free (activity);
}

void
yp_sync_conflict_free (YpSyncConflict *conflict)
{
  g_free (conflict->path);
  g_free (conflict->copy_path);
  g_free (conflict);
}

/* ------------------------------------------------------------------------
 * Uploads in progress
 * ------------------------------------------------------------------------ */

gboolean
yp_sync_state_put_upload_sync (YpSyncState         *self,
                               const YpSyncUpload  *upload,
                               GError             **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (upload != NULL && upload->path != NULL && upload->upload_id != NULL,
                        FALSE);

  stmt = _yp_sync_state_get_stmt (self,
                                  "INSERT OR REPLACE INTO uploads (path, upload_id, device, inode,"
                                  " size, mtime_ns, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  _yp_sync_state_bind_text (stmt, 1, upload->path);
  _yp_sync_state_bind_text (stmt, 2, upload->upload_id);
  sqlite3_bind_int64 (stmt, 3, (gint64) upload->identity.device);
  sqlite3_bind_int64 (stmt, 4, (gint64) upload->identity.inode);
  sqlite3_bind_int64 (stmt, 5, (gint64) upload->identity.size);
  sqlite3_bind_int64 (stmt, 6, upload->identity.mtime_ns);
  _yp_sync_state_bind_text (stmt, 7, upload->sha256);
  return _yp_sync_state_step_done (self, stmt, error);
}

static YpSyncUpload *
upload_from_row (sqlite3_stmt *stmt)
{
  YpFileIdentity identity = {
    .device = (guint64) sqlite3_column_int64 (stmt, 2),
    .inode = (guint64) sqlite3_column_int64 (stmt, 3),
    .size = (guint64) sqlite3_column_int64 (stmt, 4),
    .mtime_ns = sqlite3_column_int64 (stmt, 5),
  };

  return yp_sync_upload_new ((const char *) sqlite3_column_text (stmt, 0),
                             (const char *) sqlite3_column_text (stmt, 1),
                             &identity,
                             (const char *) sqlite3_column_text (stmt, 6));
}

/* (element-type YpSyncUpload): the rows STMT (bound) gives. */
static GPtrArray *
collect_uploads (YpSyncState   *self,
                 sqlite3_stmt  *stmt,
                 GError       **error)
{
  g_autoptr(GPtrArray) uploads = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_upload_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (uploads, upload_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _yp_sync_state_set_db_error (self, error);
      return NULL;
    }
  return g_steal_pointer (&uploads);
}

#define SELECT_UPLOADS \
  "SELECT path, upload_id, device, inode, size, mtime_ns, sha256 FROM uploads"

YpSyncUpload *
yp_sync_state_lookup_upload_sync (YpSyncState  *self,
                                  const char   *path,
                                  GError      **error)
{
  g_autoptr(GPtrArray) uploads = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  stmt = _yp_sync_state_get_stmt (self, SELECT_UPLOADS " WHERE path = ?", error);
  if (stmt == NULL)
    return NULL;
  _yp_sync_state_bind_text (stmt, 1, path);
  uploads = collect_uploads (self, stmt, error);
  if (uploads == NULL || uploads->len == 0)
    return NULL;
  return g_ptr_array_steal_index (uploads, 0);
}

gboolean
yp_sync_state_remove_upload_sync (YpSyncState  *self,
                                  const char   *path,
                                  GError      **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  stmt = _yp_sync_state_get_stmt (self, "DELETE FROM uploads WHERE path = ?", error);
  if (stmt == NULL)
    return FALSE;
  _yp_sync_state_bind_text (stmt, 1, path);
  return _yp_sync_state_step_done (self, stmt, error);
}

GPtrArray *
yp_sync_state_dup_uploads_sync (YpSyncState  *self,
                                GError      **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), NULL);

  stmt = _yp_sync_state_get_stmt (self, SELECT_UPLOADS " ORDER BY path", error);
  return stmt != NULL ? collect_uploads (self, stmt, error) : NULL;
}

/* ------------------------------------------------------------------------
 * Activity and conflicts
 * ------------------------------------------------------------------------ */

static gboolean
insert_activity (YpSyncState         *self,
                 YpSyncActivityKind   kind,
                 const char          *path,
                 const char          *detail,
                 gint64               time_us,
                 GError             **error)
{
  sqlite3_stmt *stmt = _yp_sync_state_get_stmt (self,
                                                "INSERT INTO activity (time_us, kind, path, detail)"
                                                " VALUES (?, ?, ?, ?)",
                                                error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, time_us);
  _yp_sync_state_bind_text (stmt, 2, activity_names[kind]);
  _yp_sync_state_bind_text (stmt, 3, path);
  _yp_sync_state_bind_text (stmt, 4, detail);
  return _yp_sync_state_step_done (self, stmt, error);
}

/* Ids only grow (AUTOINCREMENT), so the newest MAX are those above. */
static gboolean
trim_activity (YpSyncState  *self,
               GError      **error)
{
  sqlite3_stmt *stmt = _yp_sync_state_get_stmt (self, "DELETE FROM activity WHERE id <= ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, sqlite3_last_insert_rowid (self->db) - YP_SYNC_STATE_ACTIVITY_MAX);
  return _yp_sync_state_step_done (self, stmt, error);
}

gboolean
yp_sync_state_add_activity_sync (YpSyncState         *self,
                                 YpSyncActivityKind   kind,
                                 const char          *path,
                                 const char          *detail,
                                 gint64               time_us,
                                 GError             **error)
{
  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (activity_names), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!_yp_sync_state_savepoint (self, error))
    return FALSE;
  return _yp_sync_state_release (self,
                                 insert_activity (self, kind, path, detail, time_us, error)
                                 && trim_activity (self, error),
                                 error);
}

static YpSyncActivityKind
activity_kind_from_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (activity_names); i++)
    if (g_strcmp0 (activity_names[i], name) == 0)
      return i;
  return YP_SYNC_ACTIVITY_SKIPPED;
}

GPtrArray *
yp_sync_state_dup_activity_sync (YpSyncState  *self,
                                 guint         max,
                                 GError      **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), NULL);

  stmt = _yp_sync_state_get_stmt (self,
                                  "SELECT id, time_us, kind, path, detail FROM activity"
                                  " ORDER BY id DESC LIMIT ?",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, max);
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_activity_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      YpSyncActivity *entry = g_new0 (YpSyncActivity, 1);

      entry->id = sqlite3_column_int64 (stmt, 0);
      entry->time_us = sqlite3_column_int64 (stmt, 1);
      entry->kind = activity_kind_from_name ((const char *) sqlite3_column_text (stmt, 2));
      entry->path = _yp_sync_state_column_dup (stmt, 3);
      entry->detail = _yp_sync_state_column_dup (stmt, 4);
      g_ptr_array_add (entries, entry);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _yp_sync_state_set_db_error (self, error);
      return NULL;
    }
  return g_steal_pointer (&entries);
}

/* A conflict copy found again (the same pass run twice after a crash) is
 * one conflict, not two. */
gboolean
yp_sync_state_add_conflict_sync (YpSyncState  *self,
                                 const char   *path,
                                 const char   *copy_path,
                                 gint64        time_us,
                                 GError      **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (path != NULL && copy_path != NULL, FALSE);

  stmt = _yp_sync_state_get_stmt (self,
                                  "INSERT OR REPLACE INTO conflicts (time_us, path, copy_path)"
                                  " VALUES (?, ?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, time_us);
  _yp_sync_state_bind_text (stmt, 2, path);
  _yp_sync_state_bind_text (stmt, 3, copy_path);
  return _yp_sync_state_step_done (self, stmt, error);
}

gboolean
yp_sync_state_remove_conflict_sync (YpSyncState  *self,
                                    const char   *copy_path,
                                    GError      **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), FALSE);
  g_return_val_if_fail (copy_path != NULL, FALSE);

  stmt = _yp_sync_state_get_stmt (self, "DELETE FROM conflicts WHERE copy_path = ?", error);
  if (stmt == NULL)
    return FALSE;
  _yp_sync_state_bind_text (stmt, 1, copy_path);
  return _yp_sync_state_step_done (self, stmt, error);
}

GPtrArray *
yp_sync_state_dup_conflicts_sync (YpSyncState  *self,
                                  GError      **error)
{
  g_autoptr(GPtrArray) conflicts = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (YP_IS_SYNC_STATE (self), NULL);

  stmt = _yp_sync_state_get_stmt (self,
                                  "SELECT id, time_us, path, copy_path FROM conflicts ORDER BY id",
                                  error);
  if (stmt == NULL)
    return NULL;
  conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_conflict_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      YpSyncConflict *conflict = g_new0 (YpSyncConflict, 1);

      conflict->id = sqlite3_column_int64 (stmt, 0);
      conflict->time_us = sqlite3_column_int64 (stmt, 1);
      conflict->path = _yp_sync_state_column_dup (stmt, 2);
      conflict->copy_path = _yp_sync_state_column_dup (stmt, 3);
      g_ptr_array_add (conflicts, conflict);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _yp_sync_state_set_db_error (self, error);
      return NULL;
    }
  return g_steal_pointer (&conflicts);
}
